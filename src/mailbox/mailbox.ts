// mailbox.ts — Mailbox<T>: an actor-style inbox in shared memory (the facade). Many writers, ONE
// reader, addressable by a structured-cloneable handle; selective receive; request/reply with
// correlation. A raw-bytes Channel underneath (used MPSC, through endpoint.ts) plus a 64-byte
// header block (header.ts, kind KIND_MAILBOX).
//
//   writers    send(v), trySend(v) -> boolean, sendAsync(v)
//   reader     receive(match?), tryReceive(match?) -> { ok, value } | { ok: false, closed },
//              receiveAsync(match?), for (const v of mb), for await (const v of mb)
//   requests   mb.request(v) -> reply, mb.requestAsync(v)        (any thread; mb is the server)
//   server     receiveRequest(match?) -> MailboxRequest { value, reply(r), fail(e) },
//              tryReceiveRequest, receiveRequestAsync, serve(handler), serveAsync(handler)
//   both       close(), closed, len, free(), markReaderGone(); Mailbox.freeReplyInboxes(region)
//   select     recvCase(mb) in select / selectAsync (the reader: takes a plain message, as
//              tryReceive does, or { closed: true } once closed and drained)
//
// The parts: protocol.ts (the wire format, types only), envelope.ts (packing it), header.ts
// (the shared header), endpoint.ts (the channel as a message endpoint), save-queue.ts and
// receive.ts (the reader: save queue, pump), dispatcher.ts (pending replies, default reply
// inboxes), address.ts (reply addresses), request.ts (request/reply and serve), state.ts (the
// per-thread object this facade extends), options.ts (public types and option checks).
//
// Roles. Any thread that attached the mailbox may send to it and make requests to it. Exactly
// one thread reads it (receive*, receiveRequest*, serve*, iteration): the reader keeps the
// save queue and the reply dispatcher in thread-local memory, so a second reading thread would
// see an unrelated subset of messages. The header records the reading thread (MB_READER). One
// Mailbox object exists per (thread, mailbox): `Mailbox.from` returns the cached one, so every
// part of a thread shares its state (its codec is the one given at the first attach on that
// thread). Defaults: capacity 1024 messages, a 64 KiB ring; reply inboxes 256 messages, a
// 16 KiB ring (larger messages stream through in fragments, as in any Channel). Every wait
// takes { timeout, signal }; blocking forms refuse to run where the platform forbids blocking,
// and check their signal once, before they start.
//
// Selective receive (receive.ts). `match` is a predicate over values (a type guard narrows
// the result). A message the current receive does not want goes to a reader-local save queue,
// which every receive reads first, in order: nothing is lost and each kind of receive sees its
// messages in send order (per sender). The save queue is bounded by `maxSaved` (default
// 10_000): past it the message is kept and SaveQueueFullError thrown, and receives that would
// read the channel throw it until the queue is drained below the bound.
//
// Messages vs requests. `receive*` and iteration take PLAIN messages; `receiveRequest*` and
// `serve*` take REQUESTS. Each skips the other kind, which stays saved, in order, for its own
// kind of receive: a request never loses its reply capability to a plain receive.
//
// Request/reply (request.ts). Replies go to a reply inbox of the requesting thread, named in
// the request by an opaque address (protocol.ts); a late reply (its request gave up) is
// dropped. `replyTo` names an explicit inbox (a Mailbox this thread reads, in the server's
// region); replies in it are taken only by the request waiting for them.
//
// The reader's end. When the thread reading a mailbox ends — normally or not — it answers
// every request it took and did not answer, saved, or left in the channel with `gone`
// (protocol.ts), whose requesters then fail at once with PeerGoneError, and marks the mailbox
// reader-gone (MB_READER_GONE, and its channel peer-gone): later sends and requests fail at once
// (Erlang's `noproc`), and a request whose `gone` could not be delivered (its inbox was full)
// sees the mark within 100 ms (request.ts). 'sabre/node' does this from a worker thread's
// exit (any code) for every mailbox the thread was the recorded reader of; the report of a
// reader's death (killed, terminated, a process gone: README, "When a party dies") marks it
// too, while a dead client (a writer) changes nothing for the reader or the other writers.
// A Web Worker's clean end is not observable: close its mailboxes, or call
// markReaderGone, before it ends. A thread that ends before its first receive on a mailbox was
// never its reader, and a clean end leaves that mailbox as it is. Channels are not marked on a
// clean exit.
//
// Limits (documented, not checked): free a mailbox only when no thread still uses it — a reply
// inbox (Mailbox.freeReplyInboxes) only when no server can still be replying to it; the nonce
// makes a reply to a freed inbox a no-op unless the block was freed in the short window
// between the server's check and its send. Replies block while the requester's reply inbox is
// full (serve's `replyTimeout` bounds that wait; the reply is then dropped). Closing a
// server's mailbox does not fail requests already sent: a serve loop drains and answers them.
// An explicit `replyTo` mailbox that also gets plain messages saves them even past maxSaved
// while an async request waits on it. A request taken and never answered keeps a small record
// (its id and reply address) until the mailbox is freed or its reader ends.
import { Channel, type ChannelHandle } from "../channel/channel";
import type { Attempt, RecvSelectSource, Selectable } from "../channel/selectable";
import type { Steps } from "../wait/steps";
import { resolveCodec } from "../codec/codec";
import { ClosedError, ForeignHandleError, InvalidArgumentError } from "../errors";
import { Region, expectRegion } from "../region/region";
import { checkHandleOffset } from "../region/handle";
import { Deadline } from "../wait/deadline";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";
import { parseRegionAddress, registerReplyScheme } from "./address";
import { ReplyInboxes } from "./dispatcher";
import { ENV_MAX_OVERHEAD, K_MESSAGE, K_REQUEST, pack } from "./envelope";
import { allocHeader, freeHeader, headerChannel, headerLive, publishHeader } from "./header";
import {
  DEFAULT_MAX_SAVED, REPLY_INBOX, args, checkMaxSaved, createOptions, fromCodec,
  type MailboxFromOptions, type MailboxHandle, type MailboxOptions, type MailboxTryResult, type RequestOptions, type ServeOptions,
} from "./options";
import { type Incoming, type Match } from "./receive";
import { MailboxRequest, request, requestAsync, serve, serveAsync } from "./request";
import { MailboxState, cache, markReadMailboxesGone } from "./state";
import { onThreadEnd } from "../wire/thread-end";

