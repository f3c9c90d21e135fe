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
//               sendMany(values)                      a batch under one send-lock hold
//   try         trySend(v) -> boolean, tryRecv() -> { ok, value } | { ok: false, closed }
//   async       sendAsync(v), recvAsync()             park with Atomics.waitAsync
//   zero-copy   reserve(len) -> view, commit();       raw bytes, one fragment at most
//               recvView() -> view, release()
//   iteration   for (const v of ch) (blocking), for await (const v of ch)
//
// Every wait takes { timeout, signal }. A sender that gives up after part of a message is in
// the ring never leaves half a message: it withdraws the message if no receiver claimed it,
// else writes a cancel frame so the receiver drops the partial (assembly/channel.ts). A receive
// that has claimed a message finishes it (the rest is on its way from a sender that holds the
// send lock), so timeouts and aborts apply to the wait for a message, not to its bytes.
//
// Close: later sends throw ClosedError; receivers drain every complete message, then recv
// throws ClosedError and iteration ends. A peer marked gone (a crashed worker, see
// sabre/node's spawnWorker) makes every blocked and later operation throw PeerGoneError.
import * as L from "../../assembly/layout";
import { canDecodeRange, msgpackCodec, resolveCodec, type Codec, type CodecName, type RangeCodec } from "../codec/codec";
import {
  ClosedError, CodecError, CorruptRegionError, InvalidArgumentError, MessageTooLargeError, PeerGoneError, throwStatus,
} from "../errors";
import { attach, type PrimitiveHandle, type Typed } from "../region/handle";
import type { Region } from "../region/region";
import { channelStructures, freeChannelStructures } from "../codec/structures";
import { copyInto, copyOut } from "../region/copy";
import {
  blockingAllowed, checkBlocking, deadlineFrom, parkAsync, throwIfAborted, timeoutError, timeoutMs, type WaitOptions,
} from "../wait/wait";

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

/** Thrown internally to end iteration; never escapes. */
const END = Symbol("end");
/** How long a trySend of a message larger than the free ring waits for a receiver inside recv
 *  to claim it before withdrawing it (ms). */
const CLAIM_WAIT_MS = 1;
/** The fast path did not apply: take the general one. */
const NONE = Symbol("none");

/**
 * A typed, bounded multi-producer multi-consumer channel of messages in shared memory, with Go's
 * semantics: `capacity` counts messages (0 = rendezvous), values go through a codec (msgpack by
 * default), large messages are split into fragments, `close` lets receivers drain. Blocking, async,
 * try and zero-copy forms, iteration, and `select` over several channels.
 */
export class Channel<T = unknown> {
  /** The structured-cloneable handle: post it to a worker and call `Channel.from` there. */
  readonly handle: ChannelHandle<T>;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #codec: Codec<T>;
  /** The codec again when it decodes a range of the scratch buffer (see #recvFast). */
  readonly #rangeCodec: RangeCodec<T> | undefined;
  readonly #ring: number;
  readonly #fragment: number;
  readonly #maxFrame: number;
  readonly #capacity: number;
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
    this.#ring = offset + L.CH_RING;
    // a fragment of n bytes takes CH_FRAG_HEADER + n padded to 8 of a ring frame
    const floor8 = (n: number) => n - (n % L.CH_FRAG_ALIGN);
    const ringBytes = region.core.br_capacity(this.#ring);
    this.#maxFrame = floor8(region.core.br_max_frame(this.#ring) - L.CH_FRAG_HEADER);
    this.#fragment = Math.min(this.#maxFrame, Math.max(L.CH_FRAG_ALIGN, floor8(ringBytes / 4 - L.BR_FRAME_HEADER - L.CH_FRAG_HEADER)));
    this.#capacity = region.core.ch_capacity(offset);
  }

