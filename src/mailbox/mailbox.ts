// mailbox.ts — Mailbox<T>: an actor-style inbox in shared memory. Many writers, ONE reader,
// addressable by a structured-cloneable handle; selective receive; request/reply with
// correlation. Built on the public Channel API only (a raw-bytes Channel underneath, used
// MPSC), plus one 64-byte header block.
//
// Roles. Any thread that attached the mailbox may send to it and make requests to it. Exactly
// one thread reads it (receive*, receiveRequest*, serve*, iteration): the reader keeps the
// save queue and the reply dispatcher in thread-local memory, so a second reading thread
// would see an unrelated subset of messages. One Mailbox object exists per (thread, mailbox):
// `Mailbox.from` returns the cached one, so every part of a thread shares its state (its
// codec is the one given at the first attach on that thread). Defaults: capacity 1024
// messages, a 64 KiB ring; reply inboxes 256 messages, a 16 KiB ring (larger messages stream
// through in fragments, as in any Channel).
//
//   writers    send(v), trySend(v) -> boolean, sendAsync(v)
//   reader     receive(match?), tryReceive(match?) -> { ok, value } | { ok: false, closed },
//              receiveAsync(match?), for (const v of mb), for await (const v of mb)
//   requests   mb.request(v) -> reply, mb.requestAsync(v)        (any thread; mb is the server)
//   server     receiveRequest(match?) -> MailboxRequest { value, reply(r), fail(e) },
//              tryReceiveRequest, receiveRequestAsync, serve(handler), serveAsync(handler)
//   both       close(), closed, len, free(); Mailbox.freeReplyInboxes(region)
// Every wait takes { timeout, signal } (wait.ts); blocking forms refuse to run where the
// platform forbids blocking (checkBlocking), like Channel. A blocking wait checks its signal
// once, before it starts (as every blocking wait in sabre does).
//
// Selective receive. `match` is a predicate over values (a type guard narrows the result).
// A message read from the channel that the current receive does not want is appended to a
// reader-local save queue; every receive looks at the save queue first, in order, then at the
// channel. So messages are never lost and each kind of receive sees its messages in send
// order (per sender; different senders interleave in channel order). The save queue is
// bounded by `maxSaved` (default 10_000): reading one more non-matching message than that
// keeps it (nothing is lost) and throws SaveQueueFullError; later receives that would read the
// channel throw it too until the queue is drained below the bound. A predicate that throws
// leaves the message saved and passes the error on.
//
// Messages vs requests (decision). `receive*` and iteration take PLAIN messages (from
// send/trySend/sendAsync); `receiveRequest*` and `serve*` take REQUESTS. Each skips the other
// kind, which stays saved, in order, for its own kind of receive. So a request never loses
// its reply capability by being taken as a plain value, and a plain receive never swallows a
// request. A reader that ignores one kind fills the save queue and gets SaveQueueFullError.
//
// Request/reply. `to.request(msg, { timeout, signal, replyTo })` sends a request envelope and
// waits for the reply. Replies come to a REPLY INBOX of the requesting thread: a private
// Mailbox in the same region as `to` (a server resolves it from the envelope by offset
// alone, as it has that region attached), made lazily once per (thread, region) and reused:
// one for blocking requests and one for async requests, because a blocking wait cannot
// share a channel's receive lock with an async wait parked by the same thread. `replyTo`
// names an explicit reply inbox instead (a Mailbox this thread reads, in `to`'s region);
// replies in it are taken only by the request waiting for them, never by receive.
// Correlation ids are unique per reply inbox (its reader's counter). Async requests register
// in the inbox's dispatcher (id -> pending promise) before sending; one pump per inbox reads
// replies and settles them by id, so any number of requestAsync may be in flight at once. A
// reply whose request already gave up (timeout, abort) matches no pending id and is dropped:
// it never reaches a later request. The reply value is encoded with `to`'s codec and decoded
// with it by the requester. A handler's error travels as { name, message, stack } (JSON)
// and is thrown to the requester as RemoteError (remoteName, remoteMessage, remoteStack).
//
// Wire format, one channel message per envelope (raw codec; the value by the mailbox's codec;
// as code in mailbox-wire.ts, with MailboxRequest):
//
//   byte  0   kind: 1 message | 2 request | 3 reply | 4 failure (error reply)
//   bytes 4   u32 correlation id          (request, reply, failure; else 0)
//   bytes 8   u32 reply inbox block offset (request; else 0)
//   bytes 12  i32 reply inbox nonce         (request; else 0)
//   bytes 16  payload: codec(value) | codec(result) | JSON({ name, message, stack })
//
// Header block (64 bytes, region.alloc; written by create before the handle exists, zeroed
// by free):
//
//   +0  MB_MAGIC     "MBOX" (0x584f424d); stored last on create, first cleared on free
//   +4  MB_NONCE     random non-zero i32: tells a live mailbox from a later one at the same offset
//   +8  MB_CHANNEL   offset of the Channel
//   +12 MB_MAX_MSG   the channel's maxMessageBytes
//
// Invariants:
//   - a reply is delivered only to a request that is waiting for its (inbox, id); otherwise
//     it is dropped;
//   - a message or request read from the channel is returned to exactly one receive, or is
//     in the save queue (in read order);
//   - the channel's receive lock is held by this thread only inside one receive call or while
//     the inbox's pump has an async receive in flight; a blocking receive on a mailbox whose
//     pump runs throws InvalidArgumentError (use the async form) instead of deadlocking.
//
// Limits (documented, not checked): free a mailbox only when no thread still uses it — in
// particular a reply inbox (Mailbox.freeReplyInboxes) only when no server can still be
// replying to it; the nonce makes a reply to a freed inbox a no-op unless the block was freed
// in the short window between the server's check and its send. Replies block while the
// requester's reply inbox is full (serve's `replyTimeout` bounds that wait; the reply is then
// dropped). A blocking `serve` checks its signal between requests; close the mailbox to end it.
// Closing a server's mailbox does not fail requests already sent: a serve loop drains and
// answers them. If the serving thread dies and its mailbox is marked peer-gone (spawnWorker
// does that when a worker it was passed to crashes), waiting requests fail with PeerGoneError
// within PEER_CHECK_MS (they check between wait slices); a server that dies unwatched leaves
// them waiting for their timeout — give requests one. An explicit `replyTo` mailbox that also gets plain messages saves them even past
// maxSaved while an async request waits on it (the pump cannot leave them in the channel
// ahead of the reply). A blocking call on a mailbox while this thread has an async call in
// flight on it (holding the channel's lock) throws InvalidArgumentError instead of deadlocking.
import { Channel, type ChannelHandle } from "../channel/channel";
import { resolveCodec, type Codec, type CodecName } from "../codec/codec";
import {
  AbortError, PeerGoneError, ClosedError, CodecError, ForeignHandleError, InvalidArgumentError, SaveQueueFullError, TimeoutError,
} from "../errors";
import {
  ENV_HEADER, K_FAILURE, K_MESSAGE, K_REPLY, K_REQUEST, MB_BYTES, MB_CHANNEL, MB_MAGIC, MB_MAGIC_VALUE, MB_MAX_MSG, MB_NONCE,
  MailboxRequest, decodeFailure, encodeFailure, envelope, headerMatches, isA, randomNonce, unpackHeader, type Incoming,
} from "./mailbox-wire";
import type { Typed } from "../region/handle";
import { Region, type RegionHandle } from "../region/region";
import { checkBlocking, deadlineFrom, throwIfAborted, timeoutError, timeoutMs, type WaitOptions } from "../wait/wait";

