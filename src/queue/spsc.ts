// spsc.ts — SpscRing: a single-producer single-consumer ring of numeric elements (int8 ..
// float64) in shared memory, built for batches (facade over assembly/spsc.ts).
//
// Roles: one thread pushes and one thread pops at a time (the producer and the consumer);
// close, length and capacity are for anyone. A role passes to another thread only after a
// happens-before edge from its last call (a message, a lock). Nothing detects a second
// producer or consumer (that costs a read-modify-write per call on the path this ring exists
// to make cheap): two at once lose or repeat elements. For several producers or consumers use
// RingBuffer (int32, MPMC) or a Channel.
//
// Batches move straight between the caller's typed array and the ring: a claim in the core
// (how many fit / are there; the free or published count read from the cached other index),
// one or two TypedArray.set calls at the side's own position (TAIL.pos for the producer, HEAD
// for the consumer: words only that side moves), and one publish in the core (one CAS of the
// tail, or one store of the head). An array that lies on the region's memory is copied inside
// the core instead (spsc_push_many / spsc_pop_many: memory.copy). Single elements are one core
// call each way (spsc_try_push / spsc_try_pop), values crossing as numbers.
//
// Waiting: one step machine per side (`spaceSteps`, `dataSteps`: the step loop of
// src/wait/step-loop.ts over spsc_space_step / spsc_space_cancel parked on SPSC_SPACE_SEQ, and
// spsc_data_step / spsc_data_cancel parked on SPSC_DATA_SEQ) is run by the blocking forms
// (after the core's one-call spin, spsc_space_spin / spsc_data_spin) and by the async forms
// (after one try), through the region's Parker. `try*` calls never throw for full/empty.
//
// Close: pushes throw ClosedError from then on (a blocked pushMany keeps what it pushed before);
// pops drain every element pushed before close, then throw ClosedError. Either side may close.
// No per-object state lives in the region beyond the ring's block: a SpscRing object may be
// dropped at any time.
import * as L from "../../assembly/layout";
import { ClosedError, InvalidArgumentError } from "../errors";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { checkOptionKeys, describeValue } from "../options";
import { Deadline } from "../wait/deadline";
import { settle, stepLoop } from "../wait/step-loop";
import { call, runAsync, runBlocking, type Steps } from "../wait/steps";
import { blockingAllowed, checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/** The element types of a {@link SpscRing}, named as their typed arrays (`"int32"` is Int32Array). */
export type SpscElementType = "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "float32" | "float64";

/** The typed array of each {@link SpscElementType}: what `pushMany` takes and `popMany` fills. */
export interface SpscArrays {
  /** Elements of an `"int8"` ring. */
  int8: Int8Array;
  /** Elements of a `"uint8"` ring. */
  uint8: Uint8Array;
  /** Elements of an `"int16"` ring. */
  int16: Int16Array;
  /** Elements of a `"uint16"` ring. */
  uint16: Uint16Array;
  /** Elements of an `"int32"` ring. */
  int32: Int32Array;
  /** Elements of a `"uint32"` ring. */
  uint32: Uint32Array;
  /** Elements of a `"float32"` ring. */
  float32: Float32Array;
  /** Elements of a `"float64"` ring. */
  float64: Float64Array;
}

/**
 * The structured-cloneable handle of a {@link SpscRing}: pass it to another thread and call
 * `SpscRing.from` there.
 */
export type SpscRingHandle = PrimitiveHandle<"spsc">;

/** Options of {@link SpscRing.create}. */
export interface SpscRingOptions<T extends SpscElementType = SpscElementType> {
  /** Elements the ring holds: a power of two from 2 to 2^26. */
  capacity: number;
  /** The element type (default `"int32"`). */
  type?: T;
}

const CREATE_KEYS: readonly string[] = ["capacity", "type"];

type ArrayCtor = { new (buffer: ArrayBufferLike): SpscArrays[SpscElementType]; readonly BYTES_PER_ELEMENT: number };

interface TypeInfo {
  readonly name: SpscElementType;
  readonly code: number;
  readonly Array: ArrayCtor;
  /** Whether `v` is a value of the type (floats: any number; float32 rounds as Float32Array does). */
  readonly holds: (v: number) => boolean;
}

const TYPES: readonly TypeInfo[] = [
  { name: "int8", code: L.SPSC_INT8, Array: Int8Array, holds: (v) => (v << 24) >> 24 === v },
  { name: "uint8", code: L.SPSC_UINT8, Array: Uint8Array, holds: (v) => (v & 0xff) === v },
  { name: "int16", code: L.SPSC_INT16, Array: Int16Array, holds: (v) => (v << 16) >> 16 === v },
  { name: "uint16", code: L.SPSC_UINT16, Array: Uint16Array, holds: (v) => (v & 0xffff) === v },
  { name: "int32", code: L.SPSC_INT32, Array: Int32Array, holds: (v) => (v | 0) === v },
  { name: "uint32", code: L.SPSC_UINT32, Array: Uint32Array, holds: (v) => v >>> 0 === v },
  { name: "float32", code: L.SPSC_FLOAT32, Array: Float32Array, holds: (v) => typeof v === "number" },
  { name: "float64", code: L.SPSC_FLOAT64, Array: Float64Array, holds: (v) => typeof v === "number" },
] as const;

const RANGES: Record<SpscElementType, string> = {
  int8: "integers from -128 to 127", uint8: "integers from 0 to 255", int16: "integers from -32768 to 32767",
  uint16: "integers from 0 to 65535", int32: "integers from -2^31 to 2^31-1", uint32: "integers from 0 to 2^32-1",
  float32: "numbers", float64: "numbers",
};

/** Producer: waits for `want` free elements: the free count, or -status (-TIMED_OUT, -CLOSED). */
export function spaceSteps(r: number, want: number): Steps<number> {
  return stepLoop({
    parkAt: r + L.SPSC_SPACE_SEQ,
    step: (parked) => call("spsc_space_step", r, want, parked),
    cancel: () => call("spsc_space_cancel", r),
    blocked: -L.WOULD_BLOCK,
    timedOut: -L.TIMED_OUT,
    spunInCore: true, // spsc_space_spin
  });
}

/** Consumer: waits for an element: the count available, or -status (-TIMED_OUT, -CLOSED). */
export function dataSteps(r: number): Steps<number> {
  return stepLoop({
    parkAt: r + L.SPSC_DATA_SEQ,
    step: (parked) => call("spsc_data_step", r, 1, parked),
    cancel: () => call("spsc_data_cancel", r),
    blocked: -L.WOULD_BLOCK,
    timedOut: -L.TIMED_OUT,
    spunInCore: true, // spsc_data_spin
  });
}

function closedError(what: string): ClosedError {
  return new ClosedError(`${what}: the ring is closed; no element can be pushed, and popping ends once it is drained`);
}

/** Throws for a -status result of a wait (ClosedError, the deadline's TimeoutError, ...). */
function fail(result: number, deadline: Deadline, what: string): never {
  if (result === -L.CLOSED) throw closedError(what);
  settle(-result, deadline, what);
  throw new Error(`${what}: unreachable (status ${-result})`);
}

/**
 * A bounded single-producer single-consumer ring of numbers of one element type, in shared
 * memory: one thread pushes, one thread pops (see "Roles" in the README). Batches (`pushMany`,
 * `popMany`) copy straight between your typed array and the ring and publish with one atomic
 * operation; single elements cost one core call. Blocking, async and try forms; `using`
 * closes it.
 */
export class SpscRing<T extends SpscElementType = SpscElementType> {
  /** The structured-cloneable handle: post it to a worker and call `SpscRing.from` there. */
  readonly handle: SpscRingHandle;
  /** Elements the ring holds when full (fixed at creation). */
  readonly capacity: number;
  /** The element type (fixed at creation). */
  readonly type: T;
  readonly #info: TypeInfo;
  /** The region's memory as this ring's element type. */
  readonly #view: SpscArrays[T];
  /** Element index of the ring's data area in #view. */
  readonly #base: number;
  /** Word indices of SPSC_TAIL and SPSC_HEAD in region.words. */
  readonly #tailWord: number;
  readonly #headWord: number;

  /**
   * @param region The region the ring lives in. @param offset Byte offset of the ring's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("spsc", region, offset);
    const code = region.core.spsc_type(offset);
    const info = TYPES.find((t) => t.code === code);
    if (!info) throw new InvalidArgumentError(`SpscRing: the ring at offset ${offset} has an unknown element type ${code}`);
    this.#info = info;
    this.type = info.name as T;
    this.capacity = region.core.spsc_capacity(offset);
    this.#view = new info.Array(region.memory.buffer) as SpscArrays[T];
    this.#base = (offset + L.SPSC_DATA) / info.Array.BYTES_PER_ELEMENT;
    this.#tailWord = (offset + L.SPSC_TAIL) >> 2;
    this.#headWord = (offset + L.SPSC_HEAD) >> 2;
  }

  /** Allocates an empty ring of `capacity` elements of `type` (default "int32") in `region`. */
  static create<T extends SpscElementType = "int32">(region: Region, options: SpscRingOptions<T>): SpscRing<T> {
    const what = "SpscRing.create";
    expectRegion(region, what);
    checkOptionKeys(what, options, CREATE_KEYS);
    const o = options as SpscRingOptions<T> | undefined;
    const typeName = o?.type ?? "int32";
    const info = TYPES.find((t) => t.name === typeName);
    if (!info) {
      throw new InvalidArgumentError(`${what}: type must be one of ${TYPES.map((t) => `"${t.name}"`).join(", ")}, got ${describeValue(typeName)}`);
    }
    const capacity = o?.capacity;
    const valid = Number.isInteger(capacity) && (capacity as number) >= L.SPSC_MIN_CAPACITY && (capacity as number) <= L.SPSC_MAX_CAPACITY;
    const bytes = valid ? region.core.spsc_size_of(capacity as number, info.code) : 0;
    if (bytes === 0) {
      throw new InvalidArgumentError(
        `${what}: capacity must be a power of two from ${L.SPSC_MIN_CAPACITY} to ${L.SPSC_MAX_CAPACITY} elements, got ${describeValue(capacity)}`,
      );
    }
    const at = createIn(region, L.KIND_SPSC, bytes, what, (core, off) => core.spsc_init(off, capacity as number, info.code));
    return new SpscRing<T>(region, at);
  }

  /** Attaches to a ring from its handle (from another thread, or this one). */
  static from<T extends SpscElementType = SpscElementType>(handle: SpscRingHandle): SpscRing<T> {
    const { region, offset } = attach(handle, "spsc", L.KIND_SPSC);
    return new SpscRing<T>(region, offset);
  }

  #checkValue(value: number, what: string): void {
    if (typeof value !== "number" || !this.#info.holds(value)) {
      throw new InvalidArgumentError(`${what}: a ${this.type} ring holds ${RANGES[this.type]}, got ${describeValue(value)}`);
    }
  }

  #checkArray(values: unknown, what: string): asserts values is SpscArrays[T] {
    if (!(values instanceof this.#info.Array)) {
      throw new InvalidArgumentError(
        `${what} expects a ${this.#info.Array.name} (the array of a ${this.type} ring), got ${describeValue(values)}`,
      );
    }
  }

  // ---- producer --------------------------------------------------------------------------------

  /** One attempt: true if pushed, false if the ring is full. ClosedError if closed. */
  tryPush(value: number): boolean {
    this.#checkValue(value, "SpscRing.tryPush");
    const s = this.region.core.spsc_try_push(this.offset, value);
    if (s === L.OK) return true;
    if (s === L.WOULD_BLOCK) return false;
    throw closedError("SpscRing.tryPush");
  }

  /** Pushes `value`, blocking (spin, then park) while the ring is full. */
  push(value: number, options?: WaitOptions): void {
    const what = "SpscRing.push";
    this.#checkValue(value, what);
    if (options !== undefined || !blockingAllowed) checkBlocking(what, options);
    const deadline = options === undefined ? Deadline.forever : Deadline.of(options, what);
    const { core } = this.region;
    for (;;) {
      const s = core.spsc_try_push(this.offset, value);
      if (s === L.OK) return;
      if (s === L.CLOSED) throw closedError(what);
      this.#waitSpace(1, deadline, what);
    }
  }

  /** Pushes without blocking the thread: parks through the region's Parker while full. */
  async pushAsync(value: number, options?: WaitOptions): Promise<void> {
    const what = "SpscRing.pushAsync";
    this.#checkValue(value, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const { core } = this.region;
    for (;;) {
      const s = core.spsc_try_push(this.offset, value);
      if (s === L.OK) return;
      if (s === L.CLOSED) throw closedError(what);
      const free = await runAsync(this.region, spaceSteps(this.offset, 1), deadline, what, options?.signal);
      if (free < 0) fail(free, deadline, what);
    }
  }

  /**
   * Pushes as many of `values` as fit now, in order; returns how many (0 when full). ClosedError
   * if the ring is closed.
   */
  tryPushMany(values: SpscArrays[T]): number {
    const what = "SpscRing.tryPushMany";
    this.#checkArray(values, what);
    const k = this.#pushSome(values, 0);
    if (k === -L.CLOSED) throw closedError(what);
    return k > 0 ? k : 0;
  }

  /**
   * Pushes every element of `values`, in order, blocking while the ring is full. On a timeout,
   * an abort or close it throws, and the elements pushed before stay in the ring.
   */
  pushMany(values: SpscArrays[T], options?: WaitOptions): void {
    const what = "SpscRing.pushMany";
    this.#checkArray(values, what);
    if (options !== undefined || !blockingAllowed) checkBlocking(what, options);
    const deadline = options === undefined ? Deadline.forever : Deadline.of(options, what);
    let done = 0;
    while (done < values.length) {
      const k = this.#pushSome(values, done);
      if (k > 0) done += k;
      else if (k === -L.CLOSED) throw closedError(what);
      else this.#waitSpace(this.#want(values.length - done), deadline, what);
    }
  }

  /** pushMany without blocking the thread: parks through the region's Parker while full. */
  async pushManyAsync(values: SpscArrays[T], options?: WaitOptions): Promise<void> {
    const what = "SpscRing.pushManyAsync";
    this.#checkArray(values, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    let done = 0;
    while (done < values.length) {
      const k = this.#pushSome(values, done);
      if (k > 0) done += k;
      else if (k === -L.CLOSED) throw closedError(what);
      else {
        const free = await runAsync(this.region, spaceSteps(this.offset, this.#want(values.length - done)), deadline, what, options?.signal);
        if (free < 0) fail(free, deadline, what);
      }
    }
  }

  /** Free elements a waiting batch push asks for: the rest of the batch, at most a quarter of
   *  the ring (so that the consumer keeps working while the producer fills). */
  #want(left: number): number {
    return Math.min(left, Math.max(1, this.capacity >> 2));
  }

  /** One claim, copy and publish of values[from..]: the count pushed (> 0), 0 for none left,
   *  or -WOULD_BLOCK / -CLOSED. */
  #pushSome(values: SpscArrays[T], from: number): number {
    const { core } = this.region;
    const n = values.length - from;
    if (n === 0) return 0;
    if (values.buffer === this.#view.buffer) {
      return core.spsc_push_many(this.offset, values.byteOffset + from * values.BYTES_PER_ELEMENT, n);
    }
    const k = core.spsc_write_claim(this.offset, n);
    if (k <= 0) return k;
    // the producer's own position: only its calls move TAIL.pos (the closed bit is masked off)
    const at = this.region.words[this.#tailWord] & (this.capacity - 1);
    const run = Math.min(k, this.capacity - at);
    const view = this.#view;
    view.set(from === 0 && run === n ? values : values.subarray(from, from + run), this.#base + at);
    if (run < k) view.set(values.subarray(from + run, from + k), this.#base);
    const s = core.spsc_write_commit(this.offset, k);
    return s === L.OK ? k : -s;
  }

  /** Waits (spin in the core, then park) until `want` elements are free; throws on a -status. */
  #waitSpace(want: number, deadline: Deadline, what: string): void {
    let free = this.region.core.spsc_space_spin(this.offset, want);
    if (free === -L.WOULD_BLOCK) free = runBlocking(this.region, spaceSteps(this.offset, want), deadline);
    if (free < 0) fail(free, deadline, what);
  }

  // ---- consumer --------------------------------------------------------------------------------

  /** One attempt: the element, or undefined if empty. ClosedError once closed and drained. */
  tryPop(): number | undefined {
    const v = this.region.core.spsc_try_pop(this.offset);
    if (v === v) return v;
    return this.#popStatus(v, "SpscRing.tryPop");
  }

  /** Pops an element, blocking while the ring is empty. ClosedError once closed and drained. */
  pop(options?: WaitOptions): number {
    const what = "SpscRing.pop";
    if (options !== undefined || !blockingAllowed) checkBlocking(what, options);
    const { core } = this.region;
    const deadline = options === undefined ? Deadline.forever : Deadline.of(options, what);
    for (;;) {
      const v = core.spsc_try_pop(this.offset);
      if (v === v) return v;
      const r = this.#popStatus(v, what);
      if (r !== undefined) return r;
      this.#waitData(deadline, what);
    }
  }

  /** Pops without blocking the thread: parks through the region's Parker while empty. */
  async popAsync(options?: WaitOptions): Promise<number> {
    const what = "SpscRing.popAsync";
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    const { core } = this.region;
    for (;;) {
      const v = core.spsc_try_pop(this.offset);
      if (v === v) return v;
      const r = this.#popStatus(v, what);
      if (r !== undefined) return r;
      const n = await runAsync(this.region, dataSteps(this.offset), deadline, what, options?.signal);
      if (n < 0 && n !== -L.CLOSED) fail(n, deadline, what);
    }
  }

  /** A NaN pop result: the NaN element itself (float rings), undefined when empty, or ClosedError. */
  #popStatus(v: number, what: string): number | undefined {
    const s = this.region.core.spsc_pop_status(this.offset);
    if (s === L.OK) return v;
    if (s === L.WOULD_BLOCK) return undefined;
    throw closedError(what);
  }

  /**
   * Pops up to `into.length` elements into `into` (from index 0) without waiting; returns how
   * many (0 when empty). ClosedError once the ring is closed and drained.
   */
  tryPopMany(into: SpscArrays[T]): number {
    const what = "SpscRing.tryPopMany";
    this.#checkArray(into, what);
    const k = this.#popSome(into);
    if (k === -L.CLOSED) throw closedError(what);
    return k > 0 ? k : 0;
  }

  /**
   * Pops up to `into.length` elements into `into` (from index 0), blocking until at least one
   * is there; returns how many. ClosedError once the ring is closed and drained.
   */
  popMany(into: SpscArrays[T], options?: WaitOptions): number {
    const what = "SpscRing.popMany";
    this.#checkArray(into, what);
    if (options !== undefined || !blockingAllowed) checkBlocking(what, options);
    const deadline = options === undefined ? Deadline.forever : Deadline.of(options, what);
    if (into.length === 0) return 0;
    for (;;) {
      const k = this.#popSome(into);
      if (k > 0) return k;
      if (k === -L.CLOSED) throw closedError(what);
      this.#waitData(deadline, what);
    }
  }

  /** popMany without blocking the thread: parks through the region's Parker while empty. */
  async popManyAsync(into: SpscArrays[T], options?: WaitOptions): Promise<number> {
    const what = "SpscRing.popManyAsync";
    this.#checkArray(into, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    if (into.length === 0) return 0;
    for (;;) {
      const k = this.#popSome(into);
      if (k > 0) return k;
      if (k === -L.CLOSED) throw closedError(what);
      const n = await runAsync(this.region, dataSteps(this.offset), deadline, what, options?.signal);
      if (n < 0 && n !== -L.CLOSED) fail(n, deadline, what);
    }
  }

  /** One claim, copy and release into into[0..]: the count popped (> 0), 0 for an empty
   *  `into`, or -WOULD_BLOCK / -CLOSED. */
  #popSome(into: SpscArrays[T]): number {
    const { core } = this.region;
    if (into.buffer === this.#view.buffer) return core.spsc_pop_many(this.offset, into.byteOffset, into.length);
    const k = core.spsc_read_claim(this.offset, into.length);
    if (k <= 0) return k;
    // the consumer's own position: only its calls move HEAD
    const at = this.region.words[this.#headWord] & (this.capacity - 1);
    const run = Math.min(k, this.capacity - at);
    const view = this.#view;
    const base = this.#base + at;
    into.set(view.subarray(base, base + run) as never);
    if (run < k) into.set(view.subarray(this.#base, this.#base + k - run) as never, run);
    core.spsc_read_release(this.offset, k);
    return k;
  }

  /** Waits (spin in the core, then park) until an element is there or the ring is closed. */
  #waitData(deadline: Deadline, what: string): void {
    let n = this.region.core.spsc_data_spin(this.offset, 1);
    if (n === -L.WOULD_BLOCK) n = runBlocking(this.region, dataSteps(this.offset), deadline);
    if (n < 0 && n !== -L.CLOSED) fail(n, deadline, what);
  }

  // ---- both sides ------------------------------------------------------------------------------

  /** Closes the ring (idempotent): pushes fail with ClosedError, pops drain what is left, then
   *  fail. Wakes both sides. */
  close(): void {
    this.region.core.spsc_close(this.offset);
  }

  /** Whether the ring was closed. */
  get closed(): boolean {
    return this.region.core.spsc_closed(this.offset) !== 0;
  }

  /** Elements in the ring (a racy snapshot). */
  get length(): number {
    return this.region.core.spsc_len(this.offset);
  }

  /**
   * `using ring = SpscRing.create(...)`: close() at the end of the scope. This closes the ring for
   * both sides (pushes fail, pops drain then end); it frees no memory (free() does). Idempotent.
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Returns the ring's memory to the region. It must be unused everywhere. */
  free(): void {
    this.region.release(L.KIND_SPSC, this.offset, "SpscRing.free");
  }
}
