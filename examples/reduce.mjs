// examples/reduce.mjs — zero-copy parallel reduction: the numbers live in a Region that every
// worker of the pool attached once (workerData); a task carries only { offset, length } and
// sums its slice in place. The same loop on this thread checks the result.
import { isMainThread } from "node:worker_threads";
import { Region } from "sabre";
import { Pool } from "sabre/node";

export function sumRange({ offset, length }, { workerData }) {
  const view = new Float64Array(workerData.region.memory.buffer, offset, length); // no copy
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
    const total = sums.reduce((a, b) => a + b, 0);
    console.log(total, total === sumRange({ offset, length: n }, { workerData: { region } })); // 1998000000 true
  } finally {
    await pool.close();
  }
}