const DEFAULT_CAPACITY = 1024;
const DEFAULT_BUFFER = 65536;
const DEFAULT_MAX_SAVED = 10_000;
const DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;
const REPLY_INBOX = { capacity: 256, bufferBytes: 16384 };
/** How often a waiting request checks whether its server's mailbox was marked peer-gone. */
const PEER_CHECK_MS = 50;

// ---- public types ----------------------------------------------------------------------------

/**
 * The structured-cloneable handle of a {@link Mailbox}: pass it to another thread and call
 * `Mailbox.from` there.
 */
export interface MailboxHandle<T = unknown> extends Typed<T> {
  /** The handle's kind, always "mailbox". */
  readonly __sabre: "mailbox";
  /** The handle of the region the mailbox lives in. */
  readonly region: RegionHandle;
  /** Offset of the mailbox's header block. */
  readonly offset: number;
  /**
   * A random number fixed at creation: replies addressed to a freed and reused inbox are dropped
   * instead of delivered to the wrong mailbox.
   */
  readonly nonce: number;
  /** The handle of the raw-bytes channel underneath. */
  readonly channel: ChannelHandle;
  /**
   * The name of the mailbox's codec; `from` picks the same one (pass the object for a custom
   * codec).
   */
  readonly codec: string;
  /** The mailbox's name in error messages. */
  readonly name: string;
}

/** Options of {@link Mailbox.create}. */
export interface MailboxOptions<T> {
  /** Messages the channel buffers before senders wait (default 1024; at least 1). */
  capacity?: number;
  /** Bytes of the channel's ring: a power of two from 64 (default 65536). */
  bufferBytes?: number;
  /** "msgpack" (default), "raw" (Uint8Array), "json", or { name, encode, decode }. */
  codec?: CodecName | Codec<T>;
  /** Largest encoded message accepted (default 64 MiB, plus the 16-byte envelope). */
  maxMessageBytes?: number;
  /** Most non-matching messages the reader keeps for later receives (default 10_000). */
  maxSaved?: number;
  /** A name for error messages. */
  name?: string;
}

/** Options of {@link Mailbox.from}. */
export interface MailboxFromOptions<T> {
  /** The codec object, for a mailbox created with a custom codec. */
  codec?: Codec<T>;
  /** The reader's save-queue bound on this thread (default 10_000). */
  maxSaved?: number;
}

export interface RequestOptions extends WaitOptions {
  /** The reply inbox: a Mailbox this thread reads, in the same region as the server. */
  replyTo?: Mailbox<any>;
}

/** `timeout` bounds each wait for a request: a server idle that long returns (like close). */
export interface ServeOptions<T> extends WaitOptions {
  /** Serve only requests whose value matches; others stay saved. */
  match?: (value: T) => boolean;
  /** How long one reply may wait for space in a requester's reply inbox (default forever). */
  replyTimeout?: number;
}

/** What {@link Mailbox.tryReceive} returns: a value, or why there is none now. */
export type MailboxTryResult<T> =
  | {
    /** A message was taken. */
    ok: true;
    /** The message. */
    value: T;
  }
  | {
    /** No matching message now. */
    ok: false;
    /** Whether the mailbox is closed and drained (no message will ever come). */
    closed: boolean;
  };
export type Match<T> = (value: T) => boolean;

// ---- internal types -------------------------------------------------------------------------

interface Selector<T> {
  kind: number; // K_MESSAGE or K_REQUEST; K_REPLY takes replies and failures with `id`
  match?: Match<T>;
  id?: number;
}

interface Waiter<T> {
  sel: Selector<T>;
  resolve(m: Incoming<T>): void;
  reject(e: unknown): void;
  cleanup(): void;
}

interface Pending {
  codec: Codec<any>;
  what: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  cleanup(): void;
}

export { MailboxRequest };

const cache = new WeakMap<Region, Map<number, Mailbox<any>>>();
const replyInboxes = new WeakMap<Region, { sync?: Mailbox<any>; async?: Mailbox<any> }>();

// ---- Mailbox ------------------------------------------------------------------------------------

/**
 * An actor-style inbox in shared memory: many writers, one reader. Selective receive (a predicate
 * picks the message; the others are saved, in order, for later receives), and request/reply with
 * correlation (`request`, `serve`) between any threads attached to its region. Built on a Channel.
 */
