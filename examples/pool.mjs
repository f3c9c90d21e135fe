// examples/pool.mjs — a worker Pool: run, map, a streamed result and a cancelled task. This one
// file is both the program and the task module: the pool's workers import it, call its exports.
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
  const pool = new Pool({ filename: new URL(import.meta.url), maxThreads: 2 }); // TypeScript: `await using`
  try {
    console.log(await pool.run(20, { name: "fib" })); // 6765

    const fibs = [];
    for await (const v of pool.map([10, 11, 12, 13], { name: "fib" })) fibs.push(v); // in input order
    console.log(fibs.join(" ")); // 55 89 144 233

    const counted = [];
    for await (const v of await pool.run(3, { name: "countdown" })) counted.push(v); // streamed
    console.log(counted.join(" ")); // 3 2 1

    const ac = new AbortController();
    const slow = pool.run(60_000, { name: "sleepy", signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    console.log(await slow.catch((e) => e.name)); // AbortError
  } finally {
    await pool.close();
  }
}
