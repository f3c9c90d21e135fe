// ring.ts — RingBuffer: a bounded MPMC queue of int32 values in shared memory (facade over
// assembly/ring.ts).
//
// Values are signed 32-bit integers (what an Int32Array holds); anything else is rejected
// with InvalidArgumentError rather than silently truncated. Any number of threads may push and
// pop. Blocking `push`/`pop` spin then park inside the core; `pushAsync`/`popAsync` run the
// core's step and park with Atomics.waitAsync on the ring's park words (protocol: the header
// of assembly/ring.ts). `try*` calls never throw for full/empty.
//
// Out-parameters: the core writes popped values to an address in the region. Each RingBuffer
// object (one per thread that creates or attaches) owns a small scratch block in the region
// for that and for batch copies of arrays that are not views on region memory. `free()`
// returns it with the ring; a scratch block of an object that is dropped without `free()`
// (an attached copy in a worker) is returned when the object is garbage-collected, or
// explicitly with `detach()`.
import * as L from "../../assembly/layout";
import { ClosedError, InvalidArgumentError, throwStatus } from "../errors";
import { attach, makeHandle, type PrimitiveHandle } from "../region/handle";
import type { Region } from "../region/region";
import {
  checkBlocking, deadlineFrom, parkAsync, throwIfAborted, timeoutError, timeoutMs, type WaitOptions,
} from "../wait/wait";

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

/** Bytes of the per-object scratch block: out-parameter + batch chunks of 255 values. */
const SCRATCH_BYTES = 1024;
const SCRATCH_VALUES = SCRATCH_BYTES / 4;

const scratchRegistry = new FinalizationRegistry<{ region: Region; scratch: number }>(({ region, scratch }) => {
  try {
    region.release(L.KIND_RAW, scratch, "RingBuffer scratch");
  } catch {
    // the region was torn down; nothing to return
  }
});

function closedError(what: string): ClosedError {
  return new ClosedError(`${what}: the ring is closed; no value can be pushed, and popping ends once it is drained`);
}

