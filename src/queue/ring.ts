// ring.ts — RingBuffer: a bounded MPMC queue of int32 values in shared memory (facade over
// assembly/ring.ts).
//
// Values are signed 32-bit integers (what an Int32Array holds); anything else is rejected
// with InvalidArgumentError rather than silently truncated. Any number of threads may push and
// pop. One step machine per side (`pushSteps`, `popSteps`: the step loop of
// src/wait/step-loop.ts over ring_push_step / ring_push_cancel parked on RING_PUSH_SEQ, and
// ring_pop_step / ring_pop_cancel parked on RING_POP_SEQ; protocol: the header of
// assembly/ring.ts) is run by the blocking `push`/`pop` (after one try, then the core's
// one-call spin, ring_push_spin / ring_pop_spin) and by `pushAsync`/`popAsync` (after one try), through the
// region's Parker. `try*` calls never throw for full/empty.
//
// No per-object or per-thread state lives in the region: a pop returns its value from the
// core call itself (an f64: the value, or RING_POP_STATUS + status), and the batch calls copy
// an array that is not a view on region memory through a block allocated for that call and
// freed before it returns. So a RingBuffer object may be dropped at any time, and a thread
// that exits leaves nothing behind.
import * as L from "../../assembly/layout";
import { ClosedError, InvalidArgumentError } from "../errors";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { checkOptionKeys, describeValue } from "../options";
import { Deadline } from "../wait/deadline";
import { settle, stepLoop } from "../wait/step-loop";
import { call, runAsync, runBlocking, type Steps } from "../wait/steps";
import { blockingAllowed, checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link RingBuffer}: pass it to another thread and call
 * `RingBuffer.from` there.
 */
export type RingBufferHandle = PrimitiveHandle<"ring">;

/** Options of {@link RingBuffer.create}. */
export interface RingBufferOptions {
  /** Slots in the ring: a power of two from 2 to 2^26. */
  capacity: number;
}

const CAPACITY_KEY: readonly string[] = ["capacity"];

/** Values per chunk of a batch copied through region memory (a block of 1 KiB per call). */
const CHUNK_VALUES = 256;

/** Pushes `value`: OK, TIMED_OUT or CLOSED. */
export function pushSteps(r: number, value: number): Steps<number> {
  return stepLoop({
    parkAt: r + L.RING_PUSH_SEQ,
    step: (parked) => call("ring_push_step", r, value, parked),
    cancel: () => call("ring_push_cancel", r),
    spunInCore: true, // ring_push_spin
  });
}

/** Pops a value: a pop result (the value, or RING_POP_STATUS + WOULD_BLOCK / TIMED_OUT / CLOSED). */
export function popSteps(r: number): Steps<number> {
  return stepLoop({
    parkAt: r + L.RING_POP_SEQ,
    step: (parked) => call("ring_pop_step", r, parked),
    cancel: () => call("ring_pop_cancel", r),
    blocked: L.RING_POP_STATUS + L.WOULD_BLOCK,
    timedOut: L.RING_POP_STATUS + L.TIMED_OUT,
    spunInCore: true, // ring_pop_spin
  });
}

function closedError(what: string): ClosedError {
  return new ClosedError(`${what}: the ring is closed; no value can be pushed, and popping ends once it is drained`);
}

const POP_EMPTY = L.RING_POP_STATUS + L.WOULD_BLOCK;

/** Returns for OK; throws ClosedError, the deadline's TimeoutError, or the status's error. */
function pushed(status: number, deadline: Deadline, what: string): void {
  if (status === L.OK) return;
  if (status === L.CLOSED) throw closedError(what);
  settle(status, deadline, what);
}

/** The value of a pop result; throws for a status (see `pushed`). */
function popped(result: number, deadline: Deadline, what: string): number {
  if (result < L.RING_POP_STATUS) return result;
  pushed(result - L.RING_POP_STATUS, deadline, what);
  throw new Error(`${what}: unreachable`);
}

function checkValue(value: number, what: string): void {
  if ((value | 0) !== value) {
    throw new InvalidArgumentError(`${what}: values are signed 32-bit integers, got ${describeValue(value)}`);
  }
}

