// request.ts — request/reply over mailboxes: the requester's request and requestAsync, the
// server's serve loops, and MailboxRequest, the one-shot reply capability a server receives.
//
// A request is an envelope (protocol.ts) carrying a correlation id and the ADDRESS of a reply
// inbox of the requesting thread: the default one (dispatcher.ts) or an explicit `replyTo`
// mailbox this thread reads. The server resolves the address (address.ts) when it replies and
// sends the reply there; this file never sees what an address means. The reply value is
// encoded with the server mailbox's codec and decoded with it by the requester. A handler's
// error travels as an ErrorWire (code included) and is thrown to the requester as RemoteError.
//
// Waiting. A blocking request waits on its inbox for the reply with its id (Reader.take, in
// slices of PEER_CHECK_MS); an async one registers in the inbox's dispatcher before it sends,
// and the inbox's pump settles it. Between slices (blocking) or on a timer (async) a request
// checks whether the server's mailbox is peer-gone — its reader ended, with any exit code, or
// a thread using it died — and then fails with PeerGoneError instead of waiting out its
// timeout (within PEER_CHECK_MS blocking, 2 * PEER_CHECK_MS async: a reply the server sent
// before the mark is already in the inbox and is taken first); a request to a mailbox already
// peer-gone fails at once. A request that gives up
// (timeout, abort, peer gone) leaves the dispatcher first, so its late reply is dropped.
//
// Roles: request/requestAsync on any thread that attached the server mailbox; serve*,
// receiveRequest* and MailboxRequest's replies on the server mailbox's reader.
import { AbortError, ClosedError, ForeignHandleError, InvalidArgumentError, TimeoutError } from "../errors";
import { Deadline } from "../wait/deadline";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";
import { resolveReplyAddress } from "./address";
import { K_FAILURE, K_GONE, K_REPLY, K_REQUEST, encodeFailure, pack } from "./envelope";
import type { Mailbox } from "./mailbox";
import type { RequestOptions, ServeOptions } from "./options";
import type { ReplyAddress } from "./protocol";

/** How often a waiting request checks whether its server's mailbox is peer-gone. */
const PEER_CHECK_MS = 50;

/** A request taken by receiveRequest*: its value and a one-shot reply capability. */
export class MailboxRequest<T = unknown, R = unknown> {
  #answered = false;

  /** @internal */
  constructor(
    /** The request's value, as the requester sent it. */
    readonly value: T,
    private readonly server: Mailbox<T>,
    private readonly ticket: OpenRequest,
  ) {}

  /** Whether reply or fail was called. */
  get answered(): boolean {
    return this.#answered;
  }

  #send(kind: typeof K_REPLY | typeof K_FAILURE, value: unknown, options: WaitOptions | undefined, async: boolean, what: string) {
    if (this.#answered) throw new InvalidArgumentError(`${what}: this request was already answered`);
    if (!async) checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    // encoding first: a value the codec refuses throws CodecError and leaves the request open
    const payload = kind === K_REPLY ? this.server.encodeValue(value, what) : encodeFailure(value);
    const bytes = pack(kind, this.ticket.id, payload);
    this.#answered = true;
    this.server.openRequests.delete(this.ticket);
    const target = resolveReplyAddress(this.ticket.replyTo);
    if (!target) return async ? Promise.resolve(false) : false;
    return async ? target.deliverAsync(bytes, deadline, what) : target.deliver(bytes, deadline, what);
  }

  /** Sends `result` to the requester (blocking while its reply inbox is full). Returns false
   *  when the requester's reply inbox is gone, closed or its reader ended (the reply is
   *  dropped). A result the codec cannot encode throws CodecError and leaves the request
   *  unanswered. */
  reply(result: R, options?: WaitOptions): boolean {
    return this.#send(K_REPLY, result, options, false, "MailboxRequest.reply") as boolean;
  }

  /** Sends `error` to the requester, who gets a RemoteError with its name, code and message. */
  fail(error: unknown, options?: WaitOptions): boolean {
    return this.#send(K_FAILURE, error, options, false, "MailboxRequest.fail") as boolean;
  }