function checkValue(value: number, what: string): void {
  if ((value | 0) !== value) {
    throw new InvalidArgumentError(`${what}: values are signed 32-bit integers, got ${String(value)}`);
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
  #scratch: number;
  readonly #words: Int32Array;

  /**
   * @param region The region the ring lives in. @param offset Byte offset of the ring's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number, scratch: number) {
    this.handle = makeHandle("ring", region, offset);
    this.#scratch = scratch;
    this.#words = region.words;
    scratchRegistry.register(this, { region, scratch }, this);
  }

  /** Allocates an empty ring of `capacity` slots in `region`. */
  static create(region: Region, options: RingBufferOptions): RingBuffer {
    const capacity = (options as RingBufferOptions | undefined)?.capacity;
    const valid = Number.isInteger(capacity) && (capacity as number) >= L.RING_MIN_CAPACITY && (capacity as number) <= L.RING_MAX_CAPACITY;
    const bytes = valid ? region.core.ring_size_of(capacity as number) : 0;
    if (bytes === 0) {
      throw new InvalidArgumentError(
        `RingBuffer.create: capacity must be a power of two from ${L.RING_MIN_CAPACITY} to ${L.RING_MAX_CAPACITY}, got ${String(capacity)}`,
      );
    }
    const offset = region.allocate(L.KIND_RING, bytes, "RingBuffer.create");
    let scratch: number;
    try {
      scratch = region.allocate(L.KIND_RAW, SCRATCH_BYTES, "RingBuffer.create");
    } catch (error) {
      region.release(L.KIND_RING, offset, "RingBuffer.create");
      throw error;
    }
    region.core.ring_init(offset, capacity as number);
    return new RingBuffer(region, offset, scratch);
  }

  /** Attaches to a ring from its handle (from another thread, or this one). */
  static from(handle: RingBufferHandle): RingBuffer {
    const { region, offset } = attach(handle, "ring", L.KIND_RING);
    const scratch = region.allocate(L.KIND_RAW, SCRATCH_BYTES, "RingBuffer.from");
    return new RingBuffer(region, offset, scratch);
  }

  #out(): number {
    if (this.#scratch === 0) {
      throw new InvalidArgumentError("RingBuffer: this object was freed or detached; attach again with RingBuffer.from(handle)");
    }
    return this.#scratch;
  }

  /** Pushes `value`, blocking (spin, then park) while the ring is full. */
  push(value: number, options?: WaitOptions): void {
    checkValue(value, "RingBuffer.push");
    checkBlocking("RingBuffer.push", options);
    const ms = timeoutMs(options);
    const status = this.region.core.ring_push(this.offset, value, ms);
    if (status === L.OK) return;
    if (status === L.TIMED_OUT) throw timeoutError("RingBuffer.push", ms);
    if (status === L.CLOSED) throw closedError("RingBuffer.push");
    throwStatus(status, "RingBuffer.push");
  }

  /** One attempt: true if pushed, false if the ring is full. Throws ClosedError if closed. */
  tryPush(value: number): boolean {
    checkValue(value, "RingBuffer.tryPush");
    const status = this.region.core.ring_try_push(this.offset, value);
    if (status === L.OK) return true;
    if (status === L.WOULD_BLOCK) return false;
    if (status === L.CLOSED) throw closedError("RingBuffer.tryPush");
    throwStatus(status, "RingBuffer.tryPush");
  }

  /** Pushes without blocking the thread: parks with Atomics.waitAsync while full. */
  async pushAsync(value: number, options?: WaitOptions): Promise<void> {
    checkValue(value, "RingBuffer.pushAsync");
    throwIfAborted("RingBuffer.pushAsync", options?.signal);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const { core } = this.region;
    const seqIndex = (this.offset + L.RING_PUSH_SEQ) >> 2;
    for (;;) {
      const seq = Atomics.load(this.#words, seqIndex); // read before the step registers
      const status = core.ring_push_step(this.offset, value);
      if (status === L.OK) return;
      if (status === L.CLOSED) throw closedError("RingBuffer.pushAsync");
      if (status !== L.WOULD_BLOCK) throwStatus(status, "RingBuffer.pushAsync");
      let woke: "woken" | "timed-out";
      try {
        woke = await parkAsync(this.#words, seqIndex, seq, deadline, "RingBuffer.pushAsync", options?.signal);
      } finally {
        core.ring_push_unwait(this.offset);
      }
      if (woke === "timed-out") {
        if (core.ring_try_push(this.offset, value) === L.OK) return;
        throw timeoutError("RingBuffer.pushAsync", ms);
      }
    }
  }

  /** Pops a value, blocking while the ring is empty. ClosedError once closed and drained. */
  pop(options?: WaitOptions): number {
    checkBlocking("RingBuffer.pop", options);
    const ms = timeoutMs(options);
    const out = this.#out();
    const status = this.region.core.ring_pop(this.offset, out, ms);
    if (status === L.OK) return this.#words[out >> 2];
    if (status === L.TIMED_OUT) throw timeoutError("RingBuffer.pop", ms);
    if (status === L.CLOSED) throw closedError("RingBuffer.pop");
    throwStatus(status, "RingBuffer.pop");
  }

  /** One attempt: the value, or undefined if empty. ClosedError once closed and drained. */
  tryPop(): number | undefined {
    const out = this.#out();
    const status = this.region.core.ring_try_pop(this.offset, out);
    if (status === L.OK) return this.#words[out >> 2];
    if (status === L.WOULD_BLOCK) return undefined;
    if (status === L.CLOSED) throw closedError("RingBuffer.tryPop");
    throwStatus(status, "RingBuffer.tryPop");
  }

  /** Pops without blocking the thread: parks with Atomics.waitAsync while empty. */
  async popAsync(options?: WaitOptions): Promise<number> {
    throwIfAborted("RingBuffer.popAsync", options?.signal);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const { core } = this.region;
    const seqIndex = (this.offset + L.RING_POP_SEQ) >> 2;
    for (;;) {
      const out = this.#out();
      const seq = Atomics.load(this.#words, seqIndex); // read before the step registers
      const status = core.ring_pop_step(this.offset, out);
      if (status === L.OK) return this.#words[out >> 2];
      if (status === L.CLOSED) throw closedError("RingBuffer.popAsync");
      if (status !== L.WOULD_BLOCK) throwStatus(status, "RingBuffer.popAsync");
      let woke: "woken" | "timed-out";
      try {
        woke = await parkAsync(this.#words, seqIndex, seq, deadline, "RingBuffer.popAsync", options?.signal);
      } finally {
        core.ring_pop_unwait(this.offset);
      }
      if (woke === "timed-out") {
        const last = this.tryPop();
        if (last !== undefined) return last;
        throw timeoutError("RingBuffer.popAsync", ms);
      }
    }
  }

  /**
   * Pushes as many of `values` as fit, in order, without waiting; returns how many. Throws
   * ClosedError if the ring is closed before any was pushed. An Int32Array on the region's
   * memory is read in place; any other array is copied through the scratch block.
   */
  pushMany(values: Int32Array): number {
    const { core } = this.region;
    if (!(values instanceof Int32Array)) throw new InvalidArgumentError("RingBuffer.pushMany expects an Int32Array");
    if (values.buffer === this.region.memory.buffer) {
      const n = core.ring_push_many(this.offset, values.byteOffset, values.length);
      if (n === -L.CLOSED) throw closedError("RingBuffer.pushMany");
      return n;
    }
    const scratch = this.#out();
    const words = this.#words;
    let done = 0;
    while (done < values.length) {
      const chunk = Math.min(SCRATCH_VALUES, values.length - done);
      words.set(values.subarray(done, done + chunk), scratch >> 2);
      const n = core.ring_push_many(this.offset, scratch, chunk);
      if (n === -L.CLOSED) {
        if (done === 0) throw closedError("RingBuffer.pushMany");
        break;
      }
      done += n;
      if (n < chunk) break;
    }
    return done;
  }

  /**
   * Pops up to `into.length` values into `into` without waiting; returns how many (0 when
   * empty). Throws ClosedError once the ring is closed and drained.
   */
  popMany(into: Int32Array): number {
    const { core } = this.region;
    if (!(into instanceof Int32Array)) throw new InvalidArgumentError("RingBuffer.popMany expects an Int32Array");
    if (into.buffer === this.region.memory.buffer) {
      const n = core.ring_pop_many(this.offset, into.byteOffset, into.length);
      if (n === -L.CLOSED) throw closedError("RingBuffer.popMany");
      return n;
    }
    const scratch = this.#out();
    const words = this.#words;
    let done = 0;
    while (done < into.length) {
      const chunk = Math.min(SCRATCH_VALUES, into.length - done);
      const n = core.ring_pop_many(this.offset, scratch, chunk);
      if (n === -L.CLOSED) {
        if (done === 0) throw closedError("RingBuffer.popMany");
        break;
      }
      into.set(words.subarray(scratch >> 2, (scratch >> 2) + n), done);
      done += n;
      if (n < chunk) break;
    }
    return done;
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

  /** Returns this object's scratch block; the ring itself stays. The object is unusable after. */
  detach(): void {
    if (this.#scratch === 0) return;
    scratchRegistry.unregister(this);
    this.region.release(L.KIND_RAW, this.#scratch, "RingBuffer.detach");
    this.#scratch = 0;
  }

  /** Returns the ring's memory (and this object's scratch) to the region. It must be unused everywhere. */
  free(): void {
    this.region.release(L.KIND_RING, this.offset, "RingBuffer.free");
    this.detach();
  }
}
