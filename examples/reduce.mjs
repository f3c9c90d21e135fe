// examples/reduce.mjs — zero-copy parallel reduction (README, "Worker pool"): a Float64Array
// lives in a Region; the pool's workers get the region once, as workerData, and each task sums
// a slice of it in place — no copy of the numbers crosses a thread, only { offset, length }.
// The same sum on this thread checks it. (bench/scenarios/pool.mjs times both.)
// Run by test/unit/pool-example.test.ts.
import { isMainThread } from "node:worker_threads";
import { Region } from "sabre";
import { Pool } from "sabre/node";

/** The task: sums `length` float64s at byte `offset` of the shared region. */
export function sumRange({ offset, length }, { workerData }) {
  const view = new Float64Array(workerData.region.memory.buffer, offset, length);
  let s = 0;
  for (let i = 0; i < view.length; i++) s += view[i];
  return s;
}

if (isMainThread) {
  const n = 4_000_000;
  const region = Region.create({ size: n * 8 + 4096 });
  const offset = region.alloc(n * 8);
  const values = new Float64Array(region.memory.buffer, offset, n);
  for (let i = 0; i < n; i++) values[i] = i % 1000; // integers: every order of summing is exact

  const pool = new Pool({ filename: new URL(import.meta.url), minThreads: 2, maxThreads: 2, workerData: { region } });
  try {
    const parts = 8;
    const chunk = n / parts;
    const sums = await Promise.all(
      Array.from({ length: parts }, (_, p) => pool.run({ offset: offset + p * chunk * 8, length: chunk }, { name: "sumRange" })),
    );
    const parallel = sums.reduce((a, b) => a + b, 0);
    const single = sumRange({ offset, length: n }, { workerData: { region } });
    console.log(`parts=${parts} sum=${parallel} matches=${parallel === single}`);
  } finally {
    await pool.close();
  }
}
