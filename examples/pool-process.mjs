// examples/pool-process.mjs — the same Pool on child processes (runtime "process"): tasks and
// results go through channels in a shared memfd region, not IPC; a task that kills its process
// rejects with TaskWorkerError and a new child takes its place. This one file is both the
// program and the task module (the children import it and call its exports).
import { fileURLToPath } from "node:url";
import { Pool, createRegion } from "sabre/node";

export function whoAmI() {
  return process.pid;
}

export function square(x) {
  return x * x;
}

export function countTo(n, { workerData }) {
  const counter = new Int32Array(workerData.region.memory.buffer, workerData.offset, 1); // no copy
  for (let i = 0; i < n; i++) Atomics.add(counter, 0, 1);
  return n;
}

export function die(code) {
  process.exit(code);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const region = createRegion({ size: 4096 }); // file-backed: the children map the same memory
  const offset = region.alloc(4);
  const pool = new Pool({
    filename: new URL(import.meta.url), runtime: "process", minThreads: 2, maxThreads: 2, workerData: { region, offset },
  });
  try {
    const pids = await Promise.all([1, 2, 3, 4].map(() => pool.run(null, { name: "whoAmI" })));
    console.log(pids.every((pid) => pid !== process.pid)); // true

    const squares = [];
    for await (const v of pool.map([1, 2, 3, 4], { name: "square" })) squares.push(v);
    console.log(squares.join(" ")); // 1 4 9 16

    await Promise.all([pool.run(1000, { name: "countTo" }), pool.run(1000, { name: "countTo" })]);
    console.log(Atomics.load(new Int32Array(region.memory.buffer, offset, 1), 0)); // 2000

    const error = await pool.run(7, { name: "die" }).catch((e) => e);
    console.log(error.name, error.cause.exitCode); // TaskWorkerError 7
    console.log(await pool.run(5, { name: "square" })); // 25
  } finally {
    await pool.close();
  }
}
