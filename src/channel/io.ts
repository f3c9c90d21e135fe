// io.ts — ChannelIO<T>: what a Channel object (channel.ts) does to move one message between a
// value and the ring in plain code, without the step machines of send.ts and recv.ts: the codec
// (encode and decode, their errors, the maxMessageBytes check), the one-call fast paths over the
// core's two-call exports (ch_send_begin/ch_send_end, ch_recv_begin/ch_recv_end:
// assembly/channel-fast.ts), and the spin a receive makes before its receive machine runs.
//
// One per Channel object, made by its constructor; internal (not exported from the package).
// Shared words it touches: it writes a message's bytes into the fragment ch_send_begin reserved
// (the send lock held, as this thread's agent) and reads one ch_recv_begin claimed (the recv lock
// held) before the matching *_end call; the spin reads the channel's CH_COUNT and CH_STATE with
// plain atomic loads (a hint: the fast path re-checks under the lock). Everything else it keeps
// is this object's: the scratch buffer single-fragment messages are decoded from, and the spin's
// adaptive length. Per message it allocates nothing beyond what the codec makes (a fast receive
// for a codec without decodeRange takes a recycled array, large.ts).
import * as L from "../../assembly/layout";
import { canDecodeRange, canEncodeScratch, jsonCodec, msgpackCodec, sharedUtf8Reader, type Codec, type EncodedRange, type RangeCodec, type ScratchCodec } from "../codec/codec";
import { CodecError, MessageTooLargeError } from "../errors";
import type { Region } from "../region/region";
import { encodedBytes } from "../options";
import { stringStart } from "../codec/scan";
import { channelStructures } from "../codec/structures";
import { copyInto, copyOut } from "../region/copy";
import type { Deadline } from "../wait/deadline";
import { spinnerOf } from "../wait/parker";
import { channelError, messageLength, type ChannelPort } from "./port";
import { ReceivePool } from "./large";
import { arrayMessages, rangeMessages, type MessageList } from "./send";

/** Thrown internally to end iteration; never escapes. */
export const END = Symbol("end");
/** The fast path did not apply: take the general one. */
export const NONE = Symbol("none");
/** The fast path claimed a message in several fragments: read it with the receive machine. */
export const CLAIMED = Symbol("claimed");

/** How long (ms) a blocking or async receive spins on plain loads before its receive machine
 *  (recvSpin): a few round trips of a peer that is running. */
const RECV_SPIN_MS = 0.02;
/** The most wasted spins #spinFails remembers (the spin recovers in as many good ones). */
const SPIN_FAILS_MAX = 8;

/** @internal A Channel object's codec and one-call paths (see the file's header). */
export class ChannelIO<T> {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  readonly codec: Codec<T>;
  /** The codec again when it decodes a range of the scratch buffer (see recvFast). */
  readonly rangeCodec: RangeCodec<T> | undefined;
  /** Reads a msgpack message's string straight out of the memory (see recvFast), where the
   *  runtime can (sharedUtf8Reader); undefined for other codecs. */
  readonly #readText: ((start: number, end: number) => string) | undefined;
  /** The codec again when it encodes into a scratch buffer (see sendFastOrEncode). */
  readonly #scratchCodec: ScratchCodec<T> | undefined;
  readonly #fragment: number;
  readonly #capacity: number;
  /** The object's recycled arrays and receive buffers (large.ts). */
  readonly pool: ReceivePool;

  /**
   * @param region, offset, name, maxMessageBytes The Channel's. @param codec The codec it was
   * created or attached with (msgpack shares its record structures through the channel).
   * @param port What the machines know of the channel.
   */
  constructor(readonly region: Region, readonly offset: number, codec: Codec<T>, readonly maxMessageBytes: number, readonly name: string, port: ChannelPort) {
    this.bytes = new Uint8Array(region.memory.buffer);
    this.words = region.words;
    // msgpack shares its record structures through the channel (structures.ts)
    this.codec = codec.name === "msgpack" ? msgpackCodec<T>(channelStructures(region, offset, name)) : codec;
    this.rangeCodec = canDecodeRange(this.codec) ? this.codec : undefined;
    this.#scratchCodec = canEncodeScratch(this.codec) ? this.codec : undefined;
    this.#readText = codec.name === "msgpack" ? sharedUtf8Reader(region.memory.buffer) : undefined;
    this.pool = new ReceivePool(this.codec.name === "msgpack" || (this.codec as unknown) === jsonCodec);
    this.#fragment = port.fragment;
    this.#capacity = port.capacity;
  }

