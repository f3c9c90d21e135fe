// pool-process.mjs — scenario "pool-process": sabre's Pool on child processes (runtime
// "process": tasks and results through channels in a shared memfd region, idle children
// parked on the futex) against the same Pool on worker threads, and against the process pools
// of workerpool (workerType "process": child_process.fork, messages over IPC) and poolifier
// (FixedClusterPool: node:cluster workers), in the same run, with the same number of workers
// (WORKERS, min = max) and the same task functions (bench/workers/pool-tasks.mjs):
//   tiny tasks    x => x + 1, TINY tasks submitted at once (bench/lib/pool-tasks.mjs), one sample = all settled
//   sequential    one `await run(x)` at a time; one sample = one task (latency; medians matter)
//   1 ms tasks    CPU_TASKS tasks of ~1 ms CPU at once (bounded by the cores)
// Every result is checked. Ratios: the process runtime against each of the others (a thread
// pool is the cheaper transport when a process is not needed: it shows what processes cost).
import workerpool from "workerpool";
import { FixedClusterPool } from "poolifier";
import { fileURLToPath } from "node:url";
import { Pool } from "sabre/node";
import { many, poolTasks, taskName } from "../lib/pool-tasks.mjs";

export const title = "process pools: tiny tasks/s, sequential latency, 1 ms CPU tasks — sabre Pool (processes) vs sabre Pool (threads), workerpool and poolifier process pools";
export const description = "Same worker count and task functions for every pool; results checked.";

const WORKERS = 2;
const tasksModule = new URL("../workers/pool-tasks.mjs", import.meta.url);
const workerpoolEntry = fileURLToPath(new URL("../workers/pool-workerpool.mjs", import.meta.url));
const poolifierEntry = fileURLToPath(new URL("../workers/pool-poolifier-cluster.cjs", import.meta.url));

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

export async function define() {
  const tasks = [];
  const ratios = [];
  const list = pools();
  // every pool answers once before measuring (children started, modules loaded)
  for (const p of list) await many(p.run, "inc", WORKERS * 4);
  const name = taskName;
  tasks.push(...poolTasks(list));
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
