// pool-process.mjs — scenario "pool-process": sabre's Pool on child processes (runtime
// "process": tasks and results through channels in a shared memfd region, idle children
// parked on the futex) against the same Pool on worker threads, and against the process pools
// of workerpool (workerType "process": child_process.fork, messages over IPC) and poolifier
// (FixedClusterPool: node:cluster workers), in the same run, with the same number of workers
// (WORKERS, min = max) and the same task functions (bench/workers/pool-tasks.mjs):
//   tiny tasks    x => x + 1, TINY tasks submitted at once, one sample = all settled
//   sequential    one `await run(x)` at a time; one sample = one task (latency; medians matter)
//   1 ms tasks    CPU_TASKS tasks of ~1 ms CPU at once (bounded by the cores)
// Every result is checked. Ratios: the process runtime against each of the others (a thread
// pool is the cheaper transport when a process is not needed: it shows what processes cost).
import workerpool from "workerpool";
import { FixedClusterPool } from "poolifier";
import { fileURLToPath } from "node:url";
import { Pool } from "sabre/node";

export const title = "process pools: tiny tasks/s, sequential latency, 1 ms CPU tasks — sabre Pool (processes) vs sabre Pool (threads), workerpool and poolifier process pools";
export const description = "Same worker count and task functions for every pool; results checked.";

const WORKERS = 2;
const TINY = 4000;
const CPU_TASKS = 16;
const tasksModule = new URL("../workers/pool-tasks.mjs", import.meta.url);
const workerpoolEntry = fileURLToPath(new URL("../workers/pool-workerpool.mjs", import.meta.url));
const poolifierEntry = fileURLToPath(new URL("../workers/pool-poolifier-cluster.mjs", import.meta.url));

const SABRE = "sabre Pool (processes)";

/** Each pool as one uniform `run(name, x) -> Promise` plus its teardown. */
function pools() {
  const options = { filename: tasksModule, minThreads: WORKERS, maxThreads: WORKERS, idleTimeout: Infinity };
  const processes = new Pool({ ...options, runtime: "process" });
  const threads = new Pool({ ...options, runtime: "thread" });
  const wp = workerpool.pool(workerpoolEntry, { minWorkers: WORKERS, maxWorkers: WORKERS, workerType: "process" });
  const pf = new FixedClusterPool(WORKERS, poolifierEntry);
  return [
    { label: SABRE, role: "sabre", run: (name, x) => processes.run(x, { name }), stop: () => processes.destroy() },
    { label: "sabre Pool (threads)", role: "baseline", run: (name, x) => threads.run(x, { name }), stop: () => threads.destroy() },
    { label: "workerpool (processes)", role: "baseline", run: (name, x) => wp.exec(name, [x]), stop: () => wp.terminate(true) },
    { label: "poolifier (cluster)", role: "baseline", run: (name, x) => pf.execute(x, name), stop: () => pf.destroy() },
  ];
}

async function many(run, name, k) {
  const all = new Array(k);
  for (let i = 0; i < k; i++) all[i] = run(name, i);
  const results = await Promise.all(all);
  for (let i = 0; i < k; i++) if (results[i] !== i + 1) throw new Error(`pool-process bench: task ${i} returned ${results[i]}`);
}

export async function define() {
  const tasks = [];
  const ratios = [];
  const list = pools();
  // every pool answers once before measuring (children started, modules loaded)
  for (const p of list) await many(p.run, "inc", WORKERS * 4);
  const name = (p, what) => `${p.label}, ${what}`;
  for (const p of list) {
    tasks.push({
      name: name(p, "tiny tasks"), role: p.role, async: true, itemsPerSample: TINY, sampleIs: `${TINY} tiny tasks at once`,
      fn: () => many(p.run, "inc", TINY),
    });
  }
  let seq = 0;
  for (const p of list) {
    tasks.push({
      name: name(p, "sequential run"), role: p.role, async: true, sampleIs: "one await run()",
      fn: async () => {
        const x = (seq = (seq + 1) & 0xffffff);
        if ((await p.run("inc", x)) !== x + 1) throw new Error("pool-process bench: wrong result");
      },
    });
  }
  for (const p of list) {
    tasks.push({
      name: name(p, "1 ms tasks"), role: p.role, async: true, itemsPerSample: CPU_TASKS, sampleIs: `${CPU_TASKS} 1 ms tasks at once`,
      fn: () => many(p.run, "cpu1ms", CPU_TASKS),
    });
  }
  const [sabre, ...peers] = list;
  for (const peer of peers) ratios.push({ sabre: name(sabre, "tiny tasks"), baseline: name(peer, "tiny tasks") });
  for (const peer of peers) {
    ratios.push({ sabre: name(sabre, "sequential run"), baseline: name(peer, "sequential run"), by: "p50", latencyRatios: true });
  }
  for (const peer of peers) ratios.push({ sabre: name(sabre, "1 ms tasks"), baseline: name(peer, "1 ms tasks") });
  return {
    unit: "tasks/s",
    tasks,
    ratios,
    notes: [
      `${WORKERS} workers per pool (min = max), created once; every pool is idle while the others run`,
      "sequential: speedup = peer's median latency ÷ sabre's",
    ],
    skipped: [],
    teardown: async () => {
      for (const p of list) await p.stop();
    },
  };
}