/**
 * A bounded multi-producer multi-consumer queue of signed 32-bit integers in shared memory
 * (Vyukov's ring). Blocking, async and try forms, and batch forms (`pushMany`, `popMany`) that
 * cross into the core once per batch. Other values are refused with InvalidArgumentError, never
 * truncated.
 */
export class RingBuffer {
  /** The structured-cloneable handle: post it to a worker and call `RingBuffer.from` there. */
  readonly handle: RingBufferHandle;

  /**
   * @param region The region the ring lives in. @param offset Byte offset of the ring's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("ring", region, offset);
  }

  /** Allocates an empty ring of `capacity` slots in `region`. */
  static create(region: Region, options: RingBufferOptions): RingBuffer {
    expectRegion(region, "RingBuffer.create");
    checkOptionKeys("RingBuffer.create", options, CAPACITY_KEY);
    const capacity = (options as RingBufferOptions | undefined)?.capacity;
    const valid = Number.isInteger(capacity) && (capacity as number) >= L.RING_MIN_CAPACITY && (capacity as number) <= L.RING_MAX_CAPACITY;
    const bytes = valid ? region.core.ring_size_of(capacity as number) : 0;
    if (bytes === 0) {
      throw new InvalidArgumentError(
        `RingBuffer.create: capacity must be a power of two from ${L.RING_MIN_CAPACITY} to ${L.RING_MAX_CAPACITY}, got ${describeValue(capacity)}`,
      );
    }
    return new RingBuffer(region, createIn(region, L.KIND_RING, bytes, "RingBuffer.create", (core, at) => core.ring_init(at, capacity as number)));
  }

  /** Attaches to a ring from its handle (from another thread, or this one). */
  static from(handle: RingBufferHandle): RingBuffer {
    const { region, offset } = attach(handle, "ring", L.KIND_RING);
    return new RingBuffer(region, offset);
  }

  /** Pushes `value`, blocking (spin, then park) while the ring is full. */
  push(value: number, options?: WaitOptions): void {
    const what = "RingBuffer.push";
    checkValue(value, what);
    // one-call fast path: options are checked (and the deadline made) only when given
    if (options !== undefined || !blockingAllowed) checkBlocking(what, options);
    const deadline = options === undefined ? Deadline.forever : Deadline.of(options, what);
    let status = this.region.core.ring_try_push(this.offset, value);
    if (status === L.OK) return;
    if (status === L.WOULD_BLOCK) status = this.region.core.ring_push_spin(this.offset, value);
    if (status === L.WOULD_BLOCK) status = runBlocking(this.region, pushSteps(this.offset, value), deadline);
    pushed(status, deadline, what);
  }

  /** One attempt: true if pushed, false if the ring is full. Throws ClosedError if closed. */
  tryPush(value: number): boolean {
    checkValue(value, "RingBuffer.tryPush");
    const status = this.region.core.ring_try_push(this.offset, value);
    if (status === L.WOULD_BLOCK) return false;
    pushed(status, Deadline.now, "RingBuffer.tryPush");
    return true;
  }