export type { MailboxFromOptions, MailboxHandle, MailboxOptions, MailboxTryResult, RequestOptions, ServeOptions };
export type { Match };
const replyInboxes = new ReplyInboxes<Mailbox<any>>();
export { MailboxRequest };
// When this thread ends, with any exit code, every mailbox it reads answers its held requests
// `gone` and is marked reader-gone, so requests to it fail at once instead of waiting out their
// timeouts (thread-end.ts says who reports the end: a Web Worker's error, a thread's exit).
onThreadEnd(markReadMailboxesGone);

/**
 * An actor-style inbox in shared memory: many writers, one reader. Selective receive (a predicate
 * picks the message; the others are saved, in order, for later receives), and request/reply with
 * correlation (`request`, `serve`) between any threads attached to its region. Built on a Channel.
 */
export class Mailbox<T = unknown> extends MailboxState<T> implements RecvSelectSource<T> {
  /** Allocates a mailbox in `region` (a header block and a channel). */
  static create<T = unknown>(region: Region, options: MailboxOptions<T> = {}): Mailbox<T> {
    const what = "Mailbox.create";
    expectRegion(region, what);
    const { capacity, maxSaved, maxMessageBytes, codec, bufferBytes } = createOptions(options, what);
    const block = allocHeader(region, what);
    let channel: Channel<Uint8Array>;
    try {
      channel = Channel.create<Uint8Array>(region, {
        capacity, bufferBytes, codec: "raw",
        maxMessageBytes: maxMessageBytes + ENV_MAX_OVERHEAD, name: options.name,
      });
    } catch (error) {
      freeHeader(region, block, what);
      if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(`${what}: ${error.message}`, { cause: error });
      throw error;
    }
    const nonce = publishHeader(region, block, channel.offset, maxMessageBytes + ENV_MAX_OVERHEAD);
    return new Mailbox(region, block, channel, codec, nonce, options.name ?? `mailbox@${block}`, maxSaved);
  }

