// pool-tasks.mjs — what the pool scenarios (pool.mjs, pool-process.mjs) share: the tasks that
// measure one pool, given as `{ label, role, run(name, x) }` — tiny tasks (TINY `inc` at once,
// every result checked), one sequential `await run()`, and CPU_TASKS 1 ms tasks at once.
export const TINY = 4000;
export const CPU_TASKS = 16;

/** Runs `k` tasks `name` at once and checks every result is its input + 1. */
export async function many(run, name, k) {
  const all = new Array(k);
  for (let i = 0; i < k; i++) all[i] = run(name, i);
  const results = await Promise.all(all);
  for (let i = 0; i < k; i++) if (results[i] !== i + 1) throw new Error(`pool bench: task ${i} returned ${results[i]}`);
}

/** The task name of measurement `what` on pool `p`. */
export const taskName = (p, what) => `${p.label}, ${what}`;

/** The tiny, sequential and 1 ms tasks of every pool in `list`, grouped by measurement. */
export function poolTasks(list) {
  const tasks = [];
  for (const p of list) {
    tasks.push({
      name: taskName(p, "tiny tasks"), role: p.role, async: true, itemsPerSample: TINY, sampleIs: `${TINY} tiny tasks at once`,
      fn: () => many(p.run, "inc", TINY),
    });
  }
  let seq = 0;
  for (const p of list) {
    tasks.push({
      name: taskName(p, "sequential run"), role: p.role, async: true, sampleIs: "one await run()",
      fn: async () => {
        const x = (seq = (seq + 1) & 0xffffff);
        if ((await p.run("inc", x)) !== x + 1) throw new Error("pool bench: wrong result");
      },
    });
  }
  for (const p of list) {
    tasks.push({
      name: taskName(p, "1 ms tasks"), role: p.role, async: true, itemsPerSample: CPU_TASKS, sampleIs: `${CPU_TASKS} 1 ms tasks at once`,
      fn: () => many(p.run, "cpu1ms", CPU_TASKS),
    });
  }
  return tasks;
}
