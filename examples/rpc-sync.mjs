// examples/rpc-sync.mjs — an async function run in a worker thread and called synchronously:
// each call blocks on shared memory until the function settles. Run: node examples/rpc-sync.mjs
import { isMainThread } from "node:worker_threads";
import { createSyncFn } from "sabre/node";

export async function slowSquare(x) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  if (x < 0) throw new RangeError(`no square of ${x} today`);
  return x * x;
}

if (isMainThread) {
  // the worker imports this file and serves its export "slowSquare"
  const square = createSyncFn(new URL(import.meta.url), { name: "slowSquare", timeout: 10_000 });
  try {
    console.log(square(12)); // 144
    try {
      square(-1);
    } catch (error) {
      console.log(error.name, error.message); // RangeError no square of -1 today
    }
  } finally {
    await square.close();
  }
}