  /** Pushes without blocking the thread: parks through the region's Parker while full. */
  async pushAsync(value: number, options?: WaitOptions): Promise<void> {
    const what = "RingBuffer.pushAsync";
    checkValue(value, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    let status = this.region.core.ring_try_push(this.offset, value);
    if (status === L.WOULD_BLOCK) status = await runAsync(this.region, pushSteps(this.offset, value), deadline, what, options?.signal);
    pushed(status, deadline, what);
  }

  /** Pops a value, blocking while the ring is empty. ClosedError once closed and drained. */
  pop(options?: WaitOptions): number {
    const what = "RingBuffer.pop";
    if (options !== undefined || !blockingAllowed) checkBlocking(what, options);
    const deadline = options === undefined ? Deadline.forever : Deadline.of(options, what);
    let result = this.region.core.ring_try_pop(this.offset);
    if (result < L.RING_POP_STATUS) return result;
    if (result === POP_EMPTY) result = this.region.core.ring_pop_spin(this.offset);
    if (result === POP_EMPTY) result = runBlocking(this.region, popSteps(this.offset), deadline);
    return popped(result, deadline, what);
  }

  /** One attempt: the value, or undefined if empty. ClosedError once closed and drained. */
  tryPop(): number | undefined {
    const result = this.region.core.ring_try_pop(this.offset);
    return result === POP_EMPTY ? undefined : popped(result, Deadline.now, "RingBuffer.tryPop");
  }

  /** Pops without blocking the thread: parks through the region's Parker while empty. */
  async popAsync(options?: WaitOptions): Promise<number> {
    const what = "RingBuffer.popAsync";
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    let result = this.region.core.ring_try_pop(this.offset);
    if (result === POP_EMPTY) result = await runAsync(this.region, popSteps(this.offset), deadline, what, options?.signal);
    return popped(result, deadline, what);
  }

  /**
   * Pushes as many of `values` as fit, in order, without waiting; returns how many. Throws
   * ClosedError if the ring is closed before any was pushed. An Int32Array on the region's
   * memory is read in place; any other array is copied through a block of region memory.
   */
  pushMany(values: Int32Array): number {
    return this.#many(values, "ring_push_many", "RingBuffer.pushMany");
  }

  /**
   * Pops up to `into.length` values into `into` without waiting; returns how many (0 when
   * empty). Throws ClosedError once the ring is closed and drained.
   */
  popMany(into: Int32Array): number {
    return this.#many(into, "ring_pop_many", "RingBuffer.popMany");
  }

  /** pushMany and popMany: `values` in place when it lies on the region's memory, else
   *  copied through region memory (in for a push, out for a pop). */
  #many(values: Int32Array, fn: "ring_push_many" | "ring_pop_many", what: string): number {
    const { core } = this.region;
    if (!(values instanceof Int32Array)) throw new InvalidArgumentError(`${what} expects an Int32Array`);
    if (values.buffer === this.region.memory.buffer) {
      const n = core[fn](this.offset, values.byteOffset, values.length);
      if (n === -L.CLOSED) throw closedError(what);
      return n;
    }
    const push = fn === "ring_push_many";
    return this.#throughRegion(values.length, what, (at, done, chunk) => {
      if (push) this.region.words.set(values.subarray(done, done + chunk), at >> 2);
      const n = core[fn](this.offset, at, chunk);
      if (!push && n > 0) values.set(this.region.words.subarray(at >> 2, (at >> 2) + n), done);
      return n;
    });
  }

  /**
   * Moves `length` values in chunks through a block of region memory allocated for this call:
   * `move(address, done, chunk)` returns the count moved or -CLOSED. Stops at a short chunk.
   */
  #throughRegion(length: number, what: string, move: (at: number, done: number, chunk: number) => number): number {
    if (length === 0) return 0;
    const at = this.region.allocate(L.KIND_RAW, Math.min(length, CHUNK_VALUES) * 4, what);
    try {
      let done = 0;
      while (done < length) {
        const chunk = Math.min(CHUNK_VALUES, length - done);
        const n = move(at, done, chunk);
        if (n === -L.CLOSED) {
          if (done === 0) throw closedError(what);
          break;
        }
        done += n;
        if (n < chunk) break;
      }
      return done;
    } finally {
      this.region.release(L.KIND_RAW, at, what);
    }
  }

  /** Closes the ring: pushes fail with ClosedError, pops drain what is left, then fail. Wakes every waiter. */
  close(): void {
    this.region.core.ring_close(this.offset);
  }

  /** Whether the ring was closed: pushes fail, pops drain what is left and then end. */
  get closed(): boolean {
    return this.region.core.ring_closed(this.offset) !== 0;
  }

  /** Values in the ring (a racy snapshot). */
  get length(): number {
    return this.region.core.ring_len(this.offset);
  }

  /** Slots in the ring (fixed at creation). */
  get capacity(): number {
    return this.region.core.ring_capacity(this.offset);
  }

  /** Does nothing: a RingBuffer object holds nothing in the region, so there is nothing to
   *  return, and the object stays usable. */
  detach(): void {}

  /** Returns the ring's memory to the region. It must be unused everywhere. */
  free(): void {
    this.region.release(L.KIND_RING, this.offset, "RingBuffer.free");
  }
}