  /** Attaches to a mailbox from its handle; returns this thread's one object for it. */
  static from<T = unknown>(handle: MailboxHandle<T>, options: MailboxFromOptions<T> = {}): Mailbox<T> {
    const h = handle as Partial<MailboxHandle> | null | undefined;
    if (!h || h.__sabre !== "mailbox" || !h.region || typeof h.offset !== "number" || typeof h.nonce !== "number" || !h.channel) {
      throw new ForeignHandleError(
        `Mailbox.from expects a Mailbox handle (its .handle property), got ${h?.__sabre ? `a ${String(h.__sabre)} handle` : String(h)}`,
      );
    }
    checkHandleOffset(h.offset, "Mailbox.from");
    const region = Region.from(h.region);
    const live = headerLive(region, h.offset, h.nonce);
    const known = cache.get(region)?.get(h.offset) as Mailbox<T> | undefined;
    if (known && known.nonce === h.nonce && !known.freed && live) {
      if (options.maxSaved !== undefined) known.reader.saved.max = checkMaxSaved(options.maxSaved, "Mailbox.from");
      if (!known.codecKnown) known.adoptCodec(fromCodec(h, options), h.name ?? known.name);
      return known;
    }
    if (!live || headerChannel(region, h.offset).offset !== h.channel.offset) {
      throw new ForeignHandleError(`Mailbox.from: no live mailbox "${String(h.name)}" at offset ${h.offset}; was it freed?`);
    }
    const codec = fromCodec(h, options);
    const channel = Channel.from<Uint8Array>(h.channel as ChannelHandle<Uint8Array>);
    return new Mailbox(region, h.offset, channel, codec, h.nonce, h.name ?? `mailbox@${h.offset}`, checkMaxSaved(options.maxSaved, "Mailbox.from"));
  }

  /** @internal The reply inbox at `block` with `nonce` (a "region" reply address), or
   *  undefined when it is no longer there. Replies carry bytes encoded by the server's codec. */
  static replyTarget(region: Region, block: number, nonce: number): Mailbox<any> | undefined {
    if (!headerLive(region, block, nonce)) return undefined;
    const known = cache.get(region)?.get(block) as Mailbox<any> | undefined;
    if (known && known.nonce === nonce && !known.freed) return known;
    const { offset, maxMessageBytes } = headerChannel(region, block);
    const name = `reply inbox@${block}`;
    const channel = Channel.from<Uint8Array>({ __sabre: "channel", region: region.handle, offset, codec: "raw", maxMessageBytes, name });
    const inbox = new Mailbox(region, block, channel, resolveCodec<unknown>("raw", "Mailbox"), nonce, name, DEFAULT_MAX_SAVED);
    inbox.codecKnown = false;
    return inbox;
  }

  /** @internal This thread's reply inbox in this mailbox's region for blocking or async requests. */
  defaultReplyInbox(mode: "sync" | "async"): Mailbox<any> {
    return replyInboxes.get(this.region, mode, () => {
      this.region.onDispose(Mailbox.freeReplyInboxes);
      return Mailbox.create(this.region, { ...REPLY_INBOX, codec: "raw", name: `reply inbox (${mode}) of agent ${this.region.agent}` });
    });
  }

  /**
   * Closes and frees this thread's reply inboxes in `region` (made by request/requestAsync).
   * Call it when this thread is done making requests there and no server can still be
   * replying (a later request makes new ones). Throws while an async request is in flight.
   */
  static freeReplyInboxes(region: Region): void {
    for (const inbox of replyInboxes.list(region)) {
      if (inbox.reader.dispatcher.size > 0 || inbox.reader.pumping) {
        throw new InvalidArgumentError(`Mailbox.freeReplyInboxes: ${inbox.reader.dispatcher.size} async request(s) still wait for replies; await them first`);
      }
      if (!inbox.freed) {
        inbox.close();
        inbox.free();
      }
      replyInboxes.drop(region, inbox);
    }
  }

  /**
   * `using mb = Mailbox.create(region)`: close() at the end of the scope. Closes the mailbox
   * for every thread holding it (sends and requests fail, the reader drains then ends); it
   * frees no memory (free() does). Idempotent.
   */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- writers ------------------------------------------------------------------------------------

  /** Sends `value`, blocking while the mailbox is full. Throws ClosedError once closed, and
   *  PeerGoneError once its reader has ended. */
  send(value: T, options?: WaitOptions): void {
    const what = "Mailbox.send";
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    this.checkLive(what);
    this.endpoint.send(pack(K_MESSAGE, 0, this.encodeValue(value, what)), deadline, what);
  }

