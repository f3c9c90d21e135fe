// large.ts — large messages and raw receives of a Channel object (channel.ts): the arrays
// recycle() gives back and the private buffer blocking receives assemble messages in
// (ReceivePool), the one-call receive into a caller's buffer (recvInto), the sink recvParts hands
// the receive machine, and the argument checks and results of recvInto, sendParts/recvParts and
// recycle.
//
// Internal (not exported from the package). One ReceivePool per Channel object (ChannelIO owns
// it), used only by the thread that holds that object: no shared words of its own; receives copy
// a message out of the ring into its arrays while they hold the recv lock (io.ts, recv.ts).
// Invariants: the pool holds at most RECYCLE_MAX whole arrays, each at most once; an array
// handed out is no longer in the pool; a shorter view it handed out maps back to its whole array
// (recycling the view returns the whole one).
import * as L from "../../assembly/layout";
import { InvalidArgumentError } from "../errors";
import { describeValue } from "../options";
import { copyInto, copyOut } from "../region/copy";
import type { Deadline } from "../wait/deadline";
import type { ChannelIO, CLAIMED, END, NONE } from "./io";
import { PARTS_READ, type PartsReader } from "./recv";

/** The most arrays recycle() keeps per Channel object. */
const RECYCLE_MAX = 4;

/** @internal A Channel object's recycled arrays and receive buffers (see the file's header). */
export class ReceivePool {
  /** Arrays given back with recycle(), whole, for the next receives of this object. */
  #pool: Uint8Array[] = [];
  /** The whole pooled array behind each view #pooled handed out shorter than it. */
  #pooledViews = new WeakMap<Uint8Array, Uint8Array>();
  /** The private buffer blocking receives assemble msgpack and json messages in (reuse). */
  #assembly = new Uint8Array(0);

  /** @param decodesCopy Whether the codec's values never share bytes with the array they were
   *  decoded from (the built-in msgpack codec copies binary data, JSON makes strings): then the
   *  bytes of a message may be assembled in #assembly, reused for the next one. */
  constructor(readonly decodesCopy: boolean) {}

  /** n bytes to receive a message into: a recycled array of n to 2n bytes (a view of its first
   *  n), else a fresh array. */
  pooled(n: number): Uint8Array {
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

  /** pooled, for an async receive machine (never the shared assembly buffer: another async
   *  receive may run before decoding). */
  readonly pooledInto = (n: number): Uint8Array => this.pooled(n);

  /** Where the blocking receive machine copies a message of n bytes (see decodesCopy). */
  readonly reuse = (n: number): Uint8Array => {
    if (!this.decodesCopy) return this.pooled(n);
    if (n > this.#assembly.length) this.#assembly = new Uint8Array(2 ** Math.ceil(Math.log2(n)));
    return this.#assembly.subarray(0, n);
  };

  /** Keeps `bytes` (checked by checkRecycle) for a later receive; the oldest is dropped past
   *  RECYCLE_MAX. */
  recycle(bytes: Uint8Array): void {
    const whole = this.#pooledViews.get(bytes) ?? bytes;
    if (whole.length === 0 || this.#pool.includes(whole)) return;
    if (this.#pool.length >= RECYCLE_MAX) this.#pool.shift();
    this.#pool.push(whole);
  }
}

/** recycle()'s argument checks: a private Uint8Array, on a raw channel. */
export function checkRecycle(io: ChannelIO<unknown>, bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`${what} on ${io.name}: pass a Uint8Array a receive returned, got ${describeValue(bytes)}`);
  if (io.codec.name !== "raw") throw new InvalidArgumentError(`${what} on ${io.name}: only raw channels (codec "raw") return arrays to recycle; this one uses "${io.codec.name}"`);
  if (typeof SharedArrayBuffer !== "undefined" && bytes.buffer instanceof SharedArrayBuffer) {
    throw new InvalidArgumentError(`${what} on ${io.name}: that array is in shared memory (a recvView or a ring window?); recycle only private arrays a receive returned`);
  }
}

// ---- receive into a buffer -----------------------------------------------------------------

/** One two-call receive into `into`: the message (a view of `into` when it fits, else a
 *  fresh array), END, NONE or CLAIMED (see ChannelIO.recvFast). */
export function intoFast(io: ChannelIO<unknown>, into: Uint8Array, what: string): Uint8Array | typeof END | typeof NONE | typeof CLAIMED {
  return io.fastWith((a, n) => {
    if (n > into.length) return copyOut(io.bytes, a, a + n);
    copyInto(into, 0, io.bytes, a, a + n);
    return into.subarray(0, n);
  }, what);
}

export function checkInto(io: ChannelIO<unknown>, into: Uint8Array, what: string): void {
  if (!(into instanceof Uint8Array)) throw new InvalidArgumentError(`${what} on ${io.name}: pass a Uint8Array to receive into, got ${describeValue(into)}`);
  if (io.codec.name !== "raw") throw new InvalidArgumentError(`${what} on ${io.name}: receiving into a buffer is for raw channels (codec "raw"); this one uses "${io.codec.name}": use recv`);
}

/** The message of a machine's result for recvInto; throws ClosedError once closed and drained. */
export function intoResult(io: ChannelIO<unknown>, r: Uint8Array | number, what: string, deadline: Deadline): Uint8Array {
  if (typeof r === "number") throw io.error(r, what, deadline);
  return r;
}

// ---- messages in parts -----------------------------------------------------------------------

export function checkParts(io: ChannelIO<unknown>, fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new InvalidArgumentError(`${what} on ${io.name}: pass a function to call with each part of the message, got ${describeValue(fn)}`);
  if (io.codec.name !== "raw") throw new InvalidArgumentError(`${what} on ${io.name}: messages in parts are raw bytes (codec "raw"); this one uses "${io.codec.name}": use send and recv`);
}

export function checkPartsLength(io: ChannelIO<unknown>, len: number, what: string): void {
  if (!Number.isInteger(len) || len < 0 || len > io.maxMessageBytes) {
    throw new InvalidArgumentError(`${what} on ${io.name}: len must be an integer from 0 to maxMessageBytes (${io.maxMessageBytes}), got ${describeValue(len)}`);
  }
}

/** recvParts' sink for the receive machine: calls `read` and keeps the message's length. */
export function partsSink(read: PartsReader): { read: PartsReader; total: number } {
  const sink = {
    total: 0,
    read(part: Uint8Array, offset: number, total: number): void {
      sink.total = total;
      read(part, offset, total);
    },
  };
  return sink;
}

/** recvParts' length of the message (the machine said PARTS_READ), or its error. */
export function partsResult(io: ChannelIO<unknown>, r: Uint8Array | number, sink: { total: number }, what: string, deadline: Deadline): number {
  if (r === PARTS_READ) return sink.total;
  throw io.error(typeof r === "number" ? r : L.CORRUPT, what, deadline);
}
