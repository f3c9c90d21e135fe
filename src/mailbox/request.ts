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
// Waiting. The request protocol is one step machine (requestSteps): send, then wait for the
// reply in slices of PEER_CHECK_MS; between slices it checks whether the server's mailbox is
// peer-gone — its reader ended, with any exit code, or a thread using it died — and then fails
// with PeerGoneError instead of waiting out its timeout (a reply the server sent before the
// mark wins: the machine looks once more), and a request to a mailbox already peer-gone fails
// at once. Two drivers run it: request blocks on its inbox for the reply with its id
// (Reader.take); requestAsync registers in the inbox's dispatcher before it sends, and the
// inbox's pump settles it (its last look is one more slice for the pump: within 2 *
// PEER_CHECK_MS). A request that gives up (timeout, abort, peer gone) leaves the dispatcher
// first, so its late reply is dropped.
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
import type { Envelope, ReplyAddress } from "./protocol";

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

/**
 * What the request machine asks of its driver. Each step resumes the machine with the reply
 * (in the driver's form) or undefined when none came:
 *   send   send the request envelope (waiting for room until the deadline)
 *   wait   wait at most `ms` (capped by the deadline) for the reply
 *   last   the reply, if the server sent it before its mailbox was marked peer-gone (it is
 *          already in the inbox, or the inbox's pump is about to hand it over)
 */
/** @internal */
export type RequestStep = { readonly op: "send" } | { readonly op: "wait"; readonly ms: number } | { readonly op: "last" };

const SEND: RequestStep = { op: "send" };
const WAIT: RequestStep = { op: "wait", ms: PEER_CHECK_MS };
const LAST: RequestStep = { op: "last" };

/**
 * The request protocol, written once for request and requestAsync: send, then wait for the
 * reply in slices of PEER_CHECK_MS; between slices a server whose mailbox went peer-gone ends
 * the wait (a reply it sent before the mark wins), and the deadline ends it. Cancellation (an
 * abort) is thrown in at a step; the driver then gives the request up. @internal (exported
 * for test/model/request.test.ts)
 */
export function* requestSteps<Reply>(server: Mailbox<any>, deadline: Deadline, what: string, label: string): Generator<RequestStep, Reply, Reply | undefined> {
  yield SEND;
  for (;;) {
    const reply = yield WAIT;
    if (reply !== undefined) return reply;
    if (server.endpoint.peerGone) {
      const last = yield LAST;
      if (last !== undefined) return last;
      throw server.goneError(what);
    }
    if (deadline.passed()) throw deadline.error(label);
  }
}

/** Checks shared by both forms; the request's id and envelope. */
function prepare(server: Mailbox<any>, value: unknown, inbox: Mailbox<any>, what: string): { id: number; bytes: Uint8Array } {
  if (server.endpoint.peerGone) throw server.goneError(what);
  const payload = server.encodeValue(value, what);
  const id = inbox.reader.dispatcher.newId();
  return { id, bytes: pack(K_REQUEST, id, payload, inbox.replyAddressBytes) };
}

/** Mailbox.request: the request machine, driven blocking (Reader.take on the inbox). */
export function request<T, R>(server: Mailbox<T>, value: T, options: RequestOptions | undefined): R {
  const what = "Mailbox.request";
  checkBlocking(what, options);
  const deadline = Deadline.of(options, what);
  const inbox = inboxFor(server, options, "sync", what);
  const { id, bytes } = prepare(server, value, inbox, what);
  const label = `${what} to ${server.name}`;
  const wanted = { kind: K_REPLY, id } as const;
  const machine = requestSteps<Envelope>(server, deadline, what, label);
  let input: Envelope | undefined;
  for (;;) {
    const next = machine.next(input);
    if (next.done) return inbox.replyValue(next.value, server.codec, label) as R;
    const step = next.value;
    input = undefined;
    if (step.op === "send") server.endpoint.send(bytes, deadline, what);
    else if (step.op === "last") input = inbox.reader.tryTake(wanted, what).m;
    else {
      try {
        input = inbox.reader.take(wanted, deadline.capped(step.ms), what);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
      }
    }
  }
}

