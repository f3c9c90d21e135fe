// sabre-ring.mjs — the ONE place the benchmarks touch sabre's RingBuffer.
//
// Every scenario and worker reaches the ring through this adapter, so that if the merged
// RingBuffer's API differs from the one assumed here (below), only this file changes:
//   RingBuffer.create(region, { capacity })   capacity a power of two
//   RingBuffer.from(handle)                   handle: structured-cloneable (workerData)
//   push(v, opts?) blocking   tryPush(v): boolean   pop(opts?): number blocking
//   tryPop(): number | undefined   pushMany(Int32Array): count   popMany(Int32Array): count
//   close()
// When the build of 'sabre' does not export RingBuffer, `ringStatus.available` is false and
// the scenarios skip their sabre tasks with `ringStatus.reason` (baselines still run).
// BENCH_RING_MODULE=/abs/path.mjs substitutes another implementation of the same API (a
// stand-in used to test the harness before the merge); results then say so in a note.
import * as sabre from "sabre";

const override = process.env.BENCH_RING_MODULE;
const RingBuffer = override ? (await import(override)).RingBuffer : sabre.RingBuffer;

export const ringStatus = {
  available: typeof RingBuffer === "function" && typeof RingBuffer.create === "function",
  source: override ? `stand-in ${override} (BENCH_RING_MODULE), NOT sabre's RingBuffer` : "sabre",
  reason: override
    ? `BENCH_RING_MODULE=${override} does not export RingBuffer`
    : "this build of 'sabre' does not export RingBuffer yet (pending the RingBuffer merge)",
};

/** Creates a ring of i32 items in `region` with `capacity` slots; returns { ring, handle }. */
export function createRing(region, capacity) {
  const ring = RingBuffer.create(region, { capacity });
  return { ring, handle: ring.handle };
}

/** Attaches to a ring from its handle (in a worker, or on the creating thread). */
export function ringFrom(handle) {
  return RingBuffer.from(handle);
}

/**
 * An Int32Array of `n` values for pushMany/popMany. sabre's ring reads and writes an
 * Int32Array that lies on the region's own memory in place (zero copy) and copies any other
 * array through a small per-object scratch block, so the fast path wants buffers allocated in
 * the ring's region; `inRegion = false` gives an ordinary array (the copying path).
 */
export function batchBuffer(ring, n, inRegion = true) {
  const region = ring.region;
  if (!inRegion || !region || typeof region.alloc !== "function") return new Int32Array(n);
  const offset = region.alloc(n * 4);
  return new Int32Array(region.memory.buffer, offset, n);
}

/** A pop result at or above this is a status, below it the value (assembly/layout.ts RING_POP_STATUS). */
const RING_POP_STATUS = 2 ** 31;

/**
 * Diagnostic only: the ring's core exports called directly, without the facade, or
 * undefined when the build has none by these names (`ring_try_push(ring, value)`, status
 * 0 = OK, and `ring_try_pop(ring)`, the value or RING_POP_STATUS + status).
 */
export function coreOps(ring) {
  const core = ring.region?.core;
  if (!core || typeof core.ring_try_push !== "function" || typeof core.ring_try_pop !== "function") return undefined;
  const offset = ring.offset;
  return {
    tryPush: (v) => core.ring_try_push(offset, v) === 0,
    tryPop: () => {
      const r = core.ring_try_pop(offset);
      return r < RING_POP_STATUS ? r : undefined;
    },
  };
}

/**
 * The operations the benchmarks use, as plain functions over one ring (closures over a
 * monomorphic receiver: V8 inlines them). pushMany/popMany may move fewer items than asked
 * (none when full/empty); callers loop.
 */
export function ringOps(ring) {
  return {
    push: (v, options) => ring.push(v, options),
    pop: (options) => ring.pop(options),
    tryPush: (v) => ring.tryPush(v),
    tryPop: () => ring.tryPop(),
    pushMany: (values) => ring.pushMany(values),
    popMany: (into) => ring.popMany(into),
    close: () => ring.close(),
  };
}