export class Mailbox<T = unknown> {
  /** The structured-cloneable handle: post it to a worker and call `Mailbox.from` there. */
  readonly handle: MailboxHandle<T>;
  readonly #channel: Channel<Uint8Array>;
  #codec: Codec<T>;
  /** False for an object a server made from a request envelope: it only carries replies, and
   *  the first Mailbox.from on this thread supplies its codec. */
  #codecKnown = true;
  readonly #nonce: number;
  /** Reader state (this thread): saved messages and requests, in read order. */
  readonly #saved: Incoming<T>[] = [];
  #maxSaved: number;
  #nextId = 0;
  /** Async requests waiting for replies in this inbox, by correlation id. */
  readonly #pending = new Map<number, Pending>();
  /** Async receives waiting, oldest first. */
  #waiters: Waiter<T>[] = [];
  #pump: Promise<void> | undefined;
  #pumpAbort: AbortController | undefined;
  /** Settlements the pump made, applied when it goes on reading or stops. */
  #settle: (() => void)[] = [];
  /** Async sends of this thread, one at a time (the channel's send lock is per thread). */
  #sendChain: Promise<unknown> = Promise.resolve();
  #freed = false;

  /**
   * @param region The region the mailbox lives in.
   * @param offset Byte offset of the mailbox's header block in the region.
   * @param name The mailbox's name in error messages.
   */
  private constructor(
    readonly region: Region, readonly offset: number, channel: Channel<Uint8Array>, codec: Codec<T>,
    nonce: number, readonly name: string, maxSaved: number,
  ) {
    this.#channel = channel;
    this.#codec = codec;
    this.#nonce = nonce;
    this.#maxSaved = maxSaved;
    this.handle = Object.freeze({
      __sabre: "mailbox" as const, region: region.handle, offset, nonce, channel: channel.handle, codec: codec.name, name,
    });
    let map = cache.get(region);
    if (!map) cache.set(region, (map = new Map()));
    map.set(offset, this);
  }

