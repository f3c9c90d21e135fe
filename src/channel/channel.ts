// channel.ts — Channel<T>: a typed, bounded, multi-producer multi-consumer channel of messages
// in shared memory (facade over assembly/channel.ts, whose header is the protocol).
//
// Go semantics: `capacity` counts MESSAGES (0 = rendezvous: a send completes when a receiver
// has taken the value), `len` is the number of messages buffered. Values of any size go
// through a codec (msgpack by default, see codec.ts) into a byte ring of `bufferBytes`;
// messages larger than a fragment (about bufferBytes / 4, a multiple of 8) stream through the ring in
// fragments, the sender holding the send lock and the receiver the recv lock for a whole
// message. `maxMessageBytes` (default 64 MiB) is checked before anything is written.
//
//   blocking    send(v), recv()                       park the thread (not on a browser main thread)
//               sendMany(values)                      a batch under one send-lock hold, as batch
//                                                     frames where they fit (assembly/channel-fast.ts)
//               recvMany(max), recvManyAsync(max)     what is there, up to max, one codec call
//               recvInto(buf), recvIntoAsync(buf)     raw channels: into a caller's buffer
//   try         trySend(v) -> boolean, tryRecv() -> { ok, value } | { ok: false, closed }
//   async       sendAsync(v), recvAsync()             park with the region parker's async wait
//   zero-copy   reserve(len) -> view, commit();       raw bytes, one fragment at most
//               recvView() -> view, release()
//               sendParts(len, fill), recvParts(read)  any size: the message's fragments written and
//                                                     read in place, one ring window at a time
//   reuse       recycle(bytes)                        raw: a received array back for later receives
//                                                     (blocking receives of msgpack and json
//                                                     messages in several fragments reuse a
//                                                     private buffer by themselves)
//   iteration   for (const v of ch) (blocking), for await (const v of ch)
//
// Send and receive are written once, as the step machines of send.ts and recv.ts; this facade
// runs them blocking (as the thread's agent), async (as a fresh agent per call: any number of
// async tasks of one thread may wait on one channel, served in turn) and as tries, after the
// one-call fast paths (ch_send_begin/end, ch_recv_begin/end). Select reaches a channel only
// through its cases (selectRecv / selectSend: Selectable, selectable.ts).
//
// The object's plain-code parts are internal helpers it owns, one of each per object: io.ts
// (ChannelIO: the codec and its errors, the one-call fast paths, the receive spin),
// batch-receive.ts (BatchReceive: recvMany's gathering and one-call decoding) and large.ts
// (ReceivePool: recycled arrays and the receive buffer; recvInto's and the parts' helpers).
// This file keeps the public API, the drivers and the wiring of the machines.
//
// Every wait takes { timeout, signal }. A sender that gives up after part of a message is in
// the ring never leaves half a message: it withdraws the message if no receiver claimed it,
// else writes a cancel frame so the receiver drops the partial (assembly/channel.ts). A receive
// that gives up after the first fragment of a claimed message (its timeout or signal; a sender
// that died mid-message) drops that message and leaves the channel usable (recv.ts).
//
// Close: later sends throw ClosedError; receivers drain every complete message, then recv
// throws ClosedError and iteration ends. markPeerGone makes every blocked and later operation
// throw PeerGoneError. A thread or process that dies (README, "When a party dies";
// assembly/channel-recover.ts): its send or receive lock is taken over by the next sender or receiver
// (a half-sent message withdrawn or cancelled, a claimed unread one re-delivered), and a wait
// fails with PeerGoneError only when every party on its other side has crashed.
import * as L from "../../assembly/layout";
import { resolveCodec, type Codec, type CodecName } from "../codec/codec";
import { ForeignHandleError, InvalidArgumentError } from "../errors";
import { attach, createIn, type PrimitiveHandle, type Typed } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { checkOptionKeys, describeValue } from "../options";
import { freeChannelStructures } from "../codec/structures";
import { Deadline } from "../wait/deadline";
import { runAsync, runBlocking, runTry, type Steps } from "../wait/steps";
import { blockingAllowed, checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";
import { channelPort, regionEvents, type ChannelPort } from "./port";
import { recvSelectable, sendSelectable } from "./cases";
import type { RecvSelectSource, SendSelectSource, Selectable } from "./selectable";
import { recvSteps, type Into, type PartsReader, type RecvHow } from "./recv";
import { commitSteps, reserveSteps, sendManySteps, sendSteps, type PartsWriter } from "./send";
import { ChannelIO, CLAIMED, END, NONE } from "./io";
import { BatchReceive, checkMax, TAKEN } from "./batch-receive";
import { checkInto, checkParts, checkPartsLength, checkRecycle, intoFast, intoResult, partsResult, partsSink } from "./large";

/**
 * The structured-cloneable handle of a {@link Channel}: pass it to another thread and call
 * `Channel.from` there.
 */
export interface ChannelHandle<T = unknown> extends PrimitiveHandle<"channel">, Typed<T> {
  /**
   * The name of the channel's codec; `from` picks the same one (pass the object for a custom
   * codec).
   */
  readonly codec: string;
  /** Largest encoded message the channel accepts. */
  readonly maxMessageBytes: number;
  /** The channel's name in error messages. */
  readonly name: string;
}

/** Options of {@link Channel.create}. */
export interface ChannelOptions<T> {
  /** Messages that may be buffered (Go's cap); 0 (default) = rendezvous. */
  capacity?: number;
  /** Bytes of the ring carrying encoded messages: a power of two from 64 (default 65536). */
  bufferBytes?: number;
  /** "msgpack" (default), "raw" (Uint8Array), "json", or { name, encode, decode }. */
  codec?: CodecName | Codec<T>;
  /** Largest encoded message accepted (default 64 MiB); larger sends throw before writing. */
  maxMessageBytes?: number;
  /** A name for error messages. */
  name?: string;
}

const CHANNEL_OPTION_KEYS: readonly string[] = ["capacity", "bufferBytes", "codec", "maxMessageBytes", "name"];

/** Options of {@link Channel.from}. */
export interface FromOptions<T> {
  /** The codec object, for a channel created with a custom codec. */
  codec?: Codec<T>;
}

/** What {@link Channel.tryRecv} returns: a value, or why there is none now. */
export type TryRecvResult<T> =
  | {
    /** A message was taken. */
    ok: true;
    /** The message. */
    value: T;
  }
  | {
    /** No message now. */
    ok: false;
    /** Whether the channel is closed and drained (no message will ever come). */
    closed: boolean;
  };

const DEFAULT_BUFFER = 65536;
const DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;
const MIN_BUFFER = 64;
/**
 * A typed, bounded multi-producer multi-consumer channel of messages in shared memory, with Go's
 * semantics: `capacity` counts messages (0 = rendezvous), values go through a codec (msgpack by
 * default), large messages are split into fragments, `close` lets receivers drain. Blocking, async,
 * try and zero-copy forms, iteration, and `select` over several channels.
 */
export class Channel<T = unknown> implements RecvSelectSource<T>, SendSelectSource<T> {
  /** The structured-cloneable handle: post it to a worker and call `Channel.from` there. */
  readonly handle: ChannelHandle<T>;
  /** The codec, the one-call fast paths and the receive spin (io.ts); its pool (large.ts). */
  readonly #io: ChannelIO<T>;
  /** recvMany's gathered messages (batch-receive.ts). */
  readonly #batch: BatchReceive<T>;
  readonly #ring: number;
  readonly #maxFrame: number;
  readonly #capacity: number;
  /** What the send and receive machines know of this channel (port.ts). */
  readonly #port: ChannelPort;
  /** Agents of this object's pending async operations (each runs under its own). */
  readonly #asyncAgents = new Set<number>();
  /** First-fragment payload of a reserve() awaiting commit(); 0 when none. */
  #reserved = 0;
  /** Whether recvView() handed out a view awaiting release(). */
  #viewing = false;

  /**
   * @param region The region the channel lives in. @param offset Byte offset of the channel's block
   * in the region. @param maxMessageBytes Largest encoded message accepted; larger sends throw
   * MessageTooLargeError before writing. @param name The channel's name in error messages.
   */
  private constructor(readonly region: Region, readonly offset: number, codec: Codec<T>, readonly maxMessageBytes: number, readonly name: string) {
    this.handle = Object.freeze({
      __sabre: "channel" as const, region: region.handle, offset, codec: codec.name, maxMessageBytes, name,
    });
    const port = channelPort(region.core, region.memory.buffer, offset);
    this.#io = new ChannelIO(region, offset, codec, maxMessageBytes, name, port);
    this.#batch = new BatchReceive(this.#io);
    region.core.ch_attach(offset, region.agent); // this thread is a party of the channel (assembly/channel-recover.ts, sides)
    this.#port = port;
    this.#ring = port.ring;
    this.#maxFrame = port.maxFrame;
    this.#capacity = port.capacity;
  }

  /** Allocates a channel in `region`. */
  static create<T = unknown>(region: Region, options: ChannelOptions<T> = {}): Channel<T> {
    expectRegion(region, "Channel.create");
    checkOptionKeys("Channel.create", options, CHANNEL_OPTION_KEYS);
    const capacity = options.capacity ?? 0;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > L.CH_MAX_CAPACITY) {
      throw new InvalidArgumentError(`Channel.create: capacity is a number of messages from 0 (rendezvous) to ${L.CH_MAX_CAPACITY}, got ${describeValue(capacity)}`);
    }
    const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER;
    const size = Number.isInteger(bufferBytes) && bufferBytes >= MIN_BUFFER ? region.core.ch_size_of(bufferBytes) : 0;
    if (size === 0) {
      throw new InvalidArgumentError(
        `Channel.create: bufferBytes must be a power of two from ${MIN_BUFFER} to ${L.BR_MAX_CAPACITY}, got ${describeValue(bufferBytes)}`,
      );
    }
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0 || maxMessageBytes > 0x7fffffff) {
      throw new InvalidArgumentError(`Channel.create: maxMessageBytes must be an integer from 0 to 2^31 - 1, got ${describeValue(maxMessageBytes)}`);
    }
    const codec = resolveCodec(options.codec, "Channel.create");
    const offset = createIn(region, L.KIND_CHANNEL, size, "Channel.create", (core, at) => core.ch_init(at, capacity, bufferBytes));
    return new Channel(region, offset, codec, maxMessageBytes, options.name ?? `channel@${offset}`);
  }

  /** Attaches to a channel from its handle (same codec by name; pass { codec } for a custom one). */
  static from<T = unknown>(handle: ChannelHandle<T>, options: FromOptions<T> = {}): Channel<T> {
    const { region, offset } = attach(handle, "channel", L.KIND_CHANNEL);
    const maxMessageBytes: unknown = handle.maxMessageBytes;
    if (typeof maxMessageBytes !== "number" || !Number.isInteger(maxMessageBytes) || maxMessageBytes < 0 || maxMessageBytes > 0x7fffffff) {
      throw new ForeignHandleError(
        `Channel.from: the handle's maxMessageBytes must be an integer from 0 to 2^31 - 1, got ${describeValue(maxMessageBytes)}; is it a handle this sabre made?`,
      );
    }
    let codec: Codec<T>;
    if (options.codec) codec = options.codec;
    else if (handle.codec === "msgpack" || handle.codec === "raw" || handle.codec === "json") codec = resolveCodec<T>(handle.codec, "Channel.from");
    else {
      throw new InvalidArgumentError(
        `Channel.from: this channel uses the custom codec "${handle.codec}"; pass it as Channel.from(handle, { codec })`,
      );
    }
    return new Channel(region, offset, codec, maxMessageBytes, handle.name);
  }

  // ---- observers --------------------------------------------------------------------------

  /** Messages buffered (begun and not yet taken by a receiver; a racy snapshot). */
  get len(): number {
    return this.region.core.ch_len(this.offset);
  }
  /** Messages that may be buffered; 0 = rendezvous. */
  get capacity(): number {
    return this.#capacity;
  }
  /** Whether every operation on the channel fails with PeerGoneError: it was marked peer-gone
   *  (markPeerGone), or it is a mailbox's and its reader ended. (A party that crashed fails only
   *  the waits of its other side once no one is left there: README, "When a party dies".) */
  get peerGone(): boolean {
    return (this.region.core.ch_state(this.offset) & L.CH_PEER_GONE) !== 0 || (this.region.core.ch_gone(this.offset) & L.CH_RECEIVERS_GONE) !== 0;
  }

  /** Whether the channel was closed: sends fail, receives drain what is left and then end. */
  get closed(): boolean {
    return this.region.core.ch_state(this.offset) !== 0;
  }
  /** Bytes of the ring (bufferBytes). */
  get bufferBytes(): number {
    return this.region.core.br_capacity(this.#ring);
  }
  /** The largest message `reserve` accepts: one ring frame, bufferBytes / 2 - 16 rounded down to 8
   *  (bytering.ts: the largest frame is half the ring, minus the frame and fragment headers). */
  get maxReserve(): number {
    return this.#maxFrame;
  }

  // ---- errors and codec (io.ts) --------------------------------------------------------------

  #error(status: number, what: string, deadline?: Deadline): Error {
    return this.#io.error(status, what, deadline);
  }

  // ---- drivers ------------------------------------------------------------------------------------
  // The send and receive machines (send.ts, recv.ts) run here: blocking as this thread's agent,
  // async as a fresh agent per call (any number of async tasks of one thread may wait on one
  // channel and are served in turn), and tries (their only parks are short graces, GRACE_MS,
  // and waits for a committed peer) where the thread may block, else without ever parking.

  /** Throws instead of parking the thread on a lock that one of this object's async calls holds
   *  (that call runs on this thread: it could never release it). */
  #checkNotHeldByTask(at: number, what: string): void {
    const owner = this.region.core.mutex_owner(this.offset + at);
    if (owner !== 0 && this.#asyncAgents.has(owner)) {
      throw new InvalidArgumentError(`${what} on ${this.name}: an async call of this thread (sendAsync/recvAsync) holds the channel's ${at === L.CH_SEND_LOCK ? "send" : "recv"} lock; await it before a blocking call`);
    }
  }

  #block<R>(at: number, machine: Steps<R>, deadline: Deadline, what: string): R {
    this.#checkNotHeldByTask(at, what);
    return runBlocking(this.region, machine, deadline);
  }

  async #async<R>(agent: number, machine: Steps<R>, deadline: Deadline, what: string, signal?: AbortSignal): Promise<R> {
    this.#asyncAgents.add(agent);
    try {
      return await runAsync(this.region, machine, deadline, what, signal);
    } finally {
      this.#asyncAgents.delete(agent);
    }
  }

  #try<R>(machine: Steps<R>): R {
    return blockingAllowed ? runBlocking(this.region, machine, Deadline.forever) : runTry(this.region, machine);
  }

  // ---- send --------------------------------------------------------------------------------------

  /** Sends `value`, blocking while the channel is full (capacity 0: until a receiver takes it). */
  send(value: T, options?: WaitOptions): void {
    const what = "Channel.send";
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const bytes = this.#io.sendFastOrEncode(value, what);
    if (!bytes) return;
    const s = this.#block(L.CH_SEND_LOCK, sendSteps(this.#port, bytes, this.region.agent, "wait"), deadline, what);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  /**
   * Sends `values` in order, each its own message, under one hold of the send lock: no other
   * sender's message comes between them, and the lock is taken once for the batch. Messages
   * that fit one fragment together and the free slots travel as batch frames (several messages
   * in one frame; each still counts against `capacity` and is received on its own, or many at
   * once with recvMany). Blocks while the channel is full (receivers may take the first
   * messages meanwhile). Every value
   * is encoded before anything is sent, so a value the codec refuses sends nothing. A timeout,
   * abort or close part-way leaves the messages already sent in the channel: the error's
   * `sent` property says how many.
   */
  sendMany(values: Iterable<T>, options?: WaitOptions): void {
    const what = "Channel.sendMany";
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const encoded = this.#io.encodeMany(values, what);
    if (encoded.count === 0) return;
    const progress = { sent: 0 };
    const s = this.#block(L.CH_SEND_LOCK, sendManySteps(this.#port, encoded, this.region.agent, progress), deadline, what);
    if (s === L.OK) return;
    const error = this.#error(s, what, deadline);
    error.message += ` (${progress.sent} of ${encoded.count} messages were sent)`;
    throw Object.assign(error, { sent: progress.sent });
  }

  /** One attempt: true if sent, false if the channel is full now (capacity 0: no receiver is
   *  waiting). Throws ClosedError when closed. Never leaves part of the message behind. */
  trySend(value: T): boolean {
    const what = "Channel.trySend";
    const bytes = this.#io.sendFastOrEncode(value, what);
    if (!bytes) return true;
    const s = this.#try(sendSteps(this.#port, bytes, this.region.agent, "try"));
    if (s === L.OK) return true;
    if (s === L.WOULD_BLOCK) return false;
    throw this.#error(s, what);
  }

  /** `send` without blocking the thread. Several async calls of one thread may wait at once. */
  async sendAsync(value: T, options?: WaitOptions): Promise<void> {
    const what = "Channel.sendAsync";
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const bytes = this.#io.sendFastOrEncode(value, what);
    if (!bytes) return;
    const agent = this.region.newAgent();
    const s = await this.#async(agent, sendSteps(this.#port, bytes, agent, "wait"), deadline, what, options?.signal);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  // ---- zero-copy send ------------------------------------------------------------------------------

  /**
   * Reserves a message of `len` raw bytes (at most `maxReserve`) and returns a writable view of
   * it in the ring; fill it, then `commit()`. The send lock is held in between: other senders
   * wait. For raw-byte channels (the bytes are the message, no codec runs).
   */
  reserve(len: number, options?: WaitOptions): Uint8Array {
    const what = "Channel.reserve";
    if (!Number.isInteger(len) || len < 0 || len > this.#maxFrame || len > this.maxMessageBytes) {
      throw new InvalidArgumentError(`${what} on ${this.name}: len must be 0 to ${Math.min(this.#maxFrame, this.maxMessageBytes)} bytes (one fragment), got ${describeValue(len)}; use send for larger messages`);
    }
    if (this.#reserved) throw new InvalidArgumentError(`${what} on ${this.name}: commit() the previous reserve first`);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const a = this.#block(L.CH_SEND_LOCK, reserveSteps(this.#port, len, this.region.agent), deadline, what);
    if (a < 0) throw this.#error(-a, what, deadline);
    this.#reserved = a;
    return this.#io.bytes.subarray(a, a + len);
  }

  /** Publishes the message `reserve` handed out (capacity 0: waits for a receiver to take it). */
  commit(options?: WaitOptions): void {
    const what = "Channel.commit";
    const first = this.#reserved;
    if (!first) throw new InvalidArgumentError(`${what} on ${this.name}: nothing reserved; call reserve(len) first`);
    this.#reserved = 0;
    const deadline = Deadline.of(options, what);
    const s = runBlocking(this.region, commitSteps(this.#port, first, this.region.agent), deadline);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  // ---- receive ---------------------------------------------------------------------------------------

  /** The receive machine as this thread's agent; `claimed`: the fast path (io.ts) claimed a message. */
  #recvSteps(how: RecvHow, view: boolean, claimed: boolean, agent = this.region.agent, into?: Into): Steps<Uint8Array | number> {
    return recvSteps(this.#port, agent, how, view, claimed, into);
  }

  /** The blocking receive machine after the fast path and spin (`claimed`: it claimed a
   *  message); `into` as recvInto. */
  #recvWait(claimed: boolean, deadline: Deadline, what: string, into?: Into): Uint8Array | number {
    const r = this.#block(L.CH_RECV_LOCK, this.#recvSteps("wait", false, claimed, this.region.agent, into ?? this.#io.pool.reuse), deadline, what);
    this.#io.spinOutcome();
    return r;
  }

  /** #recvWait without blocking the thread: a claim made by the fast path is this thread's
   *  agent's; otherwise the machine runs as a fresh agent. */
  async #recvWaitAsync(claimed: boolean, deadline: Deadline, what: string, signal?: AbortSignal, into?: Into): Promise<Uint8Array | number> {
    const agent = claimed ? this.region.agent : this.region.newAgent();
    // the pool, never the shared assembly buffer: another async receive may run before decoding
    const r = await this.#async(agent, this.#recvSteps("wait", false, claimed, agent, into ?? this.#io.pool.pooledInto), deadline, what, signal);
    this.#io.spinOutcome();
    return r;
  }

  /** A blocking receive's value, END once closed and drained, or a thrown error. */
  #recvBlocking(options: WaitOptions | undefined, what: string): T | typeof END {
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const fast = this.#io.recvSpin(what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    return this.#received(this.#recvWait(fast === CLAIMED, deadline, what), what, deadline);
  }

  /** The value of a machine's result; END for CLOSED; throws for every other status. */
  #received(r: Uint8Array | number, what: string, deadline?: Deadline): T | typeof END {
    if (typeof r !== "number") return this.#io.decode(r, what);
    if (r === L.CLOSED) return END;
    throw this.#error(r, what, deadline);
  }

  /** Receives the next value, blocking while there is none. Throws ClosedError once the
   *  channel is closed and drained. */
  recv(options?: WaitOptions): T {
    const what = "Channel.recv";
    const v = this.#recvBlocking(options, what);
    if (v === END) throw this.#error(L.CLOSED, what);
    return v;
  }

  /**
   * One attempt: { ok: true, value }, or { ok: false, closed } when this call can take no
   * message now. `closed` is true exactly when the channel is closed (a closed channel is
   * always ready, as in Go): closed and drained, or its last messages are held behind another
   * receiver that keeps the recv lock (a recvView held open; that receiver drains them). On an
   * open channel a receiver inside recv takes the messages first: { ok: false, closed: false }.
   */
  tryRecv(): TryRecvResult<T> {
    const what = "Channel.tryRecv";
    const fast = this.#io.recvFast(what);
    if (fast === END) return { ok: false, closed: true };
    if (fast !== NONE && fast !== CLAIMED) return { ok: true, value: fast };
    const r = this.#try(this.#recvSteps("try", false, fast === CLAIMED));
    if (r === L.WOULD_BLOCK) return { ok: false, closed: false };
    const v = this.#received(r, what);
    return v === END ? { ok: false, closed: true } : { ok: true, value: v };
  }

  // ---- batched receive ---------------------------------------------------------------------------

  /** After a first message: takes the ones there now, up to `max` in all, never waiting for a
   *  new one (a claimed message of several fragments is read to its end, then it stops). */
  #takeMore(max: number, what: string): void {
    if (this.#batch.takeMore(max, what) === CLAIMED) this.#batch.gatherClaimed(this.#try(this.#recvSteps("try", false, true)), what);
  }

  /**
   * Receives up to `max` messages at once: blocks until one is there (as `recv`), then takes
   * the others already in the channel without waiting, and decodes them all in one codec call
   * (msgpack). Returns them in order; an empty array once the channel is closed and drained. A
   * message that does not decode throws CodecError with its `index` in this batch and the other
   * messages' values in `values` (none is lost).
   */
  recvMany(max: number, options?: WaitOptions): T[] {
    const what = "Channel.recvMany";
    checkMax(this.#io, max, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const batch = this.#batch;
    batch.reset();
    const first = this.#io.spin(() => batch.takeFast(what));
    if (first === END) return [];
    if (first !== TAKEN && !batch.gatherFirst(this.#recvWait(first === CLAIMED, deadline, what), what, deadline)) return [];
    this.#takeMore(max, what);
    return batch.decode(what);
  }

  /** `recvMany` without blocking the thread. */
  async recvManyAsync(max: number, options?: WaitOptions): Promise<T[]> {
    const what = "Channel.recvManyAsync";
    checkMax(this.#io, max, what);
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    const batch = this.#batch;
    batch.reset();
    const first = this.#io.spin(() => batch.takeFast(what));
    if (first === END) return [];
    if (first !== TAKEN) {
      const r = await this.#recvWaitAsync(first === CLAIMED, deadline, what, signal);
      // another async call of this object may have gathered meanwhile: start again from here
      batch.reset();
      if (!batch.gatherFirst(r, what, deadline)) return [];
    }
    this.#takeMore(max, what);
    return batch.decode(what);
  }

  /** An async receive's value, or END once closed and drained. */
  async #recvValueAsync(options: WaitOptions | undefined, what: string): Promise<T | typeof END> {
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    const fast = this.#io.recvSpin(what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    const r = await this.#recvWaitAsync(fast === CLAIMED, deadline, what, signal);
    return this.#received(r, what, deadline);
  }

  /** `recv` without blocking the thread. Several async calls of one thread may wait at once. */
  async recvAsync(options?: WaitOptions): Promise<T> {
    const what = "Channel.recvAsync";
    const v = await this.#recvValueAsync(options, what);
    if (v === END) throw this.#error(L.CLOSED, what);
    return v;
  }

  // ---- receive into a buffer -----------------------------------------------------------------

  /**
   * `recv` for a raw channel without a fresh array per message: the message's bytes are copied
   * into `into` and the result is `into.subarray(0, length)`; a message larger than `into` comes
   * back as a new array (nothing is lost; check `result.buffer === into.buffer` to tell). Reuse
   * `into` once you are done with the previous result. Throws ClosedError once closed and
   * drained.
   */
  recvInto(into: Uint8Array, options?: WaitOptions): Uint8Array {
    const what = "Channel.recvInto";
    checkInto(this.#io, into, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const fast = this.#io.spin(() => intoFast(this.#io, into, what));
    if (fast === END) throw this.#error(L.CLOSED, what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    return intoResult(this.#io, this.#recvWait(fast === CLAIMED, deadline, what, into), what, deadline);
  }

  /** `recvInto` without blocking the thread (do not reuse `into` until it settles). */
  async recvIntoAsync(into: Uint8Array, options?: WaitOptions): Promise<Uint8Array> {
    const what = "Channel.recvIntoAsync";
    checkInto(this.#io, into, what);
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    const fast = this.#io.spin(() => intoFast(this.#io, into, what));
    if (fast === END) throw this.#error(L.CLOSED, what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    return intoResult(this.#io, await this.#recvWaitAsync(fast === CLAIMED, deadline, what, signal, into), what, deadline);
  }

  /**
   * Receives the next message's raw bytes as a view into the ring, valid until `release()`
   * (the recv lock is held in between: other receivers wait). A message larger than one
   * fragment comes back as a private copy (release() is still required). Throws ClosedError
   * once closed and drained.
   */
  recvView(options?: WaitOptions): Uint8Array {
    const what = "Channel.recvView";
    if (this.#viewing) throw new InvalidArgumentError(`${what} on ${this.name}: release() the previous view first`);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const r = this.#block(L.CH_RECV_LOCK, this.#recvSteps("wait", true, false), deadline, what);
    if (typeof r === "number") throw this.#error(r, what, deadline);
    this.#viewing = true;
    this.#viewHeld = r.buffer === this.#io.bytes.buffer; // a view: frame and recv lock kept
    return r;
  }

  /** Ends the view `recvView` returned: its bytes may be overwritten from now on. */
  release(): void {
    if (!this.#viewing) throw new InvalidArgumentError(`Channel.release on ${this.name}: no view to release; call recvView() first`);
    this.#viewing = false;
    if (!this.#viewHeld) return;
    this.#viewHeld = false;
    this.region.core.ch_recv_end(this.offset, this.region.agent);
  }
  #viewHeld = false;

  // ---- large messages: fragments in place, receive-buffer reuse --------------------------------

  /**
   * Zero-copy send of a raw message of any size up to `maxMessageBytes`, written in place:
   * `fill(part, offset)` is called once per window of the message in the ring, in order (offsets
   * 0, then each previous offset plus its part's length, together covering all `len` bytes; a
   * window is at most about bufferBytes / 4; a message of 0 bytes gets one empty window), and
   * must write the whole window before it returns; each window is published as soon as `fill`
   * returns, so a message larger than the ring streams through it while a receiver reads it.
   * Do not keep a window after `fill` returns: the ring reuses its bytes. The send lock is held
   * from the first window to the last (other senders wait; their messages never interleave).
   * Blocks like `send` (capacity 0: until a receiver takes the message). A `fill` that throws,
   * a timeout or an abort gives the message up (no receiver gets part of it) and throws.
   */
  sendParts(len: number, fill: PartsWriter, options?: WaitOptions): void {
    const what = "Channel.sendParts";
    checkParts(this.#io, fill, what);
    checkPartsLength(this.#io, len, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const s = this.#block(L.CH_SEND_LOCK, sendSteps(this.#port, { length: len, fill }, this.region.agent, "wait"), deadline, what);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  /** `sendParts` without blocking the thread (`fill` runs on this thread, between waits). */
  async sendPartsAsync(len: number, fill: PartsWriter, options?: WaitOptions): Promise<void> {
    const what = "Channel.sendPartsAsync";
    checkParts(this.#io, fill, what);
    checkPartsLength(this.#io, len, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const agent = this.region.newAgent();
    const s = await this.#async(agent, sendSteps(this.#port, { length: len, fill }, agent, "wait"), deadline, what, options?.signal);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  /**
   * Zero-copy receive of the next raw message, of any size, read in place: `read(part, offset,
   * total)` is called once per fragment of the message, in order (`total` is the message's
   * length; a message of one fragment, or of 0 bytes, is one call), with a view of the
   * fragment's bytes in the ring that is valid only during the call (the ring reuses them
   * after). Returns the message's length. The recv lock is held from the claim to the last
   * part (other receivers wait). If the sender gives the message up after some of its parts
   * were read (its fill threw, it timed out, or it died), the parts of the next message follow
   * in the same call, starting again at offset 0: a reader that keeps state starts over at
   * offset 0. Throws ClosedError once closed and drained. A `read` that throws drops the rest
   * of that message (it is consumed) and the error propagates; so does a timeout or an abort
   * after the first part.
   */
  recvParts(read: PartsReader, options?: WaitOptions): number {
    const what = "Channel.recvParts";
    checkParts(this.#io, read, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const sink = partsSink(read);
    return partsResult(this.#io, this.#block(L.CH_RECV_LOCK, this.#recvSteps("wait", false, false, this.region.agent, sink), deadline, what), sink, what, deadline);
  }

  /** `recvParts` without blocking the thread (`read` runs on this thread, between waits). */
  async recvPartsAsync(read: PartsReader, options?: WaitOptions): Promise<number> {
    const what = "Channel.recvPartsAsync";
    checkParts(this.#io, read, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const sink = partsSink(read);
    const agent = this.region.newAgent();
    return partsResult(this.#io, await this.#async(agent, this.#recvSteps("wait", false, false, agent, sink), deadline, what, options?.signal), sink, what, deadline);
  }

  /**
   * Gives an array a receive of this raw channel returned back for reuse: a later `recv`,
   * `recvAsync` or iteration on this object that gets a message of at least half its length
   * (and at most its length) copies the message into it and returns it (or a view of its first
   * bytes) instead of allocating a fresh zero-filled array, which for large messages costs more
   * than the copy. Only recycle an array you no longer use, and only once. Keeps at most 4
   * arrays (the oldest is dropped). Any private Uint8Array may be given, not only received ones.
   */
  recycle(bytes: Uint8Array): void {
    checkRecycle(this.#io, bytes, "Channel.recycle");
    this.#io.pool.recycle(bytes);
  }

  // ---- iteration ----------------------------------------------------------------------------------------

  /** Blocking iteration: yields values until the channel is closed and drained. */
  *[Symbol.iterator](): Iterator<T> {
    for (;;) {
      const v = this.#recvBlocking(undefined, "Channel iteration");
      if (v === END) return;
      yield v;
    }
  }

  /** Async iteration: yields values until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const v = await this.#recvValueAsync(undefined, "Channel iteration");
      if (v === END) return;
      yield v;
    }
  }

  // ---- both sides -----------------------------------------------------------------------------------------

  /** Closes the channel (idempotent): sends fail from now on, receivers drain then end. */
  close(): void {
    this.region.core.ch_close(this.offset);
  }

  /**
   * `using ch = Channel.create(region)`: close() at the end of the scope. Like Go's close, this
   * closes the channel for every thread holding it (sends fail, receivers drain then end), not
   * only for this one; it frees no memory (free() does). Idempotent.
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Marks the channel's peers gone by hand: every blocked and later operation throws
   *  PeerGoneError. (A party that dies needs no mark: README, "When a party dies".) */
  markPeerGone(): void {
    this.region.core.ch_mark_peer_gone(this.offset);
  }

  /** @internal Records another party (its agent from `agentFor`) as attached (PeerEndpoint);
   *  `hosted` (a plain channel) turns the side rules on, a mailbox's channel keeps them off. */
  attachParty(agentFor: (region: Region) => number, hosted = true): void {
    const agent = agentFor(this.region);
    if (hosted) this.region.core.ch_host_attach(this.offset, agent);
    else this.region.core.ch_attach(this.offset, agent);
  }

  /** Returns the channel's memory to the region. It must be unused everywhere. */
  free(): void {
    freeChannelStructures(this.region, this.offset);
    this.region.release(L.KIND_CHANNEL, this.offset, "Channel.free");
  }

  // ---- select (Selectable, selectable.ts) --------------------------------------------------------------

  /** A receive case of select on this channel (Selectable). */
  selectRecv(what: string, async: boolean): Selectable<T> {
    const agent = async ? this.region.newAgent() : this.region.agent;
    return recvSelectable(this.#port, agent, regionEvents(this.region), (b) => this.#io.decode(b, what), (s) => this.#error(s, what));
  }

  /** A send case of select on this channel (Selectable); `value` is encoded now. */
  selectSend(value: T, what: string, async: boolean): Selectable<undefined> {
    const bytes = this.#io.encode(value, what);
    const agent = async ? this.region.newAgent() : this.region.agent;
    return sendSelectable(this.#port, agent, regionEvents(this.region), bytes, (s) => this.#error(s, what));
  }

  /** @internal Encodes `value` as a send would (codec and size checks); for tests of sizes. */
  encodeForSend(value: T, what: string): Uint8Array {
    return this.#io.encode(value, what);
  }
}