/** How the inbox's pump settled an async request: its value, or the error to throw. */
type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** Mailbox.requestAsync: the request machine, driven without blocking (the inbox's pump
 *  settles the request in its dispatcher); any number in flight. */
export function requestAsync<T, R>(server: Mailbox<T>, value: T, options: RequestOptions | undefined): Promise<R> {
  const what = "Mailbox.requestAsync";
  try {
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    const inbox = inboxFor(server, options, "async", what);
    const { id, bytes } = prepare(server, value, inbox, what);
    return driveAsync<R>(server, inbox, id, bytes, deadline, signal, what);
  } catch (error) {
    return Promise.reject(error);
  }
}

async function driveAsync<R>(
  server: Mailbox<any>, inbox: Mailbox<any>, id: number, bytes: Uint8Array, deadline: Deadline, signal: AbortSignal | undefined, what: string,
): Promise<R> {
  const label = `${what} to ${server.name}`;
  const dispatcher = inbox.reader.dispatcher;
  // registered before the send: the pump settles `outcome` when the reply arrives; `aborted`
  // is the signal's error once it fires; `poke` ends the wait in progress (within)
  let outcome: Outcome | undefined;
  let aborted: Error | undefined;
  let poke: (() => void) | undefined;
  const onAbort = () => {
    aborted = new AbortError(`${label} was aborted by its AbortSignal`, { cause: signal?.reason });
    poke?.();
  };
  dispatcher.register(id, {
    codec: server.codec, what: label,
    resolve: (v) => {
      outcome = { ok: true, value: v };
      poke?.();
    },
    reject: (e) => {
      outcome = { ok: false, error: e };
      poke?.();
    },
    cleanup: () => signal?.removeEventListener("abort", onAbort),
  });
  signal?.addEventListener("abort", onAbort, { once: true });
  /** Waits at most `ms` (capped by the deadline) for the outcome, or rejects with the abort;
   *  `whole`: waits for the outcome alone (a request that could not give up: its reply is
   *  being settled). */
  const within = (ms?: number, whole = false): Promise<Outcome | undefined> => {
    if (outcome) return Promise.resolve(outcome);
    if (aborted && !whole) return Promise.reject(aborted);
    return new Promise<Outcome | undefined>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        poke = undefined;
        clearTimeout(timer);
        if (!outcome && aborted && !whole) reject(aborted);
        else resolve(outcome);
      };
      poke = whole ? () => outcome && done() : done;
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, Math.min(ms, deadline.left())));
    });
  };
  /** The send, ended early by the abort (a queued send waits for this thread's earlier ones). */
  const sending = (sent: Promise<void>): Promise<unknown> => {
    if (!signal) return sent;
    if (aborted) return Promise.reject(aborted);
    return new Promise((resolve, reject) => {
      poke = () => {
        if (aborted === undefined) return; // a reply before the send settled: the send decides
        poke = undefined;
        reject(aborted);
      };
      sent.then((v) => {
        poke = undefined;
        resolve(v);
      }, (e: unknown) => {
        poke = undefined;
        reject(e);
      });
    });
  };
  const machine = requestSteps<Outcome>(server, deadline, what, label);
  let result: Outcome;
  try {
    let next = machine.next(undefined);
    while (!next.done) {
      const step = next.value;
      let input: Outcome | undefined;
      try {
        if (step.op === "send") {
          // the request goes out first (at once when the channel has room); then the pump
          // starts reading the inbox, spinning briefly for the reply before it parks
          const sent = server.endpoint.sendAsync(bytes, deadline, signal, what);
          inbox.reader.startPump();
          await sending(sent);
          input = outcome;
        } else input = await within(PEER_CHECK_MS); // "last": the pump gets one more slice
      } catch (error) {
        next = machine.throw(error);
        continue;
      }
      next = machine.next(input);
    }
    result = next.value;
  } catch (error) {
    // gave up (timeout, abort, peer gone, a failed send): leave the dispatcher first, so a late
    // reply is dropped; a reply that was settled meanwhile wins
    if (dispatcher.giveUp(id)) {
      await new Promise<void>((resolve) => inbox.reader.afterGiveUp(resolve));
      throw error;
    }
    result = (await within(undefined, true)) as Outcome;
  }
  if (!result.ok) throw result.error;
  return result.value as R;
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