  /** `reply` without blocking the thread. */
  async replyAsync(result: R, options?: WaitOptions): Promise<boolean> {
    return this.#send(K_REPLY, result, options, true, "MailboxRequest.replyAsync");
  }

  /** `fail` without blocking the thread. */
  async failAsync(error: unknown, options?: WaitOptions): Promise<boolean> {
    return this.#send(K_FAILURE, error, options, true, "MailboxRequest.failAsync");
  }
}

/** What the server keeps of a request it took and has not answered: enough to say `gone`. */
export interface OpenRequest {
  readonly id: number;
  readonly replyTo: ReplyAddress | undefined;
}

const NO_PAYLOAD = new Uint8Array(0);

/** Sends `gone` for request `id` without waiting; dropped when the inbox is full or gone (the
 *  requester's peer-gone check then ends its wait). */
export function sendGone(id: number, replyTo: ReplyAddress | undefined): void {
  try {
    resolveReplyAddress(replyTo)?.deliver(pack(K_GONE, id, NO_PAYLOAD), Deadline.now, "Mailbox (its reader ended)");
  } catch {
    // full, closed or freed: nothing more to do from a thread that is ending
  }
}

// ---- requester -----------------------------------------------------------------------------------

function inboxFor(server: Mailbox<any>, options: RequestOptions | undefined, mode: "sync" | "async", what: string): Mailbox<any> {
  const inbox = options?.replyTo ?? server.defaultReplyInbox(mode);
  if (typeof inbox?.replyAddress !== "string") throw new InvalidArgumentError(`${what}: replyTo must be a Mailbox`);
  if (inbox.region !== server.region) {
    throw new ForeignHandleError(`${what} on ${server.name}: replyTo must live in the same region as the mailbox it asks (the server resolves it there)`);
  }
  inbox.checkLive(what);
  return inbox;
}

/** Mailbox.request: sends a request and waits (blocking) for its reply. */
export function request<T, R>(server: Mailbox<T>, value: T, options: RequestOptions | undefined): R {
  const what = "Mailbox.request";
  checkBlocking(what, options);
  const deadline = Deadline.of(options, what);
  const inbox = inboxFor(server, options, "sync", what);
  if (server.endpoint.peerGone) throw server.goneError(what);
  const id = inbox.reader.dispatcher.newId();
  server.endpoint.send(pack(K_REQUEST, id, server.encodeValue(value, what), inbox.replyAddressBytes), deadline, what);
  for (;;) {
    // wait in slices: between them, a server whose mailbox went peer-gone ends the wait
    try {
      const m = inbox.reader.take({ kind: K_REPLY, id }, deadline.capped(PEER_CHECK_MS), what);
      return inbox.replyValue(m, server.codec, `${what} to ${server.name}`) as R;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      if (server.endpoint.peerGone) {
        // a reply sent before the mark is already in the inbox: it wins
        const last = inbox.reader.tryTake({ kind: K_REPLY, id }, what).m;
        if (last) return inbox.replyValue(last, server.codec, `${what} to ${server.name}`) as R;
        throw server.goneError(what);
      }
      if (deadline.passed()) throw deadline.error(`${what} to ${server.name}`);
    }
  }
}