  /** One attempt: true if sent, false if the mailbox is full now (or another sender of this
   *  mailbox is mid-message: Channel.trySend semantics). Throws ClosedError once closed. */
  trySend(value: T): boolean {
    const what = "Mailbox.trySend";
    this.checkLive(what);
    return this.endpoint.trySend(pack(K_MESSAGE, 0, this.encodeValue(value, what)), what);
  }

  /** `send` without blocking the thread (async sends of one thread go out one at a time). */
  async sendAsync(value: T, options?: WaitOptions): Promise<void> {
    const what = "Mailbox.sendAsync";
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    this.checkLive(what);
    await this.endpoint.sendAsync(pack(K_MESSAGE, 0, this.encodeValue(value, what)), deadline, options?.signal, what);
  }

  // ---- reader: plain messages ---------------------------------------------------------------------

  /**
   * Receives the next plain message that `match` accepts (any, without `match`), blocking
   * while there is none; non-matching messages are saved for later receives. Throws
   * ClosedError once the mailbox is closed and nothing matching is left.
   */
  receive<S extends T>(match: (value: T) => value is S, options?: WaitOptions): S;
  receive(match?: Match<T>, options?: WaitOptions): T;
  receive(options?: WaitOptions): T;
  receive(a?: Match<T> | WaitOptions, b?: WaitOptions): T {
    const [match, options] = args(a, b);
    const what = "Mailbox.receive";
    checkBlocking(what, options);
    return this.reader.take({ kind: K_MESSAGE, match }, Deadline.of(options, what), what).value as T;
  }

  /** One attempt: { ok: true, value } or { ok: false, closed } (closed: the channel is closed
   *  and drained; saved messages that `match` does not accept may remain). */
  tryReceive<S extends T>(match: (value: T) => value is S): MailboxTryResult<S>;
  tryReceive(match?: Match<T>): MailboxTryResult<T>;
  tryReceive(match?: Match<T>): MailboxTryResult<T> {
    const r = this.reader.tryTake({ kind: K_MESSAGE, match }, "Mailbox.tryReceive");
    return r.m ? { ok: true, value: r.m.value as T } : { ok: false, closed: r.closed };
  }

  /**
   * A receive case of select on this mailbox (the Selectable seam, src/channel/selectable.ts),
   * for `recvCase(mailbox)`: an attempt is a tryReceive (saved messages first, then the
   * channel); it completes with `{ closed: true }` once the mailbox is closed and drained. Its
   * events are those of the channel under the mailbox: a message sent or a close bumps them.
   * Only the mailbox's reader may select on it.
   */
  selectRecv(what: string, async: boolean): Selectable<T> {
    const events = this.endpoint.channel.selectRecv(what, async).events;
    const mailbox = this;
    return {
      events,
      // eslint-disable-next-line require-yield
      *attempt(): Steps<Attempt<T>> {
        const r = mailbox.reader.tryTake({ kind: K_MESSAGE }, what);
        if (r.m) return { done: true, closed: false, value: r.m.value as T };
        return r.closed ? { done: true, closed: true } : { done: false };
      },
      // one reader: nobody else can hold a message this receive could take
      // eslint-disable-next-line require-yield
      *ready(): Steps<boolean> {
        return false;
      },
    };
  }

  /** `receive` without blocking the thread; several may wait at once (each message goes to
   *  the oldest waiting receive that accepts it). */
  receiveAsync<S extends T>(match: (value: T) => value is S, options?: WaitOptions): Promise<S>;
  receiveAsync(match?: Match<T>, options?: WaitOptions): Promise<T>;
  receiveAsync(options?: WaitOptions): Promise<T>;
  async receiveAsync(a?: Match<T> | WaitOptions, b?: WaitOptions): Promise<T> {
    const [match, options] = args(a, b);
    const what = "Mailbox.receiveAsync";
    return (await this.reader.takeAsync({ kind: K_MESSAGE, match }, Deadline.of(options, what), options?.signal, what)).value as T;
  }

  /** Blocking iteration over plain messages until the mailbox is closed and drained. */
  *[Symbol.iterator](): Iterator<T> {
    for (;;) {
      try {
        yield this.receive();
      } catch (error) {
        if (error instanceof ClosedError) return;
        throw error;
      }
    }
  }

