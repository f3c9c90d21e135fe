// pool.mjs — scenario "pool": sabre's worker Pool against piscina, tinypool, workerpool and
// poolifier, in the same run, with the same number of worker threads (THREADS, min = max) and
// the same task functions (bench/workers/pool-tasks.mjs):
//   tiny tasks    x => x + 1, TINY tasks submitted at once (bench/lib/pool-tasks.mjs), one sample = all settled (tasks/s
//                 with many in flight: the cost of the task path itself)
//   sequential    one `await run(x)` at a time; one sample = one task (latency; medians matter)
//   1 ms tasks    CPU_TASKS tasks of ~1 ms CPU at once (throughput of real work: the pools
//                 should be equal within noise, bounded by the cores)
//   reduction     the sum of SUM_N float64s in a Region, by the sabre Pool's THREADS workers
//                 (SUM_PARTS tasks of { offset, length }: zero-copy, the region is their
//                 workerData) against the same loop on one thread; items = numbers summed
// Every result is checked. Targets (issue): tiny >= 10x piscina's tasks/s, sequential <= 1/5
// of piscina's median latency, 1 ms tasks no worse than the best peer, the reduction within
// 1.2x of linear speed-up over one thread (>= THREADS / 1.2).
import { Piscina } from "piscina";
import Tinypool from "tinypool";
import workerpool from "workerpool";
import { FixedThreadPool } from "poolifier";
import { fileURLToPath } from "node:url";
import { Region } from "sabre";
import { Pool } from "sabre/node";
import { poolTasks, taskName } from "../lib/pool-tasks.mjs";
import { sumRange } from "../workers/pool-tasks.mjs";

export const title = "worker pools: tiny tasks/s, sequential latency, 1 ms CPU tasks — sabre Pool vs piscina, tinypool, workerpool, poolifier";
export const description = "Same thread count and task functions for every pool; results checked.";

const THREADS = 2;
const SUM_N = 4 << 20;
const SUM_PARTS = 8;
const tasksModule = new URL("../workers/pool-tasks.mjs", import.meta.url);
const workerpoolEntry = fileURLToPath(new URL("../workers/pool-workerpool.mjs", import.meta.url));
const poolifierEntry = fileURLToPath(new URL("../workers/pool-poolifier.mjs", import.meta.url));

/** Each pool as one uniform `run(name, x) -> Promise` plus its teardown. */
function pools() {
  const sabre = new Pool({ filename: tasksModule, minThreads: THREADS, maxThreads: THREADS, idleTimeout: Infinity });
  const piscina = new Piscina({ filename: tasksModule.href, minThreads: THREADS, maxThreads: THREADS, idleTimeout: 60_000 });
  const tinypool = new Tinypool({ filename: tasksModule.href, minThreads: THREADS, maxThreads: THREADS, idleTimeout: 60_000 });
  const wp = workerpool.pool(workerpoolEntry, { minWorkers: THREADS, maxWorkers: THREADS, workerType: "thread" });
  const pf = new FixedThreadPool(THREADS, poolifierEntry);
  return [
    { label: "sabre Pool", role: "sabre", run: (name, x) => sabre.run(x, { name }), stop: () => sabre.destroy() },
    { label: "piscina", role: "baseline", run: (name, x) => piscina.run(x, { name }), stop: () => piscina.destroy() },
    { label: "tinypool", role: "baseline", run: (name, x) => tinypool.run(x, { name }), stop: () => tinypool.destroy() },
    { label: "workerpool", role: "baseline", run: (name, x) => wp.exec(name, [x]), stop: () => wp.terminate(true) },
    { label: "poolifier", role: "baseline", run: (name, x) => pf.execute(x, name), stop: () => pf.destroy() },
  ];
}

export async function define() {
  const tasks = [];
  const ratios = [];
  const list = pools();
  const name = taskName;
  tasks.push(...poolTasks(list));
  // the zero-copy reduction: one region, filled once; the pool's workers attach it at start
  const region = Region.create({ size: SUM_N * 8 + 4096 });
  const offset = region.alloc(SUM_N * 8);
  const values = new Float64Array(region.memory.buffer, offset, SUM_N);
  for (let i = 0; i < SUM_N; i++) values[i] = i % 1000;
  const expected = sumRange({ offset, length: SUM_N }, { workerData: { region } });
  const reducer = new Pool({ filename: tasksModule, minThreads: THREADS, maxThreads: THREADS, idleTimeout: Infinity, workerData: { region } });
  const chunk = SUM_N / SUM_PARTS;
  const PARALLEL = `sabre Pool, parallel sum (${THREADS} workers, zero-copy)`;
  const SINGLE = "one thread, the same sum";
  tasks.push({
    name: PARALLEL, role: "sabre", async: true, itemsPerSample: SUM_N, sampleIs: `summing ${SUM_N} float64s`,
    fn: async () => {
      const parts = await Promise.all(
        Array.from({ length: SUM_PARTS }, (_, p) => reducer.run({ offset: offset + p * chunk * 8, length: chunk }, { name: "sumRange" })),
      );
      if (parts.reduce((a, b) => a + b, 0) !== expected) throw new Error("pool bench: wrong parallel sum");
    },
  });
  tasks.push({
    name: SINGLE, role: "baseline", itemsPerSample: SUM_N, sampleIs: `summing ${SUM_N} float64s`,
    fn: () => {
      if (sumRange({ offset, length: SUM_N }, { workerData: { region } }) !== expected) throw new Error("pool bench: wrong sum");
    },
  });
  ratios.push({ sabre: PARALLEL, baseline: SINGLE, target: { by: "mean", minSpeedup: THREADS / 1.2, text: `>= ${(THREADS / 1.2).toFixed(2)}x (1.2x of linear)` } });

  const [sabre, ...peers] = list;
  for (const peer of peers) {
    const piscina = peer.label === "piscina";
    ratios.push({
      sabre: name(sabre, "tiny tasks"), baseline: name(peer, "tiny tasks"),
      ...(piscina ? { target: { by: "mean", minSpeedup: 10, text: ">= 10x piscina" } } : {}),
    });
  }
  for (const peer of peers) {
    const piscina = peer.label === "piscina";
    ratios.push({
      sabre: name(sabre, "sequential run"), baseline: name(peer, "sequential run"), by: "p50", latencyRatios: true,
      ...(piscina ? { target: { by: "p50", minSpeedup: 5, text: "<= 1/5 of piscina's latency" } } : {}),
    });
  }
  for (const peer of peers) {
    ratios.push({ sabre: name(sabre, "1 ms tasks"), baseline: name(peer, "1 ms tasks"), target: { by: "mean", minSpeedup: 0.95, text: "no worse than the peer (within 5%)" } });
  }
  return {
    unit: "tasks/s",
    tasks,
    ratios,
    notes: [
      `${THREADS} worker threads per pool (min = max), created once; every pool is idle while the others run`,
      "sequential: speedup = peer's median latency ÷ sabre's",
    ],
    skipped: [],
    teardown: async () => {
      for (const p of list) await p.stop();
      await reducer.destroy();
    },
  };
}