/** Mailbox.requestAsync: sends a request and resolves with its reply; any number in flight. */
export function requestAsync<T, R>(server: Mailbox<T>, value: T, options: RequestOptions | undefined): Promise<R> {
  const what = "Mailbox.requestAsync";
  try {
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const inbox = inboxFor(server, options, "async", what);
    if (server.endpoint.peerGone) throw server.goneError(what);
    const payload = server.encodeValue(value, what);
    const dispatcher = inbox.reader.dispatcher;
    const id = dispatcher.newId();
    const bytes = pack(K_REQUEST, id, payload, inbox.replyAddressBytes);
    const signal = options?.signal;
    const label = `${what} to ${server.name}`;
    return new Promise<R>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let watch: ReturnType<typeof setInterval> | undefined;
      const giveUp = (error: unknown) => {
        if (dispatcher.giveUp(id)) inbox.reader.afterGiveUp(() => reject(error));
      };
      const onAbort = () => giveUp(new AbortError(`${label} was aborted by its AbortSignal`, { cause: signal?.reason }));
      dispatcher.register(id, {
        codec: server.codec, what: label, resolve: resolve as (v: unknown) => void, reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          clearInterval(watch);
          signal?.removeEventListener("abort", onAbort);
        },
      });
      if (!deadline.forever) timer = setTimeout(() => giveUp(deadline.error(label)), deadline.left());
      // a reply sent before the mark is already in the inbox: the pump gets one more tick for it
      let goneSeen = false;
      watch = setInterval(() => {
        if (goneSeen) giveUp(server.goneError(what));
        goneSeen = server.endpoint.peerGone;
      }, PEER_CHECK_MS);
      signal?.addEventListener("abort", onAbort, { once: true });
      inbox.reader.startPump();
      server.endpoint.sendAsync(bytes, deadline, signal, what).catch(giveUp);
    });
  } catch (error) {
    return Promise.reject(error);
  }
}

// ---- server --------------------------------------------------------------------------------------

function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    // the requester is gone, or its inbox stayed full past replyTimeout: the reply is dropped
  }
}

/** A serve loop's receive failed: closed, idle past its timeout or aborted ends it (returns
 *  `served`); anything else is thrown. */
function endServe(error: unknown, served: number): number {
  if (error instanceof ClosedError || error instanceof TimeoutError || error instanceof AbortError) return served;
  throw error;
}

/** Mailbox.serve: answers requests one at a time, blocking; returns the number served. */
export function serve<T, R>(
  mb: Mailbox<T>, handler: (value: T, request: MailboxRequest<T, R>) => R, options: ServeOptions<T>,
): number {
  const what = "Mailbox.serve";
  checkBlocking(what, options);
  const replyOptions = { timeout: options.replyTimeout };
  let served = 0;
  for (; !options.signal?.aborted; served++) {
    let req: MailboxRequest<T, R>;
    try {
      req = mb.receiveRequest<R>(options.match, { timeout: options.timeout });
    } catch (error) {
      return endServe(error, served);
    }
    let result: R;
    try {
      result = handler(req.value, req);
    } catch (error) {
      if (!req.answered) quietly(() => req.fail(error, replyOptions));
      continue;
    }
    if (req.answered) continue;
    if (result && typeof (result as { then?: unknown }).then === "function") {
      quietly(() => req.fail(new InvalidArgumentError(`${what} on ${mb.name}: the handler returned a promise; use serveAsync for async handlers`), replyOptions));
      continue;
    }
    try {
      req.reply(result, replyOptions);
    } catch (error) {
      // an unencodable result: tell the requester instead of leaving it waiting
      if (!req.answered) quietly(() => req.fail(error, replyOptions));
    }
  }
  return served;
}

/** Mailbox.serveAsync: serve without blocking the thread; `handler` may be async. */
export async function serveAsync<T, R>(
  mb: Mailbox<T>, handler: (value: T, request: MailboxRequest<T, R>) => R | Promise<R>, options: ServeOptions<T>,
): Promise<number> {
  const replyOptions = { timeout: options.replyTimeout };
  let served = 0;
  for (; !options.signal?.aborted; served++) {
    let req: MailboxRequest<T, R>;
    try {
      req = await mb.receiveRequestAsync<R>(options.match, { timeout: options.timeout, signal: options.signal });
    } catch (error) {
      return endServe(error, served);
    }
    let result: R;
    try {
      result = await handler(req.value, req);
    } catch (error) {
      if (!req.answered) await req.failAsync(error, replyOptions).catch(() => false);
      continue;
    }
    if (req.answered) continue;
    try {
      await req.replyAsync(result, replyOptions);
    } catch (error) {
      // an unencodable result: tell the requester instead of leaving it waiting
      if (!req.answered) await req.failAsync(error, replyOptions).catch(() => false);
    }
  }
  return served;
}
