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
//                                                     frames where they fit (assembly/channel.ts)
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
// Every wait takes { timeout, signal }. A sender that gives up after part of a message is in
// the ring never leaves half a message: it withdraws the message if no receiver claimed it,
// else writes a cancel frame so the receiver drops the partial (assembly/channel.ts). A receive
// that gives up after the first fragment of a claimed message (its timeout or signal; a sender
// that died mid-message) drops that message and leaves the channel usable (recv.ts).
//
// Close: later sends throw ClosedError; receivers drain every complete message, then recv
// throws ClosedError and iteration ends. markPeerGone makes every blocked and later operation
// throw PeerGoneError. A thread or process that dies (README, "When a party dies";
// assembly/channel.ts): its send or receive lock is taken over by the next sender or receiver
// (a half-sent message withdrawn or cancelled, a claimed unread one re-delivered), and a wait
// fails with PeerGoneError only when every party on its other side has crashed.
import * as L from "../../assembly/layout";
import {
  canDecodeConcat, canDecodeRange, canEncodeScratch, jsonCodec, msgpackCodec, resolveCodec, sharedUtf8Reader, type Codec, type CodecName, type EncodedRange, type RangeCodec,
  type ScratchCodec,
} from "../codec/codec";
import { CodecError, ForeignHandleError, InvalidArgumentError, MessageTooLargeError } from "../errors";
import { attach, createIn, type PrimitiveHandle, type Typed } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { checkOptionKeys, describeValue, encodedBytes } from "../options";
import { stringStart } from "../codec/scan";
import { channelStructures, freeChannelStructures } from "../codec/structures";
import { copyInto, copyOut } from "../region/copy";
import { Deadline } from "../wait/deadline";
import { spinnerOf } from "../wait/parker";
import { runAsync, runBlocking, runTry, type Steps } from "../wait/steps";
import { blockingAllowed, checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";
import { channelError, channelPort, messageLength, regionEvents, type ChannelPort } from "./port";
import { recvSelectable, sendSelectable } from "./cases";
import type { RecvSelectSource, SendSelectSource, Selectable } from "./selectable";
import { PARTS_READ, recvSteps, type Into, type PartsReader, type RecvHow } from "./recv";
import { arrayMessages, commitSteps, rangeMessages, reserveSteps, sendManySteps, sendSteps, type MessageList, type PartsWriter } from "./send";

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
/** How long (ms) a blocking or async receive spins on plain loads before its receive machine
 *  (#recvSpin): a few round trips of a peer that is running. */
const RECV_SPIN_MS = 0.02;
/** recvParts' sink for the receive machine: calls `read` and keeps the message's length. */
function partsSink(read: PartsReader): { read: PartsReader; total: number } {
  const sink = {
    total: 0,
    read(part: Uint8Array, offset: number, total: number): void {
      sink.total = total;
      read(part, offset, total);
    },
  };
  return sink;
}

/** The most arrays recycle() keeps per Channel object. */
const RECYCLE_MAX = 4;
/** The most wasted spins #spinFails remembers (the spin recovers in as many good ones). */
const SPIN_FAILS_MAX = 8;

/** Thrown internally to end iteration; never escapes. */
const END = Symbol("end");
/** The fast path did not apply: take the general one. */
const NONE = Symbol("none");
/** The fast path claimed a message in several fragments: read it with the receive machine. */
const CLAIMED = Symbol("claimed");
/** recvMany's fast path took a message. */
const TAKEN = Symbol("taken");

/**
 * A typed, bounded multi-producer multi-consumer channel of messages in shared memory, with Go's
 * semantics: `capacity` counts messages (0 = rendezvous), values go through a codec (msgpack by
 * default), large messages are split into fragments, `close` lets receivers drain. Blocking, async,
 * try and zero-copy forms, iteration, and `select` over several channels.
 */
export class Channel<T = unknown> implements RecvSelectSource<T>, SendSelectSource<T> {
  /** The structured-cloneable handle: post it to a worker and call `Channel.from` there. */
  readonly handle: ChannelHandle<T>;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #codec: Codec<T>;
  /** The codec again when it decodes a range of the scratch buffer (see #recvFast). */
  readonly #rangeCodec: RangeCodec<T> | undefined;
  /** Reads a msgpack message's string straight out of the memory (see #recvFast), where the
   *  runtime can (sharedUtf8Reader); undefined for other codecs. */
  readonly #readText: ((start: number, end: number) => string) | undefined;
  /** The codec again when it encodes into a scratch buffer (see #sendFastOrEncode). */
  readonly #scratchCodec: ScratchCodec<T> | undefined;
  readonly #ring: number;
  readonly #fragment: number;
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
    this.#bytes = new Uint8Array(region.memory.buffer);
    this.#words = region.words;
    // msgpack shares its record structures through the channel (structures.ts)
    this.#codec = codec.name === "msgpack" ? msgpackCodec<T>(channelStructures(region, offset, name)) : codec;
    this.#rangeCodec = canDecodeRange(this.#codec) ? this.#codec : undefined;
    this.#scratchCodec = canEncodeScratch(this.#codec) ? this.#codec : undefined;
    this.#readText = codec.name === "msgpack" ? sharedUtf8Reader(region.memory.buffer) : undefined;
    const port = channelPort(region.core, region.memory.buffer, offset);
    region.core.ch_attach(offset, region.agent); // this thread is a party of the channel (assembly/channel.ts, sides)
    this.#port = port;
    this.#ring = port.ring;
    this.#maxFrame = port.maxFrame;
    this.#fragment = port.fragment;
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

  // ---- errors and codec -----------------------------------------------------------------------

  #error(status: number, what: string, deadline?: Deadline): Error {
    return channelError(status, what, this.name, deadline);
  }

  #encode(value: T, what: string): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(value);
    } catch (error) {
      throw this.#encodeError(error, what);
    }
    bytes = encodedBytes(bytes, this.#codec.name, `${what} on ${this.name}`);
    this.#checkSize(bytes.length, what);
    return bytes;
  }

  #encodeError(error: unknown, what: string): CodecError {
    if (error instanceof CodecError) return new CodecError(`${what} on ${this.name}: ${error.message}`, { cause: error.cause });
    return new CodecError(`${what} on ${this.name}: the ${this.#codec.name} codec could not encode the value: ${(error as Error).message}`, { cause: error });
  }

  #checkSize(length: number, what: string): void {
    if (length > this.maxMessageBytes) {
      throw new MessageTooLargeError(
        `${what} on ${this.name}: the encoded message is ${length} bytes, above maxMessageBytes ${this.maxMessageBytes}; nothing was sent (raise maxMessageBytes when creating the channel, or send smaller messages)`,
      );
    }
  }

  #decode(bytes: Uint8Array, what: string): T {
    try {
      return this.#codec.decode(bytes);
    } catch (error) {
      throw this.#decodeError(error, bytes.length, what);
    }
  }

  #decodeError(error: unknown, length: number, what: string): CodecError {
    return new CodecError(
      `${what} on ${this.name}: a ${length}-byte message could not be decoded by the ${this.#codec.name} codec (${(error as Error).message}); it was consumed and the channel is still usable`,
      { cause: error },
    );
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
    const bytes = this.#sendFastOrEncode(value, what);
    if (!bytes) return;
    const s = this.#block(L.CH_SEND_LOCK, sendSteps(this.#port, bytes, this.region.agent, "wait"), deadline, what);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  /**
   * Encodes `value` and sends it by the fast path (#sendFast) when that applies: undefined when
   * it was sent; else the message's bytes, a private array, for the send machine. A codec with
   * a scratch buffer (msgpack) makes no array for a message the fast path sends: its bytes go
   * from the scratch straight into the ring.
   */
  #sendFastOrEncode(value: T, what: string): Uint8Array | undefined {
    const scratch = this.#scratchCodec;
    if (!scratch) {
      const bytes = this.#encode(value, what);
      return this.#sendFast(bytes, 0, bytes.length, what) ? undefined : bytes;
    }
    let r: EncodedRange;
    try {
      r = scratch.encodeScratch(value);
    } catch (error) {
      throw this.#encodeError(error, what);
    }
    const { bytes, start, end } = r;
    this.#checkSize(end - start, what);
    if (this.#sendFast(bytes, start, end, what)) return undefined;
    // the scratch is rewritten by the next encode on this thread (an async send waits across them)
    return copyOut(bytes, start, end);
  }

  /** The common case in two core calls: a message of one fragment (`bytes[start, end)`),
   *  capacity > 0, the send lock free and room now. False when it does not apply (nothing was
   *  changed). */
  #sendFast(bytes: Uint8Array, start: number, end: number, what: string): boolean {
    const n = end - start;
    if (this.#capacity === 0 || n > this.#fragment) return false;
    const { core, agent } = this.region;
    const a = core.ch_send_begin(this.offset, agent, n);
    if (a < 0) {
      if (a === -L.WOULD_BLOCK) return false;
      throw this.#error(-a, what);
    }
    copyInto(this.#bytes, a, bytes, start, end);
    const s = core.ch_send_end(this.offset, agent);
    if (s !== L.OK) throw this.#error(s, what);
    return true;
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
    const encoded = this.#encodeMany(values, what);
    if (encoded.count === 0) return;
    const progress = { sent: 0 };
    const s = this.#block(L.CH_SEND_LOCK, sendManySteps(this.#port, encoded, this.region.agent, progress), deadline, what);
    if (s === L.OK) return;
    const error = this.#error(s, what, deadline);
    error.message += ` (${progress.sent} of ${encoded.count} messages were sent)`;
    throw Object.assign(error, { sent: progress.sent });
  }

  /** sendMany's messages: one codec call for them all where the codec can (msgpack: ranges of
   *  its scratch buffer, valid until the next encode on this thread), else one per value. */
  #encodeMany(values: Iterable<T>, what: string): MessageList {
    const array: readonly T[] = Array.isArray(values) ? values : Array.from(values);
    const scratch = this.#scratchCodec;
    const many = scratch && array.length > 1 ? scratch.encodeMany(array) : undefined;
    if (!many) return arrayMessages(Array.from(array, (v) => this.#encode(v, what))); // a hole is a value (undefined)
    const { bytes, bounds } = many;
    for (let i = 0; i < array.length; i++) this.#checkSize(bounds[i + 1] - bounds[i], what);
    return rangeMessages(bytes, bounds, array.length);
  }

  /** One attempt: true if sent, false if the channel is full now (capacity 0: no receiver is
   *  waiting). Throws ClosedError when closed. Never leaves part of the message behind. */
  trySend(value: T): boolean {
    const what = "Channel.trySend";
    const bytes = this.#sendFastOrEncode(value, what);
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
    const bytes = this.#sendFastOrEncode(value, what);
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
    return this.#bytes.subarray(a, a + len);
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

  /** Private buffer single-fragment messages are copied to and decoded from (see #recvFast). */
  #scratch = new Uint8Array(256);

  /**
   * The common case in two core calls: the recv lock free and a message claimable now. A
   * single-fragment message is copied out (to the scratch buffer when the codec decodes a range,
   * else a private copy), released, and decoded after the lock is dropped; a msgpack message
   * that is one string is read in place instead (#readText), then released. Returns the value,
   * END (closed and drained), NONE (nothing now, or the lock busy: take the general path), or
   * CLAIMED (a message in several fragments was claimed as this thread's agent, the recv lock
   * held: read it with recvSteps(..., claimed)).
   */
  #recvFast(what: string): T | typeof END | typeof NONE | typeof CLAIMED {
    const { core, agent } = this.region;
    const c = this.offset;
    const a = core.ch_recv_begin(c, agent);
    if (a >= 0) {
      const n = messageLength(this.#words, a);
      const codec = this.#rangeCodec;
      const text = this.#readText ? stringStart(this.#bytes, a, a + n) : -1;
      if (text >= 0) {
        // a message that is one msgpack string: its text decoded in place, nothing copied
        const s = this.#readText!(text, a + n);
        core.ch_recv_end(c, agent);
        return s as T;
      }
      if (codec) {
        if (n > this.#scratch.length) this.#scratch = new Uint8Array(2 ** Math.ceil(Math.log2(n)));
        const dst = this.#scratch;
        copyInto(dst, 0, this.#bytes, a, a + n);
        core.ch_recv_end(c, agent);
        try {
          return codec.decodeRange(dst, 0, n);
        } catch (error) {
          throw this.#decodeError(error, n, what);
        }
      }
      const copy = this.#pooled(n);
      copyInto(copy, 0, this.#bytes, a, a + n);
      core.ch_recv_end(c, agent);
      return this.#decode(copy, what);
    }
    if (a === -L.WOULD_BLOCK) return NONE;
    if (a === -L.CLOSED) return END;
    if (a === -L.CLAIMED) return CLAIMED;
    throw this.#error(-a, what);
  }

  /**
   * #recvFast, and while it finds nothing (an empty channel, or the recv lock busy), a spin of
   * plain loads of the channel's COUNT and STATE words for up to RECV_SPIN_MS, retrying
   * #recvFast each time they say a message (or the close) is there. A reply that comes within
   * the spin costs two core calls, never the receive machine nor a futex wake (DESIGN.md,
   * "Waiting"); NONE after the spin: run the machine (which re-checks, then parks).
   */
  #recvSpin(what: string): T | typeof END | typeof NONE | typeof CLAIMED {
    return this.#spin(() => this.#recvFast(what));
  }

  /**
   * How often spins were wasted lately (see #spinOutcome: +1 for a spin that found nothing and
   * a message that came later than a full spin, -1 for one caught within it, 0 to
   * SPIN_FAILS_MAX): the next spin lasts RECV_SPIN_MS / 2^min(#spinFails, 5). A peer that
   * answers within the spin keeps it long; on an idle channel, or a machine so loaded that the
   * peer cannot run meanwhile, spinning only burns the time slice the peer needs: it shrinks.
   */
  #spinFails = 0;
  /** When the last spin that found nothing began (performance.now()), for #spinOutcome. */
  #spinStart = 0;

  /** #recvSpin's spin around any one-attempt receive `fast` (NONE: nothing now). */
  #spin<R>(fast: () => R | typeof NONE): R | typeof NONE {
    const r = fast();
    if (r !== NONE) return r;
    // at most the region parker's adaptive budget (src/wait/spin.ts): none on a contended machine
    const spinMs = Math.min(RECV_SPIN_MS / 2 ** Math.min(this.#spinFails, 5), spinnerOf(this.region.parker).budgetMs);
    const words = this.#words;
    const count = (this.offset + L.CH_COUNT) >> 2;
    const state = (this.offset + L.CH_STATE) >> 2;
    let end = 0; // the clock is read only once the spin lasts
    for (let i = 1; ; i++) {
      if (Atomics.load(words, count) > 0 || Atomics.load(words, state) !== 0) {
        const again = fast();
        if (again !== NONE) {
          if (this.#spinFails > 0) this.#spinFails--;
          return again;
        }
      }
      if ((i & 255) === 0) {
        const t = performance.now();
        if (end === 0) {
          end = t + spinMs;
          this.#spinStart = t;
        } else if (t > end) return NONE;
      }
    }
  }

  /** The receive machine as this thread's agent; `claimed`: #recvFast claimed a message. */
  #recvSteps(how: RecvHow, view: boolean, claimed: boolean, agent = this.region.agent, into?: Into): Steps<Uint8Array | number> {
    return recvSteps(this.#port, agent, how, view, claimed, into);
  }

  /** After a spin that found nothing, the receive machine got its result: a message that came
   *  within RECV_SPIN_MS of the spin's start means a full spin would have caught it (spin
   *  longer next time); a later one means the spin was wasted (spin less next time). */
  #spinOutcome(): void {
    if (performance.now() - this.#spinStart < RECV_SPIN_MS) {
      if (this.#spinFails > 0) this.#spinFails--;
    } else if (this.#spinFails < SPIN_FAILS_MAX) this.#spinFails++;
  }

  /** The blocking receive machine after the fast path and spin (`claimed`: it claimed a
   *  message); `into` as recvInto. */
  #recvWait(claimed: boolean, deadline: Deadline, what: string, into?: Into): Uint8Array | number {
    const r = this.#block(L.CH_RECV_LOCK, this.#recvSteps("wait", false, claimed, this.region.agent, into ?? this.#reuse), deadline, what);
    this.#spinOutcome();
    return r;
  }

  /** #recvWait without blocking the thread: a claim made by the fast path is this thread's
   *  agent's; otherwise the machine runs as a fresh agent. */
  async #recvWaitAsync(claimed: boolean, deadline: Deadline, what: string, signal?: AbortSignal, into?: Into): Promise<Uint8Array | number> {
    const agent = claimed ? this.region.agent : this.region.newAgent();
    // the pool, never the shared assembly buffer: another async receive may run before decoding
    const r = await this.#async(agent, this.#recvSteps("wait", false, claimed, agent, into ?? this.#pooledInto), deadline, what, signal);
    this.#spinOutcome();
    return r;
  }

  /** A blocking receive's value, END once closed and drained, or a thrown error. */
  #recvBlocking(options: WaitOptions | undefined, what: string): T | typeof END {
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const fast = this.#recvSpin(what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    return this.#received(this.#recvWait(fast === CLAIMED, deadline, what), what, deadline);
  }

  /** The value of a machine's result; END for CLOSED; throws for every other status. */
  #received(r: Uint8Array | number, what: string, deadline?: Deadline): T | typeof END {
    if (typeof r !== "number") return this.#decode(r, what);
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
    const fast = this.#recvFast(what);
    if (fast === END) return { ok: false, closed: true };
    if (fast !== NONE && fast !== CLAIMED) return { ok: true, value: fast };
    const r = this.#try(this.#recvSteps("try", false, fast === CLAIMED));
    if (r === L.WOULD_BLOCK) return { ok: false, closed: false };
    const v = this.#received(r, what);
    return v === END ? { ok: false, closed: true } : { ok: true, value: v };
  }

  // ---- batched receive ---------------------------------------------------------------------------

  /** Message bytes recvMany gathered, concatenated in a private buffer it reuses. */
  #gathered = new Uint8Array(1024);
  /** End offset of each gathered message in #gathered. */
  #ends: number[] = [];

  #gather(src: Uint8Array, start: number, end: number): void {
    const at = this.#ends.length ? this.#ends[this.#ends.length - 1] : 0;
    const need = at + end - start;
    if (need > this.#gathered.length) {
      const bigger = new Uint8Array(2 ** Math.ceil(Math.log2(need)));
      bigger.set(this.#gathered.subarray(0, at));
      this.#gathered = bigger;
    }
    copyInto(this.#gathered, at, src, start, end);
    this.#ends.push(need);
  }

  /** One two-call receive of a single-fragment message into #gathered: TAKEN, END, NONE,
   *  CLAIMED (a message of several fragments claimed, the recv lock held: read it with the
   *  machine), or a thrown error. */
  #takeFast(what: string): typeof TAKEN | typeof END | typeof NONE | typeof CLAIMED {
    return this.#fastWith((a, n) => {
      this.#gather(this.#bytes, a, a + n);
      return TAKEN;
    }, what);
  }

  /** The two-call receive (ch_recv_begin/end) with `take(address, length)` run on a
   *  single-fragment message in between (the recv lock held); END, NONE, CLAIMED as #recvFast. */
  #fastWith<R>(take: (a: number, n: number) => R, what: string): R | typeof END | typeof NONE | typeof CLAIMED {
    const { core, agent } = this.region;
    const a = core.ch_recv_begin(this.offset, agent);
    if (a >= 0) {
      const r = take(a, messageLength(this.#words, a));
      core.ch_recv_end(this.offset, agent);
      return r;
    }
    if (a === -L.WOULD_BLOCK) return NONE;
    if (a === -L.CLOSED) return END;
    if (a === -L.CLAIMED) return CLAIMED;
    throw this.#error(-a, what);
  }

  /** After a first message: takes the ones there now, up to `max` in all, never waiting for a
   *  new one (a claimed message of several fragments is read to its end, then it stops). */
  #takeMore(max: number, what: string): void {
    while (this.#ends.length < max) {
      const t = this.#takeFast(what);
      if (t === TAKEN) continue;
      if (t === CLAIMED) {
        const r = this.#try(this.#recvSteps("try", false, true));
        if (typeof r !== "number") this.#gather(r, 0, r.length);
        else if (r !== L.CLOSED && r !== L.WOULD_BLOCK) throw this.#error(r, what);
      }
      return;
    }
  }

  /** The first message of a recvMany from the receive machine's result: false once closed. */
  #gatherFirst(r: Uint8Array | number, what: string, deadline: Deadline): boolean {
    if (typeof r !== "number") {
      this.#gather(r, 0, r.length);
      return true;
    }
    if (r === L.CLOSED) return false;
    throw this.#error(r, what, deadline);
  }

  /** The values of the gathered messages: one codec call when the codec decodes a
   *  concatenation (msgpack), else one per message. A message that does not decode is reported
   *  by index (CodecError's `index`) with the other values (its `values`). */
  #decodeGathered(what: string): T[] {
    const ends = this.#ends;
    this.#ends = [];
    const buf = this.#gathered;
    const codec = this.#codec;
    if (canDecodeConcat(codec)) {
      try {
        const values = codec.decodeConcat(buf, ends[ends.length - 1]);
        if (values.length === ends.length) return values;
      } catch {
        // a message that does not decode: find it below, one by one
      }
    }
    const values: T[] = [];
    let bad = -1;
    let cause: unknown;
    for (let i = 0, start = 0; i < ends.length; start = ends[i++]) {
      try {
        values.push(this.#rangeCodec ? this.#rangeCodec.decodeRange(buf, start, ends[i]) : codec.decode(buf.slice(start, ends[i])));
      } catch (error) {
        if (bad < 0) {
          bad = i;
          cause = error;
        }
      }
    }
    if (bad < 0) return values;
    const error = new CodecError(
      `${what} on ${this.name}: message ${bad} of the ${ends.length} received could not be decoded by the ${codec.name} codec (${(cause as Error)?.message}); ` +
        `it was consumed and the channel is still usable; the other ${values.length} values are in this error's \`values\`, in order`,
      { cause },
    );
    throw Object.assign(error, { index: bad, values });
  }

  #checkMax(max: number, what: string): void {
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidArgumentError(`${what} on ${this.name}: max must be a positive integer (the most messages to take), got ${describeValue(max)}`);
    }
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
    this.#checkMax(max, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    this.#ends.length = 0;
    const first = this.#spin(() => this.#takeFast(what));
    if (first === END) return [];
    if (first !== TAKEN && !this.#gatherFirst(this.#recvWait(first === CLAIMED, deadline, what), what, deadline)) return [];
    this.#takeMore(max, what);
    return this.#decodeGathered(what);
  }

  /** `recvMany` without blocking the thread. */
  async recvManyAsync(max: number, options?: WaitOptions): Promise<T[]> {
    const what = "Channel.recvManyAsync";
    this.#checkMax(max, what);
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    this.#ends.length = 0;
    const first = this.#spin(() => this.#takeFast(what));
    if (first === END) return [];
    if (first !== TAKEN) {
      const r = await this.#recvWaitAsync(first === CLAIMED, deadline, what, signal);
      // another async call of this object may have gathered meanwhile: start again from here
      this.#ends.length = 0;
      if (!this.#gatherFirst(r, what, deadline)) return [];
    }
    this.#takeMore(max, what);
    return this.#decodeGathered(what);
  }

  /** An async receive's value, or END once closed and drained. */
  async #recvValueAsync(options: WaitOptions | undefined, what: string): Promise<T | typeof END> {
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    const fast = this.#recvSpin(what);
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

  /** One two-call receive into `into`: the message (a view of `into` when it fits, else a
   *  fresh array), END, NONE or CLAIMED (see #recvFast). */
  #intoFast(into: Uint8Array, what: string): Uint8Array | typeof END | typeof NONE | typeof CLAIMED {
    return this.#fastWith((a, n) => {
      if (n > into.length) return copyOut(this.#bytes, a, a + n);
      copyInto(into, 0, this.#bytes, a, a + n);
      return into.subarray(0, n);
    }, what);
  }

  #checkInto(into: Uint8Array, what: string): void {
    if (!(into instanceof Uint8Array)) throw new InvalidArgumentError(`${what} on ${this.name}: pass a Uint8Array to receive into, got ${describeValue(into)}`);
    if (this.#codec.name !== "raw") throw new InvalidArgumentError(`${what} on ${this.name}: receiving into a buffer is for raw channels (codec "raw"); this one uses "${this.#codec.name}": use recv`);
  }

  /** The message of a machine's result for recvInto; throws ClosedError once closed and drained. */
  #intoResult(r: Uint8Array | number, what: string, deadline: Deadline): Uint8Array {
    if (typeof r === "number") throw this.#error(r, what, deadline);
    return r;
  }

  /**
   * `recv` for a raw channel without a fresh array per message: the message's bytes are copied
   * into `into` and the result is `into.subarray(0, length)`; a message larger than `into` comes
   * back as a new array (nothing is lost; check `result.buffer === into.buffer` to tell). Reuse
   * `into` once you are done with the previous result. Throws ClosedError once closed and
   * drained.
   */
  recvInto(into: Uint8Array, options?: WaitOptions): Uint8Array {
    const what = "Channel.recvInto";
    this.#checkInto(into, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const fast = this.#spin(() => this.#intoFast(into, what));
    if (fast === END) throw this.#error(L.CLOSED, what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    return this.#intoResult(this.#recvWait(fast === CLAIMED, deadline, what, into), what, deadline);
  }

  /** `recvInto` without blocking the thread (do not reuse `into` until it settles). */
  async recvIntoAsync(into: Uint8Array, options?: WaitOptions): Promise<Uint8Array> {
    const what = "Channel.recvIntoAsync";
    this.#checkInto(into, what);
    const signal = options?.signal;
    throwIfAborted(what, signal);
    const deadline = Deadline.of(options, what);
    const fast = this.#spin(() => this.#intoFast(into, what));
    if (fast === END) throw this.#error(L.CLOSED, what);
    if (fast !== NONE && fast !== CLAIMED) return fast;
    return this.#intoResult(await this.#recvWaitAsync(fast === CLAIMED, deadline, what, signal, into), what, deadline);
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
    this.#viewHeld = r.buffer === this.#bytes.buffer; // a view: frame and recv lock kept
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

  #checkParts(fn: unknown, what: string): void {
    if (typeof fn !== "function") throw new InvalidArgumentError(`${what} on ${this.name}: pass a function to call with each part of the message, got ${describeValue(fn)}`);
    if (this.#codec.name !== "raw") throw new InvalidArgumentError(`${what} on ${this.name}: messages in parts are raw bytes (codec "raw"); this one uses "${this.#codec.name}": use send and recv`);
  }

  #checkPartsLength(len: number, what: string): void {
    if (!Number.isInteger(len) || len < 0 || len > this.maxMessageBytes) {
      throw new InvalidArgumentError(`${what} on ${this.name}: len must be an integer from 0 to maxMessageBytes (${this.maxMessageBytes}), got ${describeValue(len)}`);
    }
  }

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
    this.#checkParts(fill, what);
    this.#checkPartsLength(len, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const s = this.#block(L.CH_SEND_LOCK, sendSteps(this.#port, { length: len, fill }, this.region.agent, "wait"), deadline, what);
    if (s !== L.OK) throw this.#error(s, what, deadline);
  }

  /** `sendParts` without blocking the thread (`fill` runs on this thread, between waits). */
  async sendPartsAsync(len: number, fill: PartsWriter, options?: WaitOptions): Promise<void> {
    const what = "Channel.sendPartsAsync";
    this.#checkParts(fill, what);
    this.#checkPartsLength(len, what);
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
    this.#checkParts(read, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const sink = partsSink(read);
    return this.#partsResult(this.#block(L.CH_RECV_LOCK, this.#recvSteps("wait", false, false, this.region.agent, sink), deadline, what), sink, what, deadline);
  }

  /** `recvParts` without blocking the thread (`read` runs on this thread, between waits). */
  async recvPartsAsync(read: PartsReader, options?: WaitOptions): Promise<number> {
    const what = "Channel.recvPartsAsync";
    this.#checkParts(read, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const sink = partsSink(read);
    const agent = this.region.newAgent();
    return this.#partsResult(await this.#async(agent, this.#recvSteps("wait", false, false, agent, sink), deadline, what, options?.signal), sink, what, deadline);
  }

  /** recvParts' length of the message, or its error. */
  #partsResult(r: Uint8Array | number, sink: { total: number }, what: string, deadline: Deadline): number {
    if (r === PARTS_READ) return sink.total;
    throw this.#error(typeof r === "number" ? r : L.CORRUPT, what, deadline);
  }

  /** Arrays given back with recycle(), whole, for the next receives of this object. */
  #pool: Uint8Array[] = [];
  /** The whole pooled array behind each view #pooled handed out shorter than it. */
  #pooledViews = new WeakMap<Uint8Array, Uint8Array>();
  /** The private buffer blocking receives assemble msgpack and json messages in (#reuse). */
  #assembly = new Uint8Array(0);
  /** Whether the codec's values never share bytes with the array they were decoded from (the
   *  built-in msgpack codec copies binary data, JSON makes strings): then the bytes of a message
   *  may be assembled in #assembly, reused for the next one. */
  #decodesCopy(): boolean {
    return this.#codec.name === "msgpack" || (this.#codec as unknown) === jsonCodec;
  }

  /** n bytes to receive a message into: a recycled array of n to 2n bytes (a view of its first
   *  n), else a fresh array. */
  #pooled(n: number): Uint8Array {
    const pool = this.#pool;
    for (let i = pool.length - 1; i >= 0; i--) {
      const b = pool[i];
      if (b.length < n || b.length > 2 * n) continue;
      pool.splice(i, 1);
      if (b.length === n) return b;
      const view = b.subarray(0, n);
      this.#pooledViews.set(view, b);
      return view;
    }
    return new Uint8Array(n);
  }

  readonly #pooledInto = (n: number): Uint8Array => this.#pooled(n);

  /** Where the blocking receive machine copies a message of n bytes (see #decodesCopy). */
  readonly #reuse = (n: number): Uint8Array => {
    if (!this.#decodesCopy()) return this.#pooled(n);
    if (n > this.#assembly.length) this.#assembly = new Uint8Array(2 ** Math.ceil(Math.log2(n)));
    return this.#assembly.subarray(0, n);
  };

  /**
   * Gives an array a receive of this raw channel returned back for reuse: a later `recv`,
   * `recvAsync` or iteration on this object that gets a message of at least half its length
   * (and at most its length) copies the message into it and returns it (or a view of its first
   * bytes) instead of allocating a fresh zero-filled array, which for large messages costs more
   * than the copy. Only recycle an array you no longer use, and only once. Keeps at most 4
   * arrays (the oldest is dropped). Any private Uint8Array may be given, not only received ones.
   */
  recycle(bytes: Uint8Array): void {
    const what = "Channel.recycle";
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`${what} on ${this.name}: pass a Uint8Array a receive returned, got ${describeValue(bytes)}`);
    if (this.#codec.name !== "raw") throw new InvalidArgumentError(`${what} on ${this.name}: only raw channels (codec "raw") return arrays to recycle; this one uses "${this.#codec.name}"`);
    if (typeof SharedArrayBuffer !== "undefined" && bytes.buffer instanceof SharedArrayBuffer) {
      throw new InvalidArgumentError(`${what} on ${this.name}: that array is in shared memory (a recvView or a ring window?); recycle only private arrays a receive returned`);
    }
    const whole = this.#pooledViews.get(bytes) ?? bytes;
    if (whole.length === 0 || this.#pool.includes(whole)) return;
    if (this.#pool.length >= RECYCLE_MAX) this.#pool.shift();
    this.#pool.push(whole);
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
    return recvSelectable(this.#port, agent, regionEvents(this.region), (b) => this.#decode(b, what), (s) => this.#error(s, what));
  }

  /** A send case of select on this channel (Selectable); `value` is encoded now. */
  selectSend(value: T, what: string, async: boolean): Selectable<undefined> {
    const bytes = this.#encode(value, what);
    const agent = async ? this.region.newAgent() : this.region.agent;
    return sendSelectable(this.#port, agent, regionEvents(this.region), bytes, (s) => this.#error(s, what));
  }

  /** @internal Encodes `value` as a send would (codec and size checks); for tests of sizes. */
  encodeForSend(value: T, what: string): Uint8Array {
    return this.#encode(value, what);
  }
}
