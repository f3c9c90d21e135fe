// batch-receive.ts — BatchReceive<T>: how recvMany and recvManyAsync (channel.ts) take several
// messages at once. The first comes by the usual receive (the fast path, the spin, else the
// receive machine); then every message already in the channel is taken by the two-call fast
// path (ch_recv_begin/ch_recv_end, assembly/channel-fast.ts: a plain message or the next record
// of a batch frame), up to `max`, never waiting for a new one. Their bytes are gathered,
// concatenated, in a private buffer, and decoded in one codec call where the codec can (msgpack's
// decodeConcat), else one per message; a message that does not decode is reported by index with
// the other values (none is lost).
//
// Internal (not exported from the package); one per Channel object, used by the thread that
// holds it. No shared words of its own: it copies a claimed message's bytes out of the ring
// between ch_recv_begin and ch_recv_end (the recv lock held). Invariants: #ends holds, in order,
// the end offset in #gathered of each message gathered since reset(); #gathered only grows
// (powers of two), keeping what was gathered.
import * as L from "../../assembly/layout";
import { canDecodeConcat } from "../codec/codec";
import { CodecError, InvalidArgumentError } from "../errors";
import { describeValue } from "../options";
import { copyInto } from "../region/copy";
import type { Deadline } from "../wait/deadline";
import { CLAIMED, type ChannelIO, type END, type NONE } from "./io";

/** recvMany's fast path took a message. */
export const TAKEN = Symbol("taken");

/** @internal The gathered messages of a Channel object's recvMany (see the file's header). */
export class BatchReceive<T> {
  /** Message bytes recvMany gathered, concatenated in a private buffer it reuses. */
  #gathered = new Uint8Array(1024);
  /** End offset of each gathered message in #gathered. */
  #ends: number[] = [];

  constructor(readonly io: ChannelIO<T>) {}

  /** Forgets what was gathered (a new batch begins). */
  reset(): void {
    this.#ends.length = 0;
  }

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
  takeFast(what: string): typeof TAKEN | typeof END | typeof NONE | typeof CLAIMED {
    return this.io.fastWith((a, n) => {
      this.#gather(this.io.bytes, a, a + n);
      return TAKEN;
    }, what);
  }

  /** After a first message: takes the ones there now, up to `max` in all, never waiting for a
   *  new one. CLAIMED when it stopped at a claimed message of several fragments (the recv lock
   *  held): read it to its end with the receive machine and pass the result to gatherClaimed. */
  takeMore(max: number, what: string): typeof CLAIMED | undefined {
    while (this.#ends.length < max) {
      const t = this.takeFast(what);
      if (t === TAKEN) continue;
      return t === CLAIMED ? CLAIMED : undefined;
    }
    return undefined;
  }

  /** The message takeMore stopped at, from the receive machine's result (tried, never parked). */
  gatherClaimed(r: Uint8Array | number, what: string): void {
    if (typeof r !== "number") this.#gather(r, 0, r.length);
    else if (r !== L.CLOSED && r !== L.WOULD_BLOCK) throw this.io.error(r, what);
  }

  /** The first message of a recvMany from the receive machine's result: false once closed. */
  gatherFirst(r: Uint8Array | number, what: string, deadline: Deadline): boolean {
    if (typeof r !== "number") {
      this.#gather(r, 0, r.length);
      return true;
    }
    if (r === L.CLOSED) return false;
    throw this.io.error(r, what, deadline);
  }

  /** The values of the gathered messages: one codec call when the codec decodes a
   *  concatenation (msgpack), else one per message. A message that does not decode is reported
   *  by index (CodecError's `index`) with the other values (its `values`). */
  decode(what: string): T[] {
    const ends = this.#ends;
    this.#ends = [];
    const buf = this.#gathered;
    const codec = this.io.codec;
    const rangeCodec = this.io.rangeCodec;
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
        values.push(rangeCodec ? rangeCodec.decodeRange(buf, start, ends[i]) : codec.decode(buf.slice(start, ends[i])));
      } catch (error) {
        if (bad < 0) {
          bad = i;
          cause = error;
        }
      }
    }
    if (bad < 0) return values;
    const error = new CodecError(
      `${what} on ${this.io.name}: message ${bad} of the ${ends.length} received could not be decoded by the ${codec.name} codec (${(cause as Error)?.message}); ` +
        `it was consumed and the channel is still usable; the other ${values.length} values are in this error's \`values\`, in order`,
      { cause },
    );
    throw Object.assign(error, { index: bad, values });
  }
}

/** recvMany's `max`: a positive integer. */
export function checkMax(io: ChannelIO<unknown>, max: number, what: string): void {
  if (!Number.isInteger(max) || max < 1) {
    throw new InvalidArgumentError(`${what} on ${io.name}: max must be a positive integer (the most messages to take), got ${describeValue(max)}`);
  }
}
