// examples/pool.mjs — sabre's worker Pool: run, map, a streamed result and cancellation
// (README, "Worker pool"; run by test/unit/pool-example.test.ts). This one file is both the
// program and the task module: the pool's workers import it and call its exports by name.
import { isMainThread } from "node:worker_threads";
import { Pool } from "sabre/node";

export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function* countdown(n) {
  for (let i = n; i > 0; i--) yield i; // each item streams back as it is made
}

export function sleepy(ms, { signal }) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("woke"), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason); // a cooperative task stops when its signal aborts
    });
  });
}

if (isMainThread) {
  const pool = new Pool({ filename: new URL(import.meta.url), maxThreads: 2 });
  try {
    const f = await pool.run(20, { name: "fib" }); // 6765

    const fibs = [];
    for await (const v of pool.map([10, 11, 12, 13], { name: "fib" })) fibs.push(v); // input order

    const counted = [];
    for await (const v of await pool.run(3, { name: "countdown" })) counted.push(v); // streamed

    const ac = new AbortController();
    const slow = pool.run(60_000, { name: "sleepy", signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    const cancelled = await slow.catch((e) => e.name); // "AbortError"

    console.log(`fib=${f} map=${fibs.join(",")} stream=${counted.join(",")} cancelled=${cancelled} completed=${pool.stats.completed}`);
  } finally {
    await pool.close();
  }
}