  // ---- errors and codec -----------------------------------------------------------------------

  error(status: number, what: string, deadline?: Deadline): Error {
    return channelError(status, what, this.name, deadline);
  }

  encode(value: T, what: string): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(value);
    } catch (error) {
      throw this.#encodeError(error, what);
    }
    bytes = encodedBytes(bytes, this.codec.name, `${what} on ${this.name}`);
    this.checkSize(bytes.length, what);
    return bytes;
  }

  #encodeError(error: unknown, what: string): CodecError {
    if (error instanceof CodecError) return new CodecError(`${what} on ${this.name}: ${error.message}`, { cause: error.cause });
    return new CodecError(`${what} on ${this.name}: the ${this.codec.name} codec could not encode the value: ${(error as Error).message}`, { cause: error });
  }

  checkSize(length: number, what: string): void {
    if (length > this.maxMessageBytes) {
      throw new MessageTooLargeError(
        `${what} on ${this.name}: the encoded message is ${length} bytes, above maxMessageBytes ${this.maxMessageBytes}; nothing was sent (raise maxMessageBytes when creating the channel, or send smaller messages)`,
      );
    }
  }

  decode(bytes: Uint8Array, what: string): T {
    try {
      return this.codec.decode(bytes);
    } catch (error) {
      throw this.decodeError(error, bytes.length, what);
    }
  }

  decodeError(error: unknown, length: number, what: string): CodecError {
    return new CodecError(
      `${what} on ${this.name}: a ${length}-byte message could not be decoded by the ${this.codec.name} codec (${(error as Error).message}); it was consumed and the channel is still usable`,
      { cause: error },
    );
  }

  // ---- send ------------------------------------------------------------------------------------

  /**
   * Encodes `value` and sends it by the fast path (#sendFast) when that applies: undefined when
   * it was sent; else the message's bytes, a private array, for the send machine. A codec with
   * a scratch buffer (msgpack) makes no array for a message the fast path sends: its bytes go
   * from the scratch straight into the ring.
   */
  sendFastOrEncode(value: T, what: string): Uint8Array | undefined {
    const scratch = this.#scratchCodec;
    if (!scratch) {
      const bytes = this.encode(value, what);
      return this.#sendFast(bytes, 0, bytes.length, what) ? undefined : bytes;
    }
    let r: EncodedRange;
    try {
      r = scratch.encodeScratch(value);
    } catch (error) {
      throw this.#encodeError(error, what);
    }
    const { bytes, start, end } = r;
    this.checkSize(end - start, what);
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
      throw this.error(-a, what);
    }
    copyInto(this.bytes, a, bytes, start, end);
    const s = core.ch_send_end(this.offset, agent);
    if (s !== L.OK) throw this.error(s, what);
    return true;
  }

  /** sendMany's messages: one codec call for them all where the codec can (msgpack: ranges of
   *  its scratch buffer, valid until the next encode on this thread), else one per value. */
  encodeMany(values: Iterable<T>, what: string): MessageList {
    const array: readonly T[] = Array.isArray(values) ? values : Array.from(values);
    const scratch = this.#scratchCodec;
    const many = scratch && array.length > 1 ? scratch.encodeMany(array) : undefined;
    if (!many) return arrayMessages(Array.from(array, (v) => this.encode(v, what))); // a hole is a value (undefined)
    const { bytes, bounds } = many;
    for (let i = 0; i < array.length; i++) this.checkSize(bounds[i + 1] - bounds[i], what);
    return rangeMessages(bytes, bounds, array.length);
  }

  // ---- receive ---------------------------------------------------------------------------------

  /** Private buffer single-fragment messages are copied to and decoded from (see recvFast). */
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
  recvFast(what: string): T | typeof END | typeof NONE | typeof CLAIMED {
    const { core, agent } = this.region;
    const c = this.offset;
    const a = core.ch_recv_begin(c, agent);
    if (a >= 0) {
      const n = messageLength(this.words, a);
      const codec = this.rangeCodec;
      const text = this.#readText ? stringStart(this.bytes, a, a + n) : -1;
      if (text >= 0) {
        // a message that is one msgpack string: its text decoded in place, nothing copied
        const s = this.#readText!(text, a + n);
        core.ch_recv_end(c, agent);
        return s as T;
      }
      if (codec) {
        if (n > this.#scratch.length) this.#scratch = new Uint8Array(2 ** Math.ceil(Math.log2(n)));
        const dst = this.#scratch;
        copyInto(dst, 0, this.bytes, a, a + n);
        core.ch_recv_end(c, agent);
        try {
          return codec.decodeRange(dst, 0, n);
        } catch (error) {
          throw this.decodeError(error, n, what);
        }
      }
      const copy = this.pool.pooled(n);
      copyInto(copy, 0, this.bytes, a, a + n);
      core.ch_recv_end(c, agent);
      return this.decode(copy, what);
    }
    return this.fastStatus(a, what);
  }

  /** What a negative ch_recv_begin result means: NONE, END, CLAIMED, or a thrown error. */
  fastStatus(a: number, what: string): typeof END | typeof NONE | typeof CLAIMED {
    if (a === -L.WOULD_BLOCK) return NONE;
    if (a === -L.CLOSED) return END;
    if (a === -L.CLAIMED) return CLAIMED;
    throw this.error(-a, what);
  }

  /** The two-call receive (ch_recv_begin/end) with `take(address, length)` run on a
   *  single-fragment message in between (the recv lock held); END, NONE, CLAIMED as recvFast. */
  fastWith<R>(take: (a: number, n: number) => R, what: string): R | typeof END | typeof NONE | typeof CLAIMED {
    const { core, agent } = this.region;
    const a = core.ch_recv_begin(this.offset, agent);
    if (a >= 0) {
      const r = take(a, messageLength(this.words, a));
      core.ch_recv_end(this.offset, agent);
      return r;
    }
    return this.fastStatus(a, what);
  }

  /**
   * recvFast, and while it finds nothing (an empty channel, or the recv lock busy), a spin of
   * plain loads of the channel's COUNT and STATE words for up to RECV_SPIN_MS, retrying
   * recvFast each time they say a message (or the close) is there. A reply that comes within
   * the spin costs two core calls, never the receive machine nor a futex wake (DESIGN.md,
   * "Waiting"); NONE after the spin: run the machine (which re-checks, then parks).
   */
  recvSpin(what: string): T | typeof END | typeof NONE | typeof CLAIMED {
    return this.spin(() => this.recvFast(what));
  }

  /**
   * How often spins were wasted lately (see spinOutcome: +1 for a spin that found nothing and
   * a message that came later than a full spin, -1 for one caught within it, 0 to
   * SPIN_FAILS_MAX): the next spin lasts RECV_SPIN_MS / 2^min(#spinFails, 5). A peer that
   * answers within the spin keeps it long; on an idle channel, or a machine so loaded that the
   * peer cannot run meanwhile, spinning only burns the time slice the peer needs: it shrinks.
   */
  #spinFails = 0;
  /** When the last spin that found nothing began (performance.now()), for spinOutcome. */
  #spinStart = 0;

  /** recvSpin's spin around any one-attempt receive `fast` (NONE: nothing now). */
  spin<R>(fast: () => R | typeof NONE): R | typeof NONE {
    const r = fast();
    if (r !== NONE) return r;
    // at most the region parker's adaptive budget (src/wait/spin.ts): none on a contended machine
    const spinMs = Math.min(RECV_SPIN_MS / 2 ** Math.min(this.#spinFails, 5), spinnerOf(this.region.parker).budgetMs);
    const words = this.words;
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

  /** After a spin that found nothing, the receive machine got its result: a message that came
   *  within RECV_SPIN_MS of the spin's start means a full spin would have caught it (spin
   *  longer next time); a later one means the spin was wasted (spin less next time). */
  spinOutcome(): void {
    if (performance.now() - this.#spinStart < RECV_SPIN_MS) {
      if (this.#spinFails > 0) this.#spinFails--;
    } else if (this.#spinFails < SPIN_FAILS_MAX) this.#spinFails++;
  }
}