  /** Allocates a mailbox in `region` (a header block and a channel). */
  static create<T = unknown>(region: Region, options: MailboxOptions<T> = {}): Mailbox<T> {
    const what = "Mailbox.create";
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError(`${what}: capacity is a number of messages >= 1 (a mailbox is buffered), got ${String(capacity)}`);
    }
    const maxSaved = checkMaxSaved(options.maxSaved, what);
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0 || maxMessageBytes > 0x7fffffff - ENV_HEADER) {
      throw new InvalidArgumentError(`${what}: maxMessageBytes must be an integer from 0 to 2^31 - 17, got ${String(maxMessageBytes)}`);
    }
    const codec = resolveCodec(options.codec, what);
    const block = region.alloc(MB_BYTES);
    let channel: Channel<Uint8Array>;
    try {
      channel = Channel.create<Uint8Array>(region, {
        capacity, bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER, codec: "raw",
        maxMessageBytes: maxMessageBytes + ENV_HEADER, name: options.name,
      });
    } catch (error) {
      region.free(block);
      if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(error.message.replace("Channel.create", what));
      throw error;
    }
    const nonce = randomNonce();
    const w = region.words;
    Atomics.store(w, (block + MB_NONCE) >> 2, nonce);
    Atomics.store(w, (block + MB_CHANNEL) >> 2, channel.offset);
    Atomics.store(w, (block + MB_MAX_MSG) >> 2, maxMessageBytes + ENV_HEADER);
    Atomics.store(w, (block + MB_MAGIC) >> 2, MB_MAGIC_VALUE); // publish: the header is complete
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
    const region = Region.from(h.region);
    const known = cache.get(region)?.get(h.offset);
    if (known && known.#nonce === h.nonce && !known.#freed && headerMatches(region, h.offset, h.nonce)) {
      if (options.maxSaved !== undefined) known.#maxSaved = checkMaxSaved(options.maxSaved, "Mailbox.from");
      if (!known.#codecKnown) {
        known.#codec = fromCodec(h, options);
        known.#codecKnown = true;
        (known as { name: string }).name = h.name ?? known.name;
        (known as { handle: MailboxHandle }).handle = Object.freeze({ ...known.handle, codec: known.#codec.name, name: known.name });
      }
      return known;
    }
    if (!headerMatches(region, h.offset, h.nonce)) {
      throw new ForeignHandleError(`Mailbox.from: no live mailbox "${String(h.name)}" at offset ${h.offset}; was it freed?`);
    }
    const codec = fromCodec(h, options);
    const channel = Channel.from<Uint8Array>(h.channel as ChannelHandle<Uint8Array>);
    return new Mailbox(region, h.offset, channel, codec, h.nonce, h.name ?? `mailbox@${h.offset}`, checkMaxSaved(options.maxSaved, "Mailbox.from"));
  }

  /** A requester's reply inbox, resolved by a server from a request envelope (undefined when
   *  it is no longer there). Codec: replies carry bytes encoded by the server's codec. */
  static #replyTarget(region: Region, offset: number, nonce: number): Mailbox<any> | undefined {
    const known = cache.get(region)?.get(offset);
    if (known && known.#nonce === nonce && !known.#freed) return headerMatches(region, offset, nonce) ? known : undefined;
    if (!headerMatches(region, offset, nonce)) return undefined;
    const w = region.words;
    const channelOffset = Atomics.load(w, (offset + MB_CHANNEL) >> 2);
    const maxMessageBytes = Atomics.load(w, (offset + MB_MAX_MSG) >> 2);
    let channel: Channel<Uint8Array>;
    try {
      channel = Channel.from<Uint8Array>({
        __sabre: "channel", region: region.handle, offset: channelOffset, codec: "raw", maxMessageBytes, name: `reply inbox@${offset}`,
      });
    } catch {
      return undefined;
    }
    const inbox = new Mailbox(region, offset, channel, resolveCodec<unknown>("raw", "Mailbox"), nonce, `reply inbox@${offset}`, DEFAULT_MAX_SAVED);
    inbox.#codecKnown = false;
    return inbox;
  }

  /** This thread's reply inbox in `region` for blocking or async requests (made lazily). */
  static #replyInbox(region: Region, mode: "sync" | "async"): Mailbox<any> {
    let slot = replyInboxes.get(region);
    if (!slot) replyInboxes.set(region, (slot = {}));
    let inbox = slot[mode];
    if (!inbox || inbox.#freed) {
      inbox = Mailbox.create(region, { ...REPLY_INBOX, codec: "raw", name: `reply inbox (${mode}) of agent ${region.agent}` });
      slot[mode] = inbox;
    }
    return inbox;
  }

  /**
   * Closes and frees this thread's reply inboxes in `region` (made by request/requestAsync).
   * Call it when this thread is done making requests there and no server can still be
   * replying (a later request makes new ones). Throws while an async request is in flight.
   */
  static freeReplyInboxes(region: Region): void {
    const slot = replyInboxes.get(region);
    if (!slot) return;
    for (const mode of ["sync", "async"] as const) {
      const inbox = slot[mode];
      if (!inbox) continue;
      if (inbox.#pending.size > 0 || inbox.#pump) {
        throw new InvalidArgumentError(`Mailbox.freeReplyInboxes: ${inbox.#pending.size} async request(s) still wait for replies; await them first`);
      }
      if (!inbox.#freed) {
        inbox.close();
        inbox.free();
      }
      slot[mode] = undefined;
    }
  }

  // ---- observers -----------------------------------------------------------------------------

  /** Messages and requests waiting for this thread: saved ones plus the channel's buffered
   *  ones (a racy snapshot; on a writer thread, just the channel's). */
  get len(): number {
    return this.#saved.length + this.#channel.len;
  }
  /** Messages and requests in this thread's save queue. */
  get saved(): number {
    return this.#saved.length;
  }
  /** Whether the mailbox was closed: sends fail, receives drain what is left and then end. */
  get closed(): boolean {
    return this.#channel.closed;
  }
  /** Messages the mailbox buffers before senders wait. */
  get capacity(): number {
    return this.#channel.capacity;
  }
  /**
   * Most non-matching messages this reader keeps for later receives (SaveQueueFullError past it).
   */
  get maxSaved(): number {
    return this.#maxSaved;
  }

  // ---- encoding --------------------------------------------------------------------------------

  #encodeValue(value: unknown, what: string): Uint8Array {
    try {
      return this.#codec.encode(value as T);
    } catch (error) {
      if (error instanceof CodecError) throw new CodecError(`${what} on ${this.name}: ${error.message}`, { cause: error.cause });
      throw new CodecError(`${what} on ${this.name}: the ${this.#codec.name} codec could not encode the value: ${(error as Error).message}`, { cause: error });
    }
  }

  #decodeValue<V>(codec: Codec<V>, bytes: Uint8Array, what: string, owner: string): V {
    try {
      return codec.decode(bytes);
    } catch (error) {
      throw new CodecError(
        `${what} on ${owner}: a ${bytes.length}-byte value could not be decoded by the ${codec.name} codec (${(error as Error).message}); it was consumed`,
        { cause: error },
      );
    }
  }

  #unpack(bytes: Uint8Array, what: string): Incoming<T> {
    if (bytes.length < ENV_HEADER) throw new CodecError(`${what} on ${this.name}: a ${bytes.length}-byte message is not a mailbox envelope`);
    const m = unpackHeader<T>(bytes);
    const kind = m.kind;
    if (kind === K_MESSAGE || kind === K_REQUEST) m.value = this.#decodeValue(this.#codec, m.payload, what, this.name);
    else if (kind !== K_REPLY && kind !== K_FAILURE) throw new CodecError(`${what} on ${this.name}: unknown envelope kind ${kind}`);
    return m;
  }

  /** The value of a reply (or the RemoteError of a failure), decoded with the server's codec. */
  #replyValue(m: Incoming<T>, codec: Codec<any>, what: string): unknown {
    if (m.kind === K_REPLY) return this.#decodeValue(codec, m.payload, what, this.name);
    throw decodeFailure(m.payload, what);
  }

  // ---- errors ----------------------------------------------------------------------------------

  #peerGoneError(what: string): PeerGoneError {
    return new PeerGoneError(`${what} to ${this.name}: the mailbox was marked peer-gone (the thread serving it died) before a reply came`);
  }

  #closedError(what: string): ClosedError {
    return new ClosedError(`${what} on ${this.name}: the mailbox is closed and holds no such message; nothing more can arrive`);
  }

  #rethrow(error: unknown, what: string, ms: number): never {
    if (error instanceof TimeoutError) throw timeoutError(`${what} on ${this.name}`, ms);
    if (error instanceof ClosedError) throw this.#closedError(what);
    if (error instanceof InvalidArgumentError && error.message.includes("already inside")) {
      // the channel's send/receive lock is held by this very thread: an async call in flight
      throw new InvalidArgumentError(
        `${what} on ${this.name}: this thread has an async send or receive on this mailbox in flight; await it, or use the async form`,
        { cause: error },
      );
    }
    throw error;
  }

  #checkLive(what: string): void {
    if (this.#freed) throw new InvalidArgumentError(`${what} on ${this.name}: the mailbox was freed`);
  }

  // ---- send --------------------------------------------------------------------------------------

  #sendBytes(bytes: Uint8Array, options: WaitOptions | undefined, what: string): void {
    this.#checkLive(what);
    try {
      this.#channel.send(bytes, options);
    } catch (error) {
      this.#rethrow(error, what, timeoutMs(options));
    }
  }

  #sendBytesAsync(bytes: Uint8Array, options: WaitOptions | undefined, what: string): Promise<void> {
    this.#checkLive(what);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const run = async () => {
      const left = deadline === Infinity ? undefined : Math.max(0, deadline - performance.now());
      try {
        await this.#channel.sendAsync(bytes, { timeout: left, signal: options?.signal });
      } catch (error) {
        this.#rethrow(error, what, ms);
      }
    };
    const p = this.#sendChain.then(run, run);
    this.#sendChain = p.catch(() => {});
    return p;
  }

  /** Sends `value`, blocking while the mailbox is full. Throws ClosedError once closed. */
  send(value: T, options?: WaitOptions): void {
    const what = "Mailbox.send";
    checkBlocking(what, options);
    this.#sendBytes(envelope(K_MESSAGE, 0, 0, 0, this.#encodeValue(value, what)), options, what);
  }

  /** One attempt: true if sent, false if the mailbox is full now (or another sender of this
   *  mailbox is mid-message: Channel.trySend semantics). Throws ClosedError once closed. */
  trySend(value: T): boolean {
    const what = "Mailbox.trySend";
    this.#checkLive(what);
    const bytes = envelope(K_MESSAGE, 0, 0, 0, this.#encodeValue(value, what));
    try {
      return this.#channel.trySend(bytes);
    } catch (error) {
      this.#rethrow(error, what, -1);
    }
  }

  /** `send` without blocking the thread (async sends of one thread go out one at a time). */
  async sendAsync(value: T, options?: WaitOptions): Promise<void> {
    const what = "Mailbox.sendAsync";
    throwIfAborted(what, options?.signal);
    await this.#sendBytesAsync(envelope(K_MESSAGE, 0, 0, 0, this.#encodeValue(value, what)), options, what);
  }

  // ---- reader: routing ----------------------------------------------------------------------------

  #accepts(sel: Selector<T>, m: Incoming<T>): boolean {
    if (sel.kind === K_REPLY) return (m.kind === K_REPLY || m.kind === K_FAILURE) && m.id === sel.id;
    return m.kind === sel.kind && (!sel.match || sel.match(m.value as T));
  }

  /** Takes the first saved entry `sel` accepts, or undefined. */
  #fromSaved(sel: Selector<T>): Incoming<T> | undefined {
    if (sel.kind === K_REPLY) return undefined; // replies are never saved
    const saved = this.#saved;
    for (let i = 0; i < saved.length; i++) {
      if (this.#accepts(sel, saved[i])) return saved.splice(i, 1)[0];
    }
    return undefined;
  }

  /** A message nobody waiting wants right now: settle a pending reply, drop a stale one, or
   *  save a message/request (throws SaveQueueFullError past maxSaved, the message kept). */
  #stash(m: Incoming<T>, what: string): void {
    if (m.kind === K_REPLY || m.kind === K_FAILURE) {
      const p = this.#pending.get(m.id);
      if (!p) return; // stale: its request gave up
      this.#pending.delete(m.id);
      p.cleanup();
      let settle: () => void;
      try {
        const v = this.#replyValue(m, p.codec, p.what);
        settle = () => p.resolve(v);
      } catch (error) {
        settle = () => p.reject(error);
      }
      if (this.#pump) this.#settle.push(settle); // settled once the pump lets go (see #startPump)
      else settle();
      return;
    }
    this.#saved.push(m);
    if (this.#saved.length > this.#maxSaved) throw this.#fullError(what);
  }

  #fullError(what: string): SaveQueueFullError {
    const requests = this.#saved.filter((m) => m.kind === K_REQUEST).length;
    return new SaveQueueFullError(
      `${what} on ${this.name}: ${this.#saved.length} messages are saved for later receives (${requests} of them requests), above maxSaved ${this.#maxSaved}; ` +
        "receive without a predicate (or receiveRequest for requests) to drain them, or raise maxSaved",
    );
  }

  #checkReadable(what: string): void {
    this.#checkLive(what);
    if (this.#saved.length > this.#maxSaved) throw this.#fullError(what);
  }

  /** Blocking take: saved queue first, then the channel. */
  #takeSync(sel: Selector<T>, options: WaitOptions | undefined, what: string): Incoming<T> {
    checkBlocking(what, options);
    const ms = timeoutMs(options);
    const hit = this.#fromSaved(sel);
    if (hit) return hit;
    this.#checkReadable(what);
    if (this.#pump) {
      throw new InvalidArgumentError(`${what} on ${this.name}: an async receive or request is waiting on this mailbox in this thread; use the async form`);
    }
    const deadline = deadlineFrom(ms);
    for (;;) {
      const left = ms < 0 ? undefined : Math.max(0, deadline - performance.now());
      let bytes: Uint8Array;
      try {
        bytes = this.#channel.recv({ timeout: left });
      } catch (error) {
        this.#rethrow(error, what, ms);
      }
      const m = this.#unpack(bytes, what);
      if (this.#takeOrStash(sel, m, what)) return m;
    }
  }

  /** Whether `m` is what `sel` wants; if not (or `match` throws), it goes to the save queue. */
  #takeOrStash(sel: Selector<T>, m: Incoming<T>, what: string): boolean {
    let wanted: boolean;
    try {
      wanted = this.#accepts(sel, m);
    } catch (error) {
      this.#stash(m, what);
      throw error;
    }
    if (!wanted) this.#stash(m, what);
    return wanted;
  }

  /** Non-blocking take: undefined when nothing matching is there now. */
  #takeNow(sel: Selector<T>, what: string): { m?: Incoming<T>; closed: boolean } {
    const hit = this.#fromSaved(sel);
    if (hit) return { m: hit, closed: false };
    this.#checkReadable(what);
    for (;;) {
      let r: { ok: true; value: Uint8Array } | { ok: false; closed: boolean };
      try {
        r = this.#channel.tryRecv();
      } catch (error) {
        this.#rethrow(error, what, -1);
      }
      if (!r.ok) return { closed: r.closed };
      const m = this.#unpack(r.value, what);
      if (this.#takeOrStash(sel, m, what)) return { m, closed: false };
    }
  }

  /** Async take: saved queue, one non-blocking pass, then a waiter served by the pump. */
  #takeAsync(sel: Selector<T>, options: WaitOptions | undefined, what: string): Promise<Incoming<T>> {
    try {
      throwIfAborted(what, options?.signal);
      const ms = timeoutMs(options);
      if (!this.#pump) {
        const now = this.#takeNow(sel, what);
        if (now.m) return Promise.resolve(now.m);
        if (now.closed) throw this.#closedError(what);
      } else {
        const hit = this.#fromSaved(sel);
        if (hit) return Promise.resolve(hit);
        this.#checkReadable(what);
      }
      if (ms === 0) throw timeoutError(`${what} on ${this.name}`, 0);
      return new Promise<Incoming<T>>((resolve, reject) => {
        const signal = options?.signal;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => this.#dropWaiter(w, new AbortError(`${what} on ${this.name} was aborted by its AbortSignal`, { cause: signal?.reason }));
        const w: Waiter<T> = {
          sel, resolve, reject,
          cleanup: () => {
            if (timer !== undefined) clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
          },
        };
        if (ms > 0) timer = setTimeout(() => this.#dropWaiter(w, timeoutError(`${what} on ${this.name}`, ms)), ms);
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#waiters.push(w);
        this.#startPump();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Removes a waiter that gives up; rejects it once the pump no longer holds the receive lock
   *  (if it was the last reason for the pump), so the caller may block on the mailbox next. */
  #dropWaiter(w: Waiter<T>, error: unknown): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    w.cleanup();
    this.#afterGiveUp(() => w.reject(error));
  }

  #afterGiveUp(settle: () => void): void {
    if (this.#pump && !this.#wantPump()) {
      this.#pumpAbort?.abort();
      this.#pump.then(settle, settle);
    } else settle();
  }

  #wantPump(): boolean {
    return this.#waiters.length > 0 || this.#pending.size > 0;
  }

  #startPump(): void {
    if (this.#pump) return;
    this.#pump = this.#runPump().then((failure) => {
      // the receive lock is free again: now the settlements the pump made take effect, so a
      // caller that resumes may block on this mailbox at once
      this.#pump = undefined;
      this.#pumpAbort = undefined;
      if (failure) this.#failAll(failure.error);
      this.#flush();
      if (this.#wantPump()) this.#startPump();
    });
  }

  #flush(): void {
    const settle = this.#settle;
    this.#settle = [];
    for (const f of settle) f();
  }

  /**
   * Reads the channel while someone waits; hands each message to the oldest waiter that
   * wants it, else stashes it (pending reply settled, stale reply dropped, or saved). Waiters
   * are settled after the read while others still wait, or once the pump has stopped.
   */
  async #runPump(): Promise<{ error: unknown } | undefined> {
    const what = "Mailbox.receiveAsync";
    while (this.#wantPump() && !this.#freed) {
      const ctl = new AbortController();
      this.#pumpAbort = ctl;
      let bytes: Uint8Array;
      try {
        bytes = await this.#channel.recvAsync({ signal: ctl.signal });
      } catch (error) {
        if (ctl.signal.aborted && isA(error, "AbortError")) continue;
        return { error: error instanceof ClosedError ? this.#closedError(what) : error };
      }
      let m: Incoming<T> | undefined;
      try {
        m = this.#unpack(bytes, what);
        const msg = m;
        const w = this.#waiters.find((x) => this.#accepts(x.sel, msg));
        if (w) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.cleanup();
          this.#settle.push(() => w.resolve(msg));
        } else this.#stash(m, what);
      } catch (error) {
        // undecodable (consumed): the oldest waiter gets the error; a predicate threw or the
        // save queue overflowed (the message is kept): every waiter gets it
        const hit = m === undefined ? this.#waiters.splice(0, 1) : this.#waiters.splice(0);
        if (m && !this.#saved.includes(m) && (m.kind === K_MESSAGE || m.kind === K_REQUEST)) this.#saved.push(m);
        for (const x of hit) {
          x.cleanup();
          this.#settle.push(() => x.reject(error));
        }
      }
      if (this.#wantPump()) this.#flush();
    }
    return undefined;
  }

  #failAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.cleanup();
      w.reject(error);
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.cleanup();
      p.reject(error);
    }
  }

  // ---- reader: plain messages --------------------------------------------------------------------

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
    return this.#takeSync({ kind: K_MESSAGE, match }, options, "Mailbox.receive").value as T;
  }

  /** One attempt: { ok: true, value } or { ok: false, closed } (closed: the channel is closed
   *  and drained; saved messages that `match` does not accept may remain). */
  tryReceive<S extends T>(match: (value: T) => value is S): MailboxTryResult<S>;
  tryReceive(match?: Match<T>): MailboxTryResult<T>;
  tryReceive(match?: Match<T>): MailboxTryResult<T> {
    const r = this.#takeNow({ kind: K_MESSAGE, match }, "Mailbox.tryReceive");
    return r.m ? { ok: true, value: r.m.value as T } : { ok: false, closed: r.closed };
  }

  /** `receive` without blocking the thread; several may wait at once (each message goes to
   *  the oldest waiting receive that accepts it). */
  receiveAsync<S extends T>(match: (value: T) => value is S, options?: WaitOptions): Promise<S>;
  receiveAsync(match?: Match<T>, options?: WaitOptions): Promise<T>;
  receiveAsync(options?: WaitOptions): Promise<T>;
  async receiveAsync(a?: Match<T> | WaitOptions, b?: WaitOptions): Promise<T> {
    const [match, options] = args(a, b);
    return (await this.#takeAsync({ kind: K_MESSAGE, match }, options, "Mailbox.receiveAsync")).value as T;
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

  // ---- reader: requests ------------------------------------------------------------------------------

  #request<R>(m: Incoming<T>): MailboxRequest<T, R> {
    return new MailboxRequest<T, R>(m.value as T, this, m.id, m.replyOffset, m.replyNonce);
  }

  /** Receives the next request `match` accepts (blocking); answer it with reply or fail. */
  receiveRequest<R = unknown>(match?: Match<T>, options?: WaitOptions): MailboxRequest<T, R>;
  receiveRequest<R = unknown>(options?: WaitOptions): MailboxRequest<T, R>;
  receiveRequest<R = unknown>(a?: Match<T> | WaitOptions, b?: WaitOptions): MailboxRequest<T, R> {
    const [match, options] = args(a, b);
    return this.#request<R>(this.#takeSync({ kind: K_REQUEST, match }, options, "Mailbox.receiveRequest"));
  }

  /** One attempt at receiveRequest: the request, or undefined when none is there now. */
  tryReceiveRequest<R = unknown>(match?: Match<T>): MailboxRequest<T, R> | undefined {
    const r = this.#takeNow({ kind: K_REQUEST, match }, "Mailbox.tryReceiveRequest");
    return r.m ? this.#request<R>(r.m) : undefined;
  }

  /** `receiveRequest` without blocking the thread. */
  receiveRequestAsync<R = unknown>(match?: Match<T>, options?: WaitOptions): Promise<MailboxRequest<T, R>>;
  receiveRequestAsync<R = unknown>(options?: WaitOptions): Promise<MailboxRequest<T, R>>;
  async receiveRequestAsync<R = unknown>(a?: Match<T> | WaitOptions, b?: WaitOptions): Promise<MailboxRequest<T, R>> {
    const [match, options] = args(a, b);
    return this.#request<R>(await this.#takeAsync({ kind: K_REQUEST, match }, options, "Mailbox.receiveRequestAsync"));
  }

  /**
   * Serves requests one at a time (blocking): replies with `handler(value)`, or fails with
   * what it throws (the requester gets a RemoteError). A handler may answer by itself through
   * its second argument. Returns the number served when the mailbox is closed and has no
   * request left, or (checked between requests) when `signal` aborts. The handler must be
   * synchronous here; use serveAsync for async handlers.
   */
  serve<R>(handler: (value: T, request: MailboxRequest<T, R>) => R, options: ServeOptions<T> = {}): number {
    const what = "Mailbox.serve";
    checkBlocking(what, options);
    const replyOptions = { timeout: options.replyTimeout };
    let served = 0;
    for (;;) {
      if (options.signal?.aborted) return served;
      let req: MailboxRequest<T, R>;
      try {
        req = this.receiveRequest<R>(options.match, { timeout: options.timeout });
      } catch (error) {
        if (error instanceof ClosedError || error instanceof TimeoutError) return served;
        throw error;
      }
      served++;
      let result: R;
      try {
        result = handler(req.value, req);
      } catch (error) {
        if (!req.answered) this.#quietly(() => req.fail(error, replyOptions));
        continue;
      }
      if (req.answered) continue;
      if (result && typeof (result as { then?: unknown }).then === "function") {
        this.#quietly(() => req.fail(new InvalidArgumentError(`${what} on ${this.name}: the handler returned a promise; use serveAsync for async handlers`), replyOptions));
        continue;
      }
      this.#replyOrFail(req, result, replyOptions);
    }
  }

  /** `serve` without blocking the thread; `handler` may be async. Resolves with the number
   *  served when the mailbox is closed and drained of requests, or when `signal` aborts. */
  async serveAsync<R>(handler: (value: T, request: MailboxRequest<T, R>) => R | Promise<R>, options: ServeOptions<T> = {}): Promise<number> {
    const replyOptions = { timeout: options.replyTimeout };
    let served = 0;
    for (;;) {
      if (options.signal?.aborted) return served;
      let req: MailboxRequest<T, R>;
      try {
        req = await this.receiveRequestAsync<R>(options.match, { timeout: options.timeout, signal: options.signal });
      } catch (error) {
        if (error instanceof ClosedError || error instanceof AbortError || error instanceof TimeoutError) return served;
        throw error;
      }
      served++;
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
  }

  #replyOrFail<R>(req: MailboxRequest<T, R>, result: R, options: WaitOptions): void {
    try {
      req.reply(result, options);
    } catch (error) {
      // an unencodable result: tell the requester instead of leaving it waiting
      if (!req.answered) this.#quietly(() => req.fail(error, options));
    }
  }

  #quietly(f: () => unknown): void {
    try {
      f();
    } catch {
      // the requester is gone, or its inbox stayed full past replyTimeout: the reply is dropped
    }
  }

  /** @internal Sends a reply or failure for a request this mailbox received (MailboxRequest). */
  deliverReply(
    kind: number, id: number, replyOffset: number, replyNonce: number, value: unknown, options: WaitOptions | undefined,
    async: boolean, encoded: () => void,
  ): boolean | Promise<boolean> {
    const what = kind === K_REPLY ? "MailboxRequest.reply" : "MailboxRequest.fail";
    if (!async) checkBlocking(what, options);
    const payload = kind === K_REPLY ? this.#encodeValue(value, what) : encodeFailure(value);
    const bytes = envelope(kind, id, 0, 0, payload);
    encoded();
    const inbox = Mailbox.#replyTarget(this.region, replyOffset, replyNonce);
    if (!inbox) return async ? Promise.resolve(false) : false;
    const gone = (error: unknown) => {
      if (error instanceof ClosedError) return false;
      throw error;
    };
    if (async) return inbox.#sendBytesAsync(bytes, options, what).then(() => true, gone);
    try {
      inbox.#sendBytes(bytes, options, what);
      return true;
    } catch (error) {
      return gone(error);
    }
  }

  // ---- requester ---------------------------------------------------------------------------------

  #inboxFor(options: RequestOptions | undefined, mode: "sync" | "async", what: string): Mailbox<any> {
    const inbox = options?.replyTo ?? Mailbox.#replyInbox(this.region, mode);
    if (!(inbox instanceof Mailbox)) throw new InvalidArgumentError(`${what}: replyTo must be a Mailbox`);
    if (inbox.region !== this.region) {
      throw new ForeignHandleError(`${what} on ${this.name}: replyTo must live in the same region as the mailbox it asks (the server finds it by offset)`);
    }
    return inbox;
  }

  static #newId(inbox: Mailbox<any>): number {
    inbox.#nextId = (inbox.#nextId + 1) >>> 0 || 1;
    return inbox.#nextId;
  }

  /**
   * Sends `value` as a request to this mailbox and waits (blocking) for the reply of the
   * thread that serves it. The timeout covers sending and the reply; a reply that arrives
   * later is dropped. A handler error comes back as RemoteError.
   */
  request<R = unknown>(value: T, options?: RequestOptions): R {
    const what = "Mailbox.request";
    checkBlocking(what, options);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const left = () => (ms < 0 ? undefined : Math.max(0, deadline - performance.now()));
    const inbox = this.#inboxFor(options, "sync", what);
    const id = Mailbox.#newId(inbox);
    const bytes = envelope(K_REQUEST, id, inbox.offset, inbox.#nonce, this.#encodeValue(value, what));
    this.#sendBytes(bytes, { timeout: left() }, what);
    let m: Incoming<any>;
    for (;;) {
      // wait in slices: between them, a server that died (its mailbox marked peer-gone by
      // spawnWorker) ends the wait instead of the timeout
      const rest = left();
      const slice = rest === undefined ? PEER_CHECK_MS : Math.min(rest, PEER_CHECK_MS);
      try {
        m = inbox.#takeSync({ kind: K_REPLY, id }, { timeout: slice }, what);
        break;
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        if (this.#channel.peerGone) throw this.#peerGoneError(what);
        if (rest !== undefined && rest <= slice) throw timeoutError(`${what} to ${this.name}`, ms);
      }
    }
    return inbox.#replyValue(m, this.#codec, `${what} to ${this.name}`) as R;
  }

  /** `request` without blocking the thread; any number may be in flight at once. */
  requestAsync<R = unknown>(value: T, options?: RequestOptions): Promise<R> {
    const what = "Mailbox.requestAsync";
    try {
      throwIfAborted(what, options?.signal);
      const ms = timeoutMs(options);
      const deadline = deadlineFrom(ms);
      const inbox = this.#inboxFor(options, "async", what);
      inbox.#checkLive(what);
      const bytes0 = this.#encodeValue(value, what);
      const id = Mailbox.#newId(inbox);
      const bytes = envelope(K_REQUEST, id, inbox.offset, inbox.#nonce, bytes0);
      const signal = options?.signal;
      const reply = new Promise<R>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        let watch: ReturnType<typeof setInterval> | undefined;
        const giveUp = (error: unknown) => {
          const p = inbox.#pending.get(id);
          if (!p) return;
          inbox.#pending.delete(id);
          p.cleanup();
          inbox.#afterGiveUp(() => reject(error));
        };
        const onAbort = () => giveUp(new AbortError(`${what} to ${this.name} was aborted by its AbortSignal`, { cause: signal?.reason }));
        inbox.#pending.set(id, {
          codec: this.#codec, what: `${what} to ${this.name}`, resolve: resolve as (v: unknown) => void, reject,
          cleanup: () => {
            if (timer !== undefined) clearTimeout(timer);
            clearInterval(watch);
            signal?.removeEventListener("abort", onAbort);
          },
        });
        if (ms >= 0) timer = setTimeout(() => giveUp(timeoutError(`${what} to ${this.name}`, ms)), ms);
        // a server that died (its mailbox marked peer-gone) ends the wait instead of the timeout
        watch = setInterval(() => {
          if (this.#channel.peerGone) giveUp(this.#peerGoneError(what));
        }, PEER_CHECK_MS);
        signal?.addEventListener("abort", onAbort, { once: true });
        inbox.#startPump();
        const left = deadline === Infinity ? undefined : Math.max(0, deadline - performance.now());
        this.#sendBytesAsync(bytes, { timeout: left, signal }, what).catch(giveUp);
      });
      return reply;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- both sides ------------------------------------------------------------------------------------

  /** Closes the mailbox (idempotent): sends and requests fail from now on; the reader drains
   *  what is buffered and saved, then receives throw ClosedError and iteration ends. */
  close(): void {
    this.#channel.close();
  }

  /** Marks the mailbox's peers gone (spawnWorker does this when a worker it was passed to
   *  crashes): blocked and later sends, receives and requests on it throw PeerGoneError. */
  markPeerGone(): void {
    this.#channel.markPeerGone();
  }

  /**
   * Returns the mailbox's memory to the region. It must be unused everywhere (close it, let
   * the reader drain, stop servers); waiting async receives and requests of this thread are
   * rejected with ClosedError.
   */
  free(): void {
    const what = "Mailbox.free";
    this.#checkLive(what);
    if (!headerMatches(this.region, this.offset, this.#nonce)) {
      throw new ForeignHandleError(`${what} on ${this.name}: already freed (by another thread?)`);
    }
    this.#freed = true;
    this.#failAll(new ClosedError(`${what} on ${this.name}: the mailbox was freed`));
    this.#pumpAbort?.abort();
    const finish = () => {
      Atomics.store(this.region.words, (this.offset + MB_MAGIC) >> 2, 0); // first: replies to it become no-ops
      Atomics.store(this.region.words, (this.offset + MB_NONCE) >> 2, 0);
      this.#channel.close();
      this.#channel.free();
      this.region.free(this.offset);
    };
    cache.get(this.region)?.delete(this.offset);
    this.#saved.length = 0;
    if (this.#pump) this.#pump.then(finish, finish); // after the pump let go of the receive lock
    else finish();
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

function fromCodec<T>(h: Partial<MailboxHandle>, options: MailboxFromOptions<T>): Codec<T> {
  if (options.codec) return options.codec;
  if (h.codec === "msgpack" || h.codec === "raw" || h.codec === "json") return resolveCodec<T>(h.codec, "Mailbox.from");
  throw new InvalidArgumentError(`Mailbox.from: this mailbox uses the custom codec "${String(h.codec)}"; pass it as Mailbox.from(handle, { codec })`);
}

function checkMaxSaved(v: number | undefined, what: string): number {
  const n = v ?? DEFAULT_MAX_SAVED;
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what}: maxSaved is a number of messages >= 0, got ${String(v)}`);
  return n;
}

function args<T>(a: Match<T> | WaitOptions | undefined, b: WaitOptions | undefined): [Match<T> | undefined, WaitOptions | undefined] {
  if (typeof a === "function") return [a, b];
  if (a === undefined || a === null) return [undefined, b];
  if (typeof a === "object") return [undefined, a];
  throw new InvalidArgumentError(`match must be a function (value) => boolean, got ${typeof a}`);
}