  /** Allocates a channel in `region`. */
  static create<T = unknown>(region: Region, options: ChannelOptions<T> = {}): Channel<T> {
    const capacity = options.capacity ?? 0;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > L.CH_MAX_CAPACITY) {
      throw new InvalidArgumentError(`Channel.create: capacity is a number of messages from 0 (rendezvous) to ${L.CH_MAX_CAPACITY}, got ${String(capacity)}`);
    }
    const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER;
    const size = Number.isInteger(bufferBytes) && bufferBytes >= MIN_BUFFER ? region.core.ch_size_of(bufferBytes) : 0;
    if (size === 0) {
      throw new InvalidArgumentError(
        `Channel.create: bufferBytes must be a power of two from ${MIN_BUFFER} to ${L.BR_MAX_CAPACITY}, got ${String(bufferBytes)}`,
      );
    }
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0 || maxMessageBytes > 0x7fffffff) {
      throw new InvalidArgumentError(`Channel.create: maxMessageBytes must be an integer from 0 to 2^31 - 1, got ${String(maxMessageBytes)}`);
    }
    const codec = resolveCodec(options.codec, "Channel.create");
    const offset = region.allocate(L.KIND_CHANNEL, size, "Channel.create");
    const status = region.core.ch_init(offset, capacity, bufferBytes);
    if (status !== L.OK) throwStatus(status, "Channel.create");
    return new Channel(region, offset, codec, maxMessageBytes, options.name ?? `channel@${offset}`);
  }

  /** Attaches to a channel from its handle (same codec by name; pass { codec } for a custom one). */
  static from<T = unknown>(handle: ChannelHandle<T>, options: FromOptions<T> = {}): Channel<T> {
    const { region, offset } = attach(handle, "channel", L.KIND_CHANNEL);
    let codec: Codec<T>;
    if (options.codec) codec = options.codec;
    else if (handle.codec === "msgpack" || handle.codec === "raw" || handle.codec === "json") codec = resolveCodec<T>(handle.codec, "Channel.from");
    else {
      throw new InvalidArgumentError(
        `Channel.from: this channel uses the custom codec "${handle.codec}"; pass it as Channel.from(handle, { codec })`,
      );
    }
    return new Channel(region, offset, codec, handle.maxMessageBytes, handle.name);
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
  /** Whether the channel was marked peer-gone (a thread using it died; see markPeerGone). */
  get peerGone(): boolean {
    return (this.region.core.ch_state(this.offset) & L.CH_PEER_GONE) !== 0;
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

  // ---- errors -------------------------------------------------------------------------------

  #error(status: number, what: string, ms = -1): Error {
    if (status === L.CLOSED) {
      return new ClosedError(`${what} on ${this.name}: the channel is closed; nothing more can be sent, and receiving ends once it is drained`);
    }
    if (status === L.PEER_GONE) {
      return new PeerGoneError(`${what} on ${this.name}: a thread using this channel died (it was marked peer-gone); create a new channel`);
    }
    if (status === L.TIMED_OUT) return timeoutError(`${what} on ${this.name}`, ms);
    if (status === L.CORRUPT) {
      return new CorruptRegionError(`${what} on ${this.name}: a fragment header in the ring is not valid (corrupt region, or a stale handle)`);
    }
    try {
      throwStatus(status, `${what} on ${this.name}`);
    } catch (error) {
      return error as Error;
    }
  }

  #encode(value: T, what: string): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(value);
    } catch (error) {
      if (error instanceof CodecError) throw new CodecError(`${what} on ${this.name}: ${error.message}`, { cause: error.cause });
      throw new CodecError(`${what} on ${this.name}: the ${this.#codec.name} codec could not encode the value: ${(error as Error).message}`, { cause: error });
    }
    if (bytes.length > this.maxMessageBytes) {
      throw new MessageTooLargeError(
        `${what} on ${this.name}: the encoded message is ${bytes.length} bytes, above maxMessageBytes ${this.maxMessageBytes}; nothing was sent (raise maxMessageBytes when creating the channel, or send smaller messages)`,
      );
    }
    return bytes;
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

  // ---- locks ----------------------------------------------------------------------------------

  #lock(at: number, ms: number, what: string): void {
    const s = this.region.core.mutex_lock(this.offset + at, this.region.agent, ms);
    if (s === L.WOULD_DEADLOCK) {
      throw new InvalidArgumentError(`${what} on ${this.name}: this thread is already inside a ${at === L.CH_SEND_LOCK ? "send (reserve without commit?)" : "receive (recvView without release?)"}`);
    }
    if (s !== L.OK) throw this.#error(s, what, ms);
  }

  async #lockAsync(at: number, deadline: number, ms: number, what: string, signal?: AbortSignal): Promise<void> {
    const { core, agent } = this.region;
    let parked = 0;
    for (;;) {
      const s = core.mutex_lock_step(this.offset + at, agent, parked);
      if (s === L.OK) return;
      if (s !== L.WOULD_BLOCK) throw this.#error(s, what, ms);
      parked = 1;
      const woke = await parkAsync(this.#words, (this.offset + at + L.MUTEX_STATE) >> 2, L.MUTEX_CONTENDED, deadline, what, signal);
      if (woke === "timed-out") {
        if (core.mutex_lock_step(this.offset + at, agent, 1) === L.OK) return;
        throw timeoutError(`${what} on ${this.name}`, ms);
      }
    }
  }

  #unlock(at: number): void {
    this.region.core.mutex_unlock(this.offset + at, this.region.agent);
  }

  /**
   * Generic async wait on a core step: `step` returns a result, `blocked(r)` says it registered
   * as a waiter on words[index] (read before the step); parks, deregisters with `unwait`, and
   * retries. On timeout, one last `step` then its `unwait`; returns L.TIMED_OUT (as -TIMED_OUT
   * when negative results are addresses).
   */
  async #waitStep(
    index: number, step: () => number, blocked: (r: number) => boolean, unwait: () => void,
    deadline: number, what: string, signal: AbortSignal | undefined, timedOut: number,
  ): Promise<number> {
    for (;;) {
      const seen = Atomics.load(this.#words, index);
      const r = step();
      if (!blocked(r)) return r;
      let woke: "woken" | "timed-out";
      try {
        woke = await parkAsync(this.#words, index, seen, deadline, what, signal);
      } finally {
        unwait();
      }
      if (woke === "timed-out") {
        const last = step();
        if (!blocked(last)) return last;
        unwait();
        return timedOut;
      }
    }
  }

  // ---- send --------------------------------------------------------------------------------------

  /** Sends `value`, blocking while the channel is full (capacity 0: until a receiver takes it). */
  send(value: T, options?: WaitOptions): void {
    const what = "Channel.send";
    checkBlocking(what, options);
    const bytes = this.#encode(value, what);
    if (this.#sendFast(bytes, what)) return;
    this.#sendBytes(bytes, timeoutMs(options), what);
  }

  /** The common case in two core calls: a message of one fragment, capacity > 0, the send
   *  lock free and room now. False when it does not apply (nothing was changed). */
  #sendFast(bytes: Uint8Array, what: string): boolean {
    const n = bytes.length;
    if (this.#capacity === 0 || n > this.#fragment) return false;
    const { core, agent } = this.region;
    const a = core.ch_send_begin(this.offset, agent, n);
    if (a < 0) {
      if (a === -L.WOULD_BLOCK) return false;
      throw this.#error(-a, what);
    }
    copyInto(this.#bytes, a, bytes);
    const s = core.ch_send_end(this.offset, agent);
    if (s !== L.OK) throw this.#error(s, what);
    return true;
  }

  #sendBytes(bytes: Uint8Array, ms: number, what: string): void {
    const deadline = deadlineFrom(ms);
    this.#lock(L.CH_SEND_LOCK, ms, what);
    try {
      this.#sendLocked(bytes, ms, deadline, what);
    } finally {
      this.#unlock(L.CH_SEND_LOCK);
    }
  }

  /** One message, blocking, with the send lock held: wait for a slot, write its fragments,
   *  and with capacity 0 wait for a receiver to take it. */
  #sendLocked(bytes: Uint8Array, ms: number, deadline: number, what: string): void {
    const { core } = this.region;
    const c = this.offset;
    const left = () => (ms < 0 ? -1 : Math.max(0, deadline - performance.now()));
    if (this.#capacity > 0 && bytes.length <= this.#fragment) {
      // a slot and ring space now: one call, no waits
      const a = core.ch_send_try(c, bytes.length);
      if (a >= 0) {
        copyInto(this.#bytes, a, bytes);
        const p = core.ch_publish(c, 1);
        if (p < 0) throw this.#error(-p, what, ms);
        return;
      }
      if (a !== -L.WOULD_BLOCK) throw this.#error(-a, what, ms);
    }
    const s = core.ch_send_ready_wait(c, left());
    if (s !== L.OK) throw this.#error(s, what, ms);
    const total = bytes.length;
    let off = 0;
    let first = 0;
    let ticket = 0;
    do {
      const n = Math.min(this.#fragment, total - off);
      const a = core.ch_reserve_wait(c, off === 0 ? L.CH_FIRST : L.CH_CONT, total, n, left());
      if (a < 0) {
        if (first) core.ch_cancel_wait(c, first);
        throw this.#error(-a, what, ms);
      }
      copyInto(this.#bytes, a, bytes, off, off + n);
      const p = core.ch_publish(c, off === 0 ? 1 : 0);
      if (p < 0) throw this.#error(-p, what, ms);
      if (off === 0) {
        first = a;
        ticket = p;
      }
      off += n;
    } while (off < total);
    if (this.#capacity === 0) {
      const d = core.ch_delivered_wait(c, ticket, left());
      if (d !== L.OK && core.ch_withdraw(c, first) === L.OK) throw this.#error(d, what, ms);
    }
  }

  /**
   * Sends `values` in order, each its own message, under one hold of the send lock: no other
   * sender's message comes between them, and the lock is taken once for the batch. Blocks
   * while the channel is full (receivers may take the first messages meanwhile). Every value
   * is encoded before anything is sent, so a value the codec refuses sends nothing. A timeout,
   * abort or close part-way leaves the messages already sent in the channel: the error's
   * `sent` property says how many.
   */
  sendMany(values: Iterable<T>, options?: WaitOptions): void {
    const what = "Channel.sendMany";
    checkBlocking(what, options);
    const encoded = Array.from(values, (v) => this.#encode(v, what));
    if (encoded.length === 0) return;
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    let sent = 0;
    try {
      this.#lock(L.CH_SEND_LOCK, ms, what);
      try {
        for (; sent < encoded.length; sent++) this.#sendLocked(encoded[sent], ms, deadline, what);
      } finally {
        this.#unlock(L.CH_SEND_LOCK);
      }
    } catch (error) {
      if (error instanceof Error) {
        error.message += ` (${sent} of ${encoded.length} messages were sent)`;
        Object.assign(error, { sent });
      }
      throw error;
    }
  }

  /** One attempt: true if sent, false if the channel is full now (capacity 0: no receiver is
   *  waiting). Throws ClosedError when closed. Never leaves part of the message behind. */
  trySend(value: T): boolean {
    const what = "Channel.trySend";
    const bytes = this.#encode(value, what);
    return this.#trySendBytes(bytes, what);
  }

  /** Waits up to CLAIM_WAIT_MS for a receiver to claim the message with `ticket` (a bounded
   *  spin where blocking is not allowed); true once claimed. */
  #awaitClaim(ticket: number): boolean {
    const { core } = this.region;
    if (blockingAllowed) return core.ch_delivered_wait(this.offset, ticket, CLAIM_WAIT_MS) === L.OK;
    const end = performance.now() + CLAIM_WAIT_MS;
    do if (core.ch_delivered(this.offset, ticket) === L.OK) return true;
    while (performance.now() < end);
    return false;
  }

  #trySendBytes(bytes: Uint8Array, what: string): boolean {
    if (this.#sendFast(bytes, what)) return true;
    const { core } = this.region;
    const c = this.offset;
    const l = core.mutex_try_lock(c + L.CH_SEND_LOCK, this.region.agent);
    if (l !== L.OK) return false;
    try {
      const s = core.ch_send_ready(c);
      if (s === L.WOULD_BLOCK) return false;
      if (s !== L.OK) throw this.#error(s, what);
      // rendezvous: only worth trying while a receiver is inside recv
      if (this.#capacity === 0 && core.mutex_owner(c + L.CH_RECV_LOCK) === 0) return false;
      const total = bytes.length;
      let off = 0;
      let first = 0;
      let ticket = 0;
      do {
        const n = Math.min(this.#fragment, total - off);
        let a = core.ch_reserve(c, off === 0 ? L.CH_FIRST : L.CH_CONT, total, n);
        if (a === -L.WOULD_BLOCK) {
          if (off === 0) return false;
          // A message larger than the free ring goes through only while a receiver reads it.
          // One inside recv (it holds the recv lock) was woken by the first fragment: give it
          // a moment to claim before withdrawing, or a parked receiver (woken in tens of
          // microseconds) never catches a message withdrawn microseconds after it began.
          if (core.mutex_owner(c + L.CH_RECV_LOCK) !== 0) this.#awaitClaim(ticket);
          if (core.ch_withdraw(c, first) === L.OK) return false;
          // a receiver claimed the message and is reading it: the rest goes through
          // (a thread that may not block, a browser main thread, re-tries instead of parking)
          do a = core.ch_reserve_wait(c, L.CH_CONT, total, n, blockingAllowed ? -1 : 0); while (a === -L.TIMED_OUT);
        }
        if (a < 0) throw this.#error(-a, what);
        copyInto(this.#bytes, a, bytes, off, off + n);
        const p = core.ch_publish(c, off === 0 ? 1 : 0);
        if (p < 0) throw this.#error(-p, what);
        if (off === 0) {
          first = a;
          ticket = p;
        }
        off += n;
      } while (off < total);
      if (this.#capacity === 0) {
        // a receiver is in recv: give it a moment (bounded; spin only where blocking is not allowed)
        const d = core.ch_delivered_wait(c, ticket, blockingAllowed ? 1 : 0);
        if (d !== L.OK && core.ch_withdraw(c, first) === L.OK) {
          if (d === L.TIMED_OUT) return false;
          throw this.#error(d, what);
        }
      }
      return true;
    } finally {
      this.#unlock(L.CH_SEND_LOCK);
    }
  }

  /** `send` without blocking the thread. */
  async sendAsync(value: T, options?: WaitOptions): Promise<void> {
    const what = "Channel.sendAsync";
    throwIfAborted(what, options?.signal);
    const bytes = this.#encode(value, what);
    if (this.#sendFast(bytes, what)) return;
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const signal = options?.signal;
    const { core } = this.region;
    const c = this.offset;
    const sendSeq = (c + L.CH_SEND_SEQ) >> 2;
    const spaceSeq = (this.#ring + L.BR_SPACE_SEQ) >> 2;
    await this.#lockAsync(L.CH_SEND_LOCK, deadline, ms, what, signal);
    try {
      const s = await this.#waitStep(
        sendSeq, () => core.ch_send_ready_step(c), (r) => r === L.WOULD_BLOCK, () => core.ch_send_unwait(c),
        deadline, what, signal, L.TIMED_OUT,
      );
      if (s !== L.OK) throw this.#error(s, what, ms);
      const total = bytes.length;
      let off = 0;
      let first = 0;
      let ticket = 0;
      do {
        const n = Math.min(this.#fragment, total - off);
        const kind = off === 0 ? L.CH_FIRST : L.CH_CONT;
        let a: number;
        try {
          a = await this.#waitStep(
            spaceSeq, () => core.ch_reserve_step(c, kind, total, n), (r) => r === -L.WOULD_BLOCK,
            () => core.br_space_unwait(this.#ring), deadline, what, signal, -L.TIMED_OUT,
          );
        } catch (error) {
          if (first) await this.#cancelAsync(first);
          throw error;
        }
        if (a < 0) {
          if (first) await this.#cancelAsync(first);
          throw this.#error(-a, what, ms);
        }
        copyInto(this.#bytes, a, bytes, off, off + n);
        const p = core.ch_publish(c, off === 0 ? 1 : 0);
        if (p < 0) throw this.#error(-p, what, ms);
        if (off === 0) {
          first = a;
          ticket = p;
        }
        off += n;
      } while (off < total);
      if (this.#capacity === 0) {
        let d: number;
        try {
          d = await this.#waitStep(
            sendSeq, () => core.ch_delivered_step(c, ticket), (r) => r === L.WOULD_BLOCK, () => core.ch_send_unwait(c),
            deadline, what, signal, L.TIMED_OUT,
          );
        } catch (error) {
          if (core.ch_withdraw(c, first) === L.OK) throw error;
          return; // delivered meanwhile
        }
        if (d !== L.OK && core.ch_withdraw(c, first) === L.OK) throw this.#error(d, what, ms);
      }
    } finally {
      this.#unlock(L.CH_SEND_LOCK);
    }
  }

  /** Gives up a begun message without blocking the thread (waits for 8 bytes of ring space
   *  only when a receiver is reading the message, so that wait is short). */
  async #cancelAsync(first: number): Promise<void> {
    const { core } = this.region;
    const spaceSeq = (this.#ring + L.BR_SPACE_SEQ) >> 2;
    for (;;) {
      const seen = Atomics.load(this.#words, spaceSeq);
      if (core.ch_cancel_step(this.offset, first) !== L.WOULD_BLOCK) return;
      try {
        await parkAsync(this.#words, spaceSeq, seen, Infinity, "Channel.cancel");
      } finally {
        core.br_space_unwait(this.#ring);
      }
    }
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
      throw new InvalidArgumentError(`${what} on ${this.name}: len must be 0 to ${Math.min(this.#maxFrame, this.maxMessageBytes)} bytes (one fragment), got ${String(len)}; use send for larger messages`);
    }
    if (this.#reserved) throw new InvalidArgumentError(`${what} on ${this.name}: commit() the previous reserve first`);
    checkBlocking(what, options);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const left = () => (ms < 0 ? -1 : Math.max(0, deadline - performance.now()));
    const { core } = this.region;
    this.#lock(L.CH_SEND_LOCK, ms, what);
    let ok = false;
    try {
      const s = core.ch_send_ready_wait(this.offset, left());
      if (s !== L.OK) throw this.#error(s, what, ms);
      const a = core.ch_reserve_wait(this.offset, L.CH_FIRST, len, len, left());
      if (a < 0) throw this.#error(-a, what, ms);
      this.#reserved = a;
      ok = true;
      return this.#bytes.subarray(a, a + len);
    } finally {
      if (!ok) this.#unlock(L.CH_SEND_LOCK);
    }
  }

  /** Publishes the message `reserve` handed out (capacity 0: waits for a receiver to take it). */
  commit(options?: WaitOptions): void {
    const what = "Channel.commit";
    const first = this.#reserved;
    if (!first) throw new InvalidArgumentError(`${what} on ${this.name}: nothing reserved; call reserve(len) first`);
    this.#reserved = 0;
    const { core } = this.region;
    try {
      const p = core.ch_publish(this.offset, 1);
      if (p < 0) throw this.#error(-p, what);
      if (this.#capacity === 0) {
        const ms = timeoutMs(options);
        const d = core.ch_delivered_wait(this.offset, p, ms);
        if (d !== L.OK && core.ch_withdraw(this.offset, first) === L.OK) throw this.#error(d, what, ms);
      }
    } finally {
      this.#unlock(L.CH_SEND_LOCK);
    }
  }

  // ---- receive ---------------------------------------------------------------------------------------

  /**
   * Reads the claimed message (recv lock held, claim made). Returns its bytes (a private copy),
   * END when the channel closed mid-message, or null when the sender cancelled it (claim again).
   * `view`: a single-fragment message is returned as a view into the ring, not released.
   */
  #readClaimed(view: boolean, what: string): Uint8Array | null | typeof END {
    const { core } = this.region;
    const c = this.offset;
    let out: Uint8Array | undefined;
    let got = 0;
    let total = 0;
    for (;;) {
      const n = core.ch_fragment(c, out ? 1 : 0);
      if (n === -L.WOULD_BLOCK) {
        // The rest is on its way: its sender holds the send lock until the message is written
        // (or close wakes us). A thread that may not block (a browser main thread, reached
        // through tryRecv/recvView) re-checks instead of parking.
        if (blockingAllowed) core.br_peek_wait(this.#ring, -1);
        continue;
      }
      if (n === -L.CANCELLED) return null;
      if (n === -L.CLOSED) return END;
      if (n < 0) throw this.#error(-n, what);
      const a = core.br_frame_addr(this.#ring) + L.CH_FRAG_HEADER;
      if (!out) {
        total = this.#words[(a - L.CH_FRAG_HEADER + L.CH_FRAG_TOTAL) >> 2];
        if (total < n || total < 0) throw this.#error(L.CORRUPT, what);
        if (n === total) {
          if (view) return this.#bytes.subarray(a, a + n);
          const copy = copyOut(this.#bytes, a, a + n);
          core.br_release(this.#ring);
          return copy;
        }
        out = new Uint8Array(total);
      }
      if (got + n > total) throw this.#error(L.CORRUPT, what);
      out.set(this.#bytes.subarray(a, a + n), got);
      got += n;
      core.br_release(this.#ring);
      if (got === total) return out;
    }
  }

  async #readClaimedAsync(what: string): Promise<Uint8Array | null | typeof END> {
    const { core } = this.region;
    const dataSeq = (this.#ring + L.BR_DATA_SEQ) >> 2;
    for (;;) {
      // non-blocking pass: returns unless the next fragment is not published yet
      const r = this.#readSome(what);
      if (r !== undefined) return r;
      const seen = Atomics.load(this.#words, dataSeq);
      const len = core.br_peek_step(this.#ring);
      if (len !== -L.WOULD_BLOCK) continue;
      try {
        await parkAsync(this.#words, dataSeq, seen, Infinity, what);
      } finally {
        core.br_data_unwait(this.#ring);
      }
    }
  }

  // state of a message being assembled by #readSome (async receive, one at a time per thread
  // thanks to the recv lock)
  #partial: Uint8Array | undefined;
  #partialGot = 0;

  #readSome(what: string): Uint8Array | null | typeof END | undefined {
    const { core } = this.region;
    for (;;) {
      const out = this.#partial;
      const n = core.ch_fragment(this.offset, out ? 1 : 0);
      if (n === -L.WOULD_BLOCK) return undefined;
      if (n === -L.CANCELLED || n === -L.CLOSED || n < 0) {
        this.#partial = undefined;
        this.#partialGot = 0;
        if (n === -L.CANCELLED) return null;
        if (n === -L.CLOSED) return END;
        throw this.#error(-n, what);
      }
      const a = core.br_frame_addr(this.#ring) + L.CH_FRAG_HEADER;
      if (!out) {
        const total = this.#words[(a - L.CH_FRAG_HEADER + L.CH_FRAG_TOTAL) >> 2];
        if (total < n || total < 0) throw this.#error(L.CORRUPT, what);
        if (n === total) {
          const copy = copyOut(this.#bytes, a, a + n);
          core.br_release(this.#ring);
          return copy;
        }
        this.#partial = new Uint8Array(total);
        this.#partialGot = 0;
      }
      const buf = this.#partial as Uint8Array;
      if (this.#partialGot + n > buf.length) throw this.#error(L.CORRUPT, what);
      buf.set(this.#bytes.subarray(a, a + n), this.#partialGot);
      this.#partialGot += n;
      core.br_release(this.#ring);
      if (this.#partialGot === buf.length) {
        this.#partial = undefined;
        this.#partialGot = 0;
        return buf;
      }
    }
  }

  /** Receives bytes (blocking); END when closed and drained. */
  #recvBytes(ms: number, what: string, view: boolean): Uint8Array | typeof END {
    const { core } = this.region;
    const deadline = deadlineFrom(ms);
    const left = () => (ms < 0 ? -1 : Math.max(0, deadline - performance.now()));
    this.#lock(L.CH_RECV_LOCK, ms, what);
    let keep = false;
    try {
      for (;;) {
        const s = core.ch_claim_wait(this.offset, left());
        if (s === L.CLOSED) return END;
        if (s !== L.OK) throw this.#error(s, what, ms);
        const r = this.#readClaimed(view, what);
        if (r === null) continue;
        if (r === END) {
          if (core.ch_state(this.offset) & L.CH_PEER_GONE) throw this.#error(L.PEER_GONE, what);
          return END;
        }
        if (view && r.buffer === this.#bytes.buffer) keep = true;
        return r;
      }
    } finally {
      if (!keep) this.#unlock(L.CH_RECV_LOCK);
    }
  }

  /** Private buffer single-fragment messages are copied to and decoded from (see #recvFast). */
  #scratch = new Uint8Array(256);

  /**
   * The common case in two core calls: the recv lock free and a message claimable now. A
   * single-fragment message is copied out (to the scratch buffer when the codec decodes a range,
   * else a private copy), released, and decoded after the lock is dropped. Returns the value,
   * END (closed and drained), or NONE (nothing now, lock busy, or a cancelled message: take the
   * general path, which waits).
   */
  #recvFast(what: string): T | typeof END | typeof NONE {
    const { core, agent } = this.region;
    const c = this.offset;
    const a = core.ch_recv_begin(c, agent);
    if (a >= 0) {
      const n = this.#words[(a - L.CH_FRAG_HEADER + L.CH_FRAG_TOTAL) >> 2];
      const codec = this.#rangeCodec;
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
      const copy = copyOut(this.#bytes, a, a + n);
      core.ch_recv_end(c, agent);
      return this.#decode(copy, what);
    }
    if (a === -L.WOULD_BLOCK) return NONE;
    if (a === -L.CLOSED) return END;
    if (a !== -L.CLAIMED) throw this.#error(-a, what);
    // claimed a message in several fragments (or one not readable yet): the general reader
    let r: Uint8Array | null | typeof END;
    try {
      r = this.#readClaimed(false, what);
      if (r === END && core.ch_state(c) & L.CH_PEER_GONE) throw this.#error(L.PEER_GONE, what);
    } finally {
      this.#unlock(L.CH_RECV_LOCK);
    }
    if (r === null) return NONE;
    if (r === END) return END;
    return this.#decode(r, what);
  }

  /** Receives the next value, blocking while there is none. Throws ClosedError once the
   *  channel is closed and drained. */
  recv(options?: WaitOptions): T {
    const what = "Channel.recv";
    checkBlocking(what, options);
    const fast = this.#recvFast(what);
    if (fast !== NONE) {
      if (fast === END) throw this.#error(L.CLOSED, what);
      return fast;
    }
    const bytes = this.#recvBytes(timeoutMs(options), what, false);
    if (bytes === END) throw this.#error(L.CLOSED, what);
    return this.#decode(bytes, what);
  }

  /** One attempt: { ok: true, value } or { ok: false, closed } when there is no message now. */
  tryRecv(): TryRecvResult<T> {
    const what = "Channel.tryRecv";
    const fast = this.#recvFast(what);
    if (fast !== NONE) return fast === END ? { ok: false, closed: true } : { ok: true, value: fast };
    const { core } = this.region;
    const c = this.offset;
    if (core.mutex_try_lock(c + L.CH_RECV_LOCK, this.region.agent) !== L.OK) return { ok: false, closed: false };
    let bytes: Uint8Array | undefined;
    try {
      for (;;) {
        const s = core.ch_claim(c);
        if (s === L.WOULD_BLOCK) return { ok: false, closed: false };
        if (s === L.CLOSED) return { ok: false, closed: true };
        if (s !== L.OK) throw this.#error(s, what);
        const r = this.#readClaimed(false, what);
        if (r === null) continue;
        if (r === END) return { ok: false, closed: true };
        bytes = r;
        break;
      }
    } finally {
      this.#unlock(L.CH_RECV_LOCK);
    }
    return { ok: true, value: this.#decode(bytes, what) };
  }

  async #recvBytesAsync(options: WaitOptions | undefined, what: string): Promise<Uint8Array | typeof END> {
    throwIfAborted(what, options?.signal);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const signal = options?.signal;
    const { core } = this.region;
    const c = this.offset;
    await this.#lockAsync(L.CH_RECV_LOCK, deadline, ms, what, signal);
    try {
      for (;;) {
        const s = await this.#waitStep(
          (c + L.CH_RECV_SEQ) >> 2, () => core.ch_claim_step(c), (r) => r === L.WOULD_BLOCK, () => core.ch_recv_unwait(c),
          deadline, what, signal, L.TIMED_OUT,
        );
        if (s === L.CLOSED) return END;
        if (s !== L.OK) throw this.#error(s, what, ms);
        const r = await this.#readClaimedAsync(what);
        if (r === null) continue;
        if (r === END) {
          if (core.ch_state(c) & L.CH_PEER_GONE) throw this.#error(L.PEER_GONE, what);
          return END;
        }
        return r;
      }
    } finally {
      this.#unlock(L.CH_RECV_LOCK);
    }
  }

  /** `recv` without blocking the thread. */
  async recvAsync(options?: WaitOptions): Promise<T> {
    const what = "Channel.recvAsync";
    throwIfAborted(what, options?.signal);
    const fast = this.#recvFast(what);
    if (fast !== NONE) {
      if (fast === END) throw this.#error(L.CLOSED, what);
      return fast;
    }
    const bytes = await this.#recvBytesAsync(options, what);
    if (bytes === END) throw this.#error(L.CLOSED, what);
    return this.#decode(bytes, what);
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
    const bytes = this.#recvBytes(timeoutMs(options), what, true);
    if (bytes === END) throw this.#error(L.CLOSED, what);
    this.#viewing = true;
    this.#viewHeld = bytes.buffer === this.#bytes.buffer; // a view: frame and recv lock kept
    return bytes;
  }

  /** Ends the view `recvView` returned: its bytes may be overwritten from now on. */
  release(): void {
    if (!this.#viewing) throw new InvalidArgumentError(`Channel.release on ${this.name}: no view to release; call recvView() first`);
    this.#viewing = false;
    if (!this.#viewHeld) return;
    this.#viewHeld = false;
    this.region.core.br_release(this.#ring);
    this.#unlock(L.CH_RECV_LOCK);
  }
  #viewHeld = false;

  // ---- iteration ----------------------------------------------------------------------------------------

  /** Blocking iteration: yields values until the channel is closed and drained. */
  *[Symbol.iterator](): Iterator<T> {
    for (;;) {
      checkBlocking("Channel iteration", undefined);
      const fast = this.#recvFast("Channel iteration");
      if (fast === END) return;
      if (fast !== NONE) {
        yield fast;
        continue;
      }
      const bytes = this.#recvBytes(-1, "Channel iteration", false);
      if (bytes === END) return;
      yield this.#decode(bytes, "Channel iteration");
    }
  }

  /** Async iteration: yields values until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const bytes = await this.#recvBytesAsync(undefined, "Channel iteration");
      if (bytes === END) return;
      yield this.#decode(bytes, "Channel iteration");
    }
  }

  // ---- both sides -----------------------------------------------------------------------------------------

  /** Closes the channel (idempotent): sends fail from now on, receivers drain then end. */
  close(): void {
    this.region.core.ch_close(this.offset);
  }

  /** Marks the channel's peers gone (done by spawnWorker when a worker dies): every blocked
   *  and later operation throws PeerGoneError. */
  markPeerGone(): void {
    this.region.core.ch_mark_peer_gone(this.offset);
  }

  /** Returns the channel's memory to the region. It must be unused everywhere. */
  free(): void {
    freeChannelStructures(this.region, this.offset);
    this.region.release(L.KIND_CHANNEL, this.offset, "Channel.free");
  }

  // ---- internal: select (src/channel/select.ts) ---------------------------------------------------------------
  // Not part of the public API. select encodes a send case's value once, then offers the bytes
  // on every round; it tells "not now" from "busy" with the lock owners and the core's readiness.

  /** @internal select: encodes `value` for a later trySendEncoded (codec and size checks). */
  encodeForSend(value: T, what: string): Uint8Array {
    return this.#encode(value, what);
  }

  /** @internal select: trySend of bytes from encodeForSend. */
  trySendEncoded(bytes: Uint8Array, what: string): boolean {
    return this.#trySendBytes(bytes, what);
  }
}
