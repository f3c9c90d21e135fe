// pool-tasks.mjs — the task functions of the "pool" benchmark scenario, shared by every pool
// measured (sabre's Pool, piscina, tinypool: they import this module; workerpool and poolifier
// wrap the same functions in their own worker entries, pool-workerpool.cjs / pool-poolifier.mjs).

/** The tiny task: x => x + 1. */
export function inc(x) {
  return x + 1;
}

/** About 1 ms of CPU: a busy loop on the clock, then x + 1. */
export function cpu1ms(x) {
  const end = performance.now() + 1;
  while (performance.now() < end);
  return x + 1;
}

/** Sums Float64Array [offset, offset + length) of the region in workerData (zero-copy). */
export function sumRange({ offset, length }, { workerData }) {
  const view = new Float64Array(workerData.region.memory.buffer, offset, length);
  let s = 0;
  for (let i = 0; i < view.length; i++) s += view[i];
  return s;
}
