// pool.test.ts — Pool (sabre/node) through the public entry, on each Node runtime (real worker
// threads and child processes; test/fixtures/pool-runtime.ts): options,
// many tasks with every result right and every promise settled exactly once, errors, priorities,
// maxQueue, workerData (zero-copy on a region), stats, close and `await using`.
// Fixture task module: test/fixtures/pool-tasks.mjs.
import { describe, expect, it } from "vitest";
import { RUNTIMES, poolOn, regionOn } from "../fixtures/pool-runtime";
import { sumKernel } from "../fixtures/sum-kernel";
import { Channel, InvalidArgumentError, Pool, PoolClosedError, QueueFullError, Region } from "sabre/node";
import { Pool as WebPool } from "sabre";

const tasks = new URL("../fixtures/pool-tasks.mjs", import.meta.url);

/** Waits (turning the event loop) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("Pool options", () => {
  it("refuses unknown keys, listing the known ones", () => {
    expect(() => new Pool({ filename: tasks, maxThread: 2 } as never)).toThrow(InvalidArgumentError);
    expect(() => new Pool({ filename: tasks, maxThread: 2 } as never)).toThrow(
      'Pool: unknown option "maxThread"; known options: filename, runtime, name, minThreads, maxThreads, idleTimeout, maxQueue, queueFull, concurrentTasksPerWorker, prefetch, resourceLimits, env, argv, execArgv, workerData, cancelGracePeriod, streamCapacity',
    );
  });

  it("validates each option with an exact message", () => {
    const bad: [object, string][] = [
      [{}, "Pool: filename must be an absolute path or a file: URL of the task module, got undefined"],
      [{ filename: "relative/tasks.mjs" }, 'Pool: filename must be an absolute path or a file: URL of the task module, got "relative/tasks.mjs"'],
      [{ filename: tasks, maxThreads: 0 }, "Pool: maxThreads must be an integer >= 1, got 0"],
      [{ filename: tasks, minThreads: 1.5 }, "Pool: minThreads must be an integer >= 0, got 1.5"],
      [{ filename: tasks, minThreads: 3, maxThreads: 2 }, "Pool: minThreads (3) must not exceed maxThreads (2)"],
      [{ filename: tasks, idleTimeout: -1 }, "Pool: idleTimeout must be a number of milliseconds >= 0 or Infinity, got -1"],
      [{ filename: tasks, maxQueue: "big" }, 'Pool: maxQueue must be an integer >= 0, got "big"'],
      [{ filename: tasks, concurrentTasksPerWorker: 0 }, "Pool: concurrentTasksPerWorker must be an integer >= 1, got 0"],
      [{ filename: tasks, queueFull: "block" }, 'Pool: queueFull must be "reject" or "wait", got "block"'],
      [{ filename: tasks, runtime: "web" }, 'Pool: runtime "web" is not available here (it needs Web Workers: import Pool from \'sabre\' in a browser); here use "thread" or "process"'],
      [{ filename: tasks, runtime: "process", resourceLimits: { stackSizeMb: 8 } }, 'Pool: resourceLimits.stackSizeMb applies to worker threads only; with runtime "process" pass a V8 flag in execArgv instead'],
      [{ filename: tasks, runtime: "fiber" }, 'Pool: runtime must be "thread", "process" or "web", got "fiber"'],
      [{ filename: tasks, resourceLimits: { maxOldGenSizeMb: 64 } }, 'Pool: unknown resourceLimits key "maxOldGenSizeMb"; known keys: maxOldGenerationSizeMb, maxYoungGenerationSizeMb, codeRangeSizeMb, stackSizeMb'],
      [{ filename: tasks, streamCapacity: 0 }, "Pool: streamCapacity must be an integer >= 1, got 0"],
    ];
    for (const [options, message] of bad) {
      expect(() => new Pool(options as never), JSON.stringify(options)).toThrow(message);
    }
  });

  it("each entry gives its own Pool: 'sabre' runs Web Workers and says so where there are none", () => {
    expect(WebPool).not.toBe(Pool);
    expect(() => new WebPool({ filename: tasks, runtime: "thread" })).toThrow(
      `Pool: runtime "thread" is not available here (it needs Node worker threads: import Pool from 'sabre/node' in Node); here use "web"`,
    );
    if (typeof (globalThis as { Worker?: unknown }).Worker !== "function") {
      expect(() => new WebPool({ filename: tasks, minThreads: 1 })).toThrow(
        "Pool from 'sabre' runs tasks in Web Workers, and this environment has none; in Node, import Pool from 'sabre/node'",
      );
    }
  });

  it('runtime "process" refuses workerData regions that only threads can share, naming where they are', () => {
    expect(() => new Pool({ filename: tasks, runtime: "process", workerData: { region: Region.create() } })).toThrow(
      "spawnProcess: data.workerData.region is a region shared between threads only (Region.create); create it with createRegion from 'sabre/node' to share it with another process",
    );
  });

  it("validates run options", async () => {
    await using pool = new Pool({ filename: tasks, minThreads: 0, maxThreads: 1 });
    await expect(pool.run(1, { nam: "inc" } as never)).rejects.toThrow('Pool: unknown run option "nam"; known run options: name, signal, priority, timeout');
    await expect(pool.run(1, { priority: NaN })).rejects.toThrow("Pool: run option priority must be a finite number (higher runs first), got NaN");
  });
});

describe.each(RUNTIMES)("runtime %s", (runtime) => {
  const newPool = poolOn(runtime);
  const newRegion = regionOn(runtime);

  describe("Pool.run", () => {
    it("runs many tasks: every result right, every promise settled exactly once", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 4 });
      const n = 20_000;
      const settled = new Uint8Array(n);
      const all: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const name = i % 10 === 0 ? "incAsync" : i % 3 === 0 ? "default" : "inc";
        const want = name === "default" ? { i } : i + 1;
        const p = pool.run(name === "default" ? { i } : i, { name }).then((v) => {
          settled[i]++;
          expect(v).toEqual(want);
        });
        all.push(p);
      }
      await Promise.all(all);
      expect(settled.every((s) => s === 1)).toBe(true);
      const stats = pool.stats;
      expect(stats.completed).toBe(n);
      expect(stats.failed).toBe(0);
      expect(stats.queueSize).toBe(0);
      expect(stats.running).toBe(0);
      expect(stats.runTime.count).toBe(n);
      expect(stats.waitTime.count).toBe(n);
      expect(stats.runTime.p50).toBeLessThanOrEqual(stats.runTime.p90);
      expect(stats.runTime.p90).toBeLessThanOrEqual(stats.runTime.p99);
      expect(stats.utilization).toBeGreaterThan(0);
    });

    it("concurrentTasksPerWorker: one worker runs that many async tasks at once", async () => {
      const region = newRegion();
      const events = Channel.create<string>(region, { capacity: 16 });
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 4, workerData: { events } });
      const acs = Array.from({ length: 4 }, () => new AbortController());
      const runs = acs.map((ac, i) => pool.run(`t${i}`, { name: "waitForAbort", signal: ac.signal }).catch((e) => e.name));
      const started = new Set<string>();
      while (started.size < 4) started.add(await events.recvAsync()); // all four began: none has ended
      expect(started).toEqual(new Set(["started t0", "started t1", "started t2", "started t3"]));
      for (const ac of acs) ac.abort();
      expect(await Promise.all(runs)).toEqual(["AbortError", "AbortError", "AbortError", "AbortError"]);
    });

    it("rejects with the task's error: name, message, code, fields and stack", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      const error = await pool.run("bad input", { name: "fail" }).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe("RangeError");
      expect(error.message).toBe("bad input");
      expect(error.code).toBe("E_TEST");
      expect(error.detail).toBe(7);
      expect(error.stack).toContain("pool-tasks.mjs");
      // the worker keeps serving
      expect(await pool.run(1, { name: "inc" })).toBe(2);
      expect(pool.stats.failed).toBe(1);
    });

    it("names a missing export and the ones there are", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      await expect(pool.run(1, { name: "nope" })).rejects.toThrow(/has no exported function "nope"; its exported functions: .*inc/);
    });

    it("rejects every task when the module cannot load, with the cause", async () => {
      await using pool = newPool({ filename: new URL("../fixtures/no-such-module.mjs", import.meta.url), maxThreads: 1 });
      const error = await pool.run(1).catch((e) => e);
      expect(error.name).toBe("TaskWorkerError");
      expect(error.message).toContain("failed to start");
      expect(error.cause).toBeDefined();
    });

    it("runs higher priorities first, FIFO within a priority", async () => {
      const region = newRegion();
      const gate = Channel.create(region, { capacity: 1 });
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, workerData: { gate } });
      try {
        const blocker = pool.run("blocker", { name: "gate" });
        await until(() => pool.stats.running === 1); // the blocker is on the worker, which holds no more
        const order: string[] = [];
        const specs: [string, number][] = [["a0", 0], ["b5", 5], ["c1", 1], ["d5", 5], ["e0", 0], ["f-2", -2], ["g1", 1]];
        const runs = specs.map(([tag, priority]) => pool.run(tag, { name: "tagged", priority }).then((t) => order.push(t as string)));
        expect(pool.queueSize).toBe(specs.length);
        gate.send(1);
        expect(await blocker).toBe("blocker");
        await Promise.all(runs);
        expect(order).toEqual(["b5", "d5", "c1", "g1", "a0", "e0", "f-2"]);
      } finally {
        await pool.destroy();
      }
    });

    it("refuses tasks beyond maxQueue with QueueFullError; the queued ones still run", async () => {
      const region = newRegion();
      const gate = Channel.create(region, { capacity: 1 });
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, maxQueue: 2, workerData: { gate } });
      try {
        const blocker = pool.run("blocker", { name: "gate" });
        await until(() => pool.stats.running === 1);
        const queued = [pool.run(1, { name: "inc" }), pool.run(2, { name: "inc" })];
        await expect(pool.run(3, { name: "inc" })).rejects.toThrow(QueueFullError);
        await expect(pool.run(3, { name: "inc" })).rejects.toThrow("Pool.run: the queue holds maxQueue (2) tasks; wait for some to finish, or raise maxQueue");
        gate.send(1);
        expect(await blocker).toBe("blocker");
        expect(await Promise.all(queued)).toEqual([2, 3]);
      } finally {
        await pool.destroy();
      }
    });

    it('with queueFull "wait", tasks beyond maxQueue wait in order for room; aborting one removes it', async () => {
      const region = newRegion();
      const gate = Channel.create(region, { capacity: 1 });
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, maxQueue: 1, queueFull: "wait", workerData: { gate } });
      try {
        const blocker = pool.run("blocker", { name: "gate" });
        await until(() => pool.stats.running === 1);
        const order: string[] = [];
        const ac = new AbortController();
        const runs = ["a", "b", "c", "d"].map((tag) =>
          pool.run(tag, { name: "tagged", signal: tag === "c" ? ac.signal : undefined }).then((t) => order.push(t as string), (e) => order.push(e.name)),
        );
        expect(pool.queueSize).toBe(4); // one queued, three waiting for room
        ac.abort();
        gate.send(1);
        expect(await blocker).toBe("blocker");
        await Promise.all(runs);
        expect(order).toEqual(["AbortError", "a", "b", "d"]);
      } finally {
        await pool.destroy();
      }
    });

    it("gives tasks workerData, live: a region's Float64Array summed in place (zero-copy)", async () => {
      const region = newRegion({ size: 1 << 20 });
      const n = 10_000;
      const offset = region.alloc(n * 8);
      const values = new Float64Array(region.memory.buffer, offset, n);
      for (let i = 0; i < n; i++) values[i] = i;
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, workerData: { region } });
      const half = n / 2;
      const parts = await Promise.all([
        pool.run({ offset, length: half }, { name: "sum" }),
        pool.run({ offset: offset + half * 8, length: half }, { name: "sum" }),
      ]);
      expect((parts[0] as number) + (parts[1] as number)).toBe((n * (n - 1)) / 2);
    });

    it("an AssemblyScript kernel runs in each worker on the region in place (zero-copy)", async () => {
      const n = 100_000;
      const region = newRegion({ size: n * 8 + 4096 });
      const offset = region.alloc(n * 8);
      const values = new Float64Array(region.memory.buffer, offset, n);
      for (let i = 0; i < n; i++) values[i] = i % 1000;
      const kernel = await sumKernel();
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, workerData: { region, kernel } });
      const parts = 4;
      const chunk = n / parts;
      const sums = await Promise.all(
        Array.from({ length: parts }, (_, p) => pool.run({ offset: offset + p * chunk * 8, length: chunk }, { name: "sumKernel" })),
      );
      let expected = 0;
      for (let i = 0; i < n; i++) expected += i % 1000;
      expect((sums as number[]).reduce((a, b) => a + b, 0)).toBe(expected);
    });

    it("grows to maxThreads under load and retires idle workers above minThreads", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 0, maxThreads: 2, idleTimeout: 10 });
      expect(pool.threads).toBe(0);
      const threads = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.run({ ms: 5, id: i }, { name: "spin" }).then(() => pool.run(0, { name: "thread" }))));
      expect(new Set(threads).size).toBeGreaterThanOrEqual(1);
      expect(pool.stats.threads).toBeLessThanOrEqual(2);
      while (pool.threads > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await pool.run(41, { name: "inc" })).toBe(42); // starts one again
    });

    it("close() finishes queued and running work, then refuses new tasks", async () => {
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 2 });
      const work = Array.from({ length: 40 }, (_, i) => pool.run({ ms: 1, id: i }, { name: "spin" }));
      const closed = pool.close();
      await expect(pool.run(1, { name: "inc" })).rejects.toThrow(PoolClosedError);
      expect(await Promise.all(work)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      await closed;
      expect(pool.threads).toBe(0);
      await expect(pool.run(1, { name: "inc" })).rejects.toThrow("Pool.run: the pool is closing; no new task is accepted");
    });

    it("destroy() rejects every unfinished task with PoolClosedError and stops the workers", async () => {
      const region = newRegion();
      const gate = Channel.create(region, { capacity: 1 }); // never opened: the gated tasks block
      const pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, prefetch: 0, workerData: { gate } });
      expect(await pool.run(1, { name: "inc" })).toBe(2);
      const work = Array.from({ length: 40 }, (_, i) => pool.run(i, { name: i % 2 === 0 ? "gate" : "inc" }));
      const settled = Promise.allSettled(work);
      await until(() => pool.stats.running === 2 && pool.queueSize > 0); // both workers blocked, work queued
      await pool.destroy();
      const outcomes = await settled;
      expect(outcomes.filter((o) => o.status === "rejected").length).toBeGreaterThanOrEqual(20);
      for (const [i, o] of outcomes.entries()) {
        if (o.status === "rejected") expect(o.reason).toBeInstanceOf(PoolClosedError);
        else expect(o.value).toBe(i + 1); // an inc that ran before the gates
      }
      expect(pool.threads).toBe(0);
    });
  });
});