  /** Async iteration over plain messages until the mailbox is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let v: T;
      try {
        v = await this.receiveAsync();
      } catch (error) {
        if (error instanceof ClosedError) return;
        throw error;
      }
      yield v;
    }
  }

  // ---- reader: requests -----------------------------------------------------------------------------

  #request<R>(m: Incoming<T>): MailboxRequest<T, R> {
    const ticket = { id: m.id, replyTo: m.replyTo };
    this.openRequests.add(ticket);
    return new MailboxRequest<T, R>(m.value as T, this, ticket);
  }

  /** Receives the next request `match` accepts (blocking); answer it with reply or fail. */
  receiveRequest<R = unknown>(match?: Match<T>, options?: WaitOptions): MailboxRequest<T, R>;
  receiveRequest<R = unknown>(options?: WaitOptions): MailboxRequest<T, R>;
  receiveRequest<R = unknown>(a?: Match<T> | WaitOptions, b?: WaitOptions): MailboxRequest<T, R> {
    const [match, options] = args(a, b);
    const what = "Mailbox.receiveRequest";
    checkBlocking(what, options);
    return this.#request<R>(this.reader.take({ kind: K_REQUEST, match }, Deadline.of(options, what), what));
  }

  /** One attempt at receiveRequest: the request, or undefined when none is there now. */
  tryReceiveRequest<R = unknown>(match?: Match<T>): MailboxRequest<T, R> | undefined {
    const r = this.reader.tryTake({ kind: K_REQUEST, match }, "Mailbox.tryReceiveRequest");
    return r.m ? this.#request<R>(r.m) : undefined;
  }

  /** `receiveRequest` without blocking the thread. */
  receiveRequestAsync<R = unknown>(match?: Match<T>, options?: WaitOptions): Promise<MailboxRequest<T, R>>;
  receiveRequestAsync<R = unknown>(options?: WaitOptions): Promise<MailboxRequest<T, R>>;
  async receiveRequestAsync<R = unknown>(a?: Match<T> | WaitOptions, b?: WaitOptions): Promise<MailboxRequest<T, R>> {
    const [match, options] = args(a, b);
    const what = "Mailbox.receiveRequestAsync";
    return this.#request<R>(await this.reader.takeAsync({ kind: K_REQUEST, match }, Deadline.of(options, what), options?.signal, what));
  }

  /**
   * Serves requests one at a time (blocking): replies with `handler(value)`, or fails with
   * what it throws (the requester gets a RemoteError). A handler may answer by itself through
   * its second argument. Returns the number served when the mailbox is closed and has no
   * request left, when idle past `timeout`, or (checked between requests) when `signal`
   * aborts. The handler must be synchronous here; use serveAsync for async handlers.
   */
  serve<R>(handler: (value: T, request: MailboxRequest<T, R>) => R, options: ServeOptions<T> = {}): number {
    return serve(this, handler, options);
  }

  /** `serve` without blocking the thread; `handler` may be async. Resolves with the number
   *  served when the mailbox is closed and drained of requests, or when `signal` aborts. */
  serveAsync<R>(handler: (value: T, request: MailboxRequest<T, R>) => R | Promise<R>, options: ServeOptions<T> = {}): Promise<number> {
    return serveAsync(this, handler, options);
  }

  // ---- requester ---------------------------------------------------------------------------------------

  /**
   * Sends `value` as a request to this mailbox and waits (blocking) for the reply of the
   * thread that serves it. The timeout covers sending and the reply; a reply that arrives
   * later is dropped. A handler error comes back as RemoteError; a mailbox whose reader has
   * ended (or that was marked peer-gone) fails it with PeerGoneError.
   */
  request<R = unknown>(value: T, options?: RequestOptions): R {
    return request<T, R>(this, value, options);
  }

  /** `request` without blocking the thread; any number may be in flight at once. */
  requestAsync<R = unknown>(value: T, options?: RequestOptions): Promise<R> {
    return requestAsync<T, R>(this, value, options);
  }
}

// The "region" reply-address scheme: a reply inbox in a region attached on this thread.
registerReplyScheme("region", (rest) => {
  const a = parseRegionAddress(rest);
  return a && Mailbox.replyTarget(a.region, a.inbox, a.nonce);
});

