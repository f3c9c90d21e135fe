// pool-cancel.test.ts — Pool cancellation at each stage and crash recovery, on each Node runtime
// (worker threads and child processes; test/fixtures/pool-runtime.ts): a queued task aborted (never runs), a running cooperative task aborted (its signal
// fires, the worker stays), a running task that ignores the abort (its worker is terminated
// after the grace period and replaced), timeouts, a worker that exits or throws from a timer
// (its running task rejects with the cause, queued tasks still run).
// Fixture task module: test/fixtures/pool-tasks.mjs; events come back on a sabre Channel.
import { describe, expect, it } from "vitest";
import { RUNTIMES, poolOn, regionOn, type NodeRuntime } from "../fixtures/pool-runtime";
import { AbortError, Channel, Pool, Region, TimeoutError, WorkerCrashError } from "sabre/node";

const tasks = new URL("../fixtures/pool-tasks.mjs", import.meta.url);

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

function eventsChannel(runtime: NodeRuntime) {
  const region = regionOn(runtime)({ size: 1 << 20 });
  return { region, events: Channel.create<string>(region, { capacity: 64 }), gate: Channel.create<number>(region, { capacity: 1 }) };
}

describe.each(RUNTIMES)("runtime %s", (runtime) => {
  const newPool = poolOn(runtime);

  describe("Pool cancellation", () => {
    it("an aborted queued task is removed: it rejects with AbortError and never runs", async () => {
      const { events, gate } = eventsChannel(runtime);
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, workerData: { events, gate } });
      try {
        const blocker = pool.run("blocker", { name: "gate" });
        await until(() => pool.stats.running === 1);
        const ac = new AbortController();
        const queued = pool.run("q", { name: "waitForAbort", signal: ac.signal });
        const after = pool.run(1, { name: "inc" });
        expect(pool.queueSize).toBe(2);
        ac.abort("changed my mind");
        const error = await queued.catch((e) => e);
        expect(error).toBeInstanceOf(AbortError);
        expect(error.cause).toBe("changed my mind");
        expect(pool.queueSize).toBe(1);
        gate.send(1);
        expect(await blocker).toBe("blocker");
        expect(await after).toBe(2);
        expect(events.tryRecv()).toEqual({ ok: false, closed: false }); // "started q" was never sent
        expect(pool.stats.cancelled).toBe(1);
      } finally {
        await pool.destroy();
      }
    });

    it("an already aborted signal rejects at once", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      await expect(pool.run(1, { name: "inc", signal: AbortSignal.abort() })).rejects.toThrow(AbortError);
    });

    it("a running task is signalled: a cooperative one stops and its worker stays", async () => {
      const { events } = eventsChannel(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, workerData: { events } });
      const thread = await pool.run(0, { name: "thread" });
      const ac = new AbortController();
      const running = pool.run("r", { name: "waitForAbort", signal: ac.signal });
      expect(await events.recvAsync()).toBe("started r");
      ac.abort();
      await expect(running).rejects.toThrow(AbortError);
      expect(await events.recvAsync()).toBe("aborted r"); // the task saw its signal fire
      expect(await pool.run(0, { name: "thread" })).toBe(thread); // same worker
      expect(pool.stats.replacedWorkers).toBe(0);
    });

    it("a running task that ignores the abort: its worker is terminated after the grace period and replaced; its other tasks reject, held ones run", async () => {
      const { events } = eventsChannel(runtime);
      await using pool = newPool({
        filename: tasks, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, prefetch: 2, cancelGracePeriod: 50, workerData: { events },
      });
      const thread = await pool.run(0, { name: "thread" });
      const ac = new AbortController();
      const stubborn = pool.run("s", { name: "stubborn", signal: ac.signal });
      const neighbour = pool.run("n", { name: "stubborn" }); // runs beside it on the same worker
      expect(await events.recvAsync()).toBe("started s");
      expect(await events.recvAsync()).toBe("started n");
      const held = [pool.run(1, { name: "inc" }), pool.run(2, { name: "inc" })]; // queued or held by the worker
      ac.abort();
      await expect(stubborn).rejects.toThrow(AbortError); // at once, not after the grace period
      const error = await neighbour.catch((e) => e);
      expect(error.name).toBe("TaskWorkerError");
      expect(error.message).toMatch(/was cancelled and did not stop within cancelGracePeriod \(50 ms\)/);
      expect(await Promise.all(held)).toEqual([2, 3]); // not lost: run by the replacement
      expect(pool.stats.replacedWorkers).toBe(1);
      expect(await pool.run(0, { name: "thread" })).not.toBe(thread);
    });

    it("a timeout cancels like an abort, with TimeoutError", async () => {
      const { events } = eventsChannel(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, workerData: { events } });
      const error = await pool.run("t", { name: "waitForAbort", timeout: 20 }).catch((e) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toBe('Pool task "waitForAbort" timed out after 20 ms');
      await until(() => pool.stats.running === 0); // the worker reported the task's end
      const seen: string[] = [];
      for (let r = events.tryRecv(); r.ok; r = events.tryRecv()) seen.push(r.value);
      // skipped if the timeout came before the worker began it; else it saw its signal fire
      expect([[], ["started t", "aborted t"]]).toContainEqual(seen);
      expect(pool.stats.replacedWorkers).toBe(0);
    });
  });

  describe("Pool crash recovery", () => {
    it("a worker that exits rejects its running task with the cause; queued tasks run on its replacement", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 4 });
      const first = await pool.run(0, { name: "thread" });
      const crash = pool.run(3, { name: "crash" });
      const after = Array.from({ length: 10 }, (_, i) => pool.run(i, { name: "inc" }));
      const error = await crash.catch((e) => e);
      expect(error.name).toBe("TaskWorkerError");
      expect(error.message).toMatch(/^pool worker \d+ died while running task \d+ \("crash"\): /);
      expect(error.cause).toBeInstanceOf(WorkerCrashError);
      expect(error.cause.exitCode).toBe(3);
      expect(await Promise.all(after)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(await pool.run(0, { name: "thread" })).not.toBe(first);
      expect(pool.stats.replacedWorkers).toBe(1);
      expect(pool.stats.failed).toBe(1);
    });

    it("an uncaught exception in a worker rejects its running tasks with that error as the cause", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 2 });
      const error = await pool.run("boom from a timer", { name: "crashLater" }).catch((e) => e);
      expect(error.name).toBe("TaskWorkerError");
      expect(error.cause.message).toBe("boom from a timer");
      expect(await pool.run(1, { name: "inc" })).toBe(2);
    });

    it("resourceLimits apply per worker: one that runs out of memory rejects its task and is replaced", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
      const error = await pool.run(null, { name: "hog" }).catch((e) => e);
      expect(error.name).toBe("TaskWorkerError");
      // a thread reports its heap limit; a process is ended by V8's fatal out-of-memory abort
      if (runtime === "thread") expect(error.cause.code).toBe("ERR_WORKER_OUT_OF_MEMORY");
      else expect(error.cause).toBeInstanceOf(WorkerCrashError);
      expect(await pool.run(1, { name: "inc" })).toBe(2);
      expect(pool.stats.replacedWorkers).toBe(1);
    });

    it("every promise settles once when workers crash under load", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2 });
      const n = 2000;
      const outcomes = await Promise.allSettled(
        Array.from({ length: n }, (_, i) => (i % 500 === 250 ? pool.run(1, { name: "crash" }) : pool.run(i, { name: "inc" }))),
      );
      for (let i = 0; i < n; i++) {
        const o = outcomes[i];
        if (i % 500 === 250) {
          expect(o.status).toBe("rejected");
        } else if (o.status === "fulfilled") {
          expect(o.value).toBe(i + 1);
        } else {
          // began on the worker that died (it held several tasks)
          expect((o.reason as Error).name).toBe("TaskWorkerError");
        }
      }
      const stats = pool.stats;
      expect(stats.completed + stats.failed).toBe(n);
      expect(stats.replacedWorkers).toBe(4);
    });
  });
});
