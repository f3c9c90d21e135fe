// pool-piscina.test.ts — the behaviours piscina's own test suite checks (simple, abort-task,
// task-queue, option-validation, idle-timeout, thread-count, histogram, move, named-import,
// messages, pool-close, pool-destroy), asserted on sabre's Pool with real workers on each Node
// runtime (test/fixtures/pool-runtime.ts). Where sabre differs on purpose (README "Worker pool":
// inputs are copied through a codec rather than transferred, messages travel on sabre channels
// rather than postMessage, an abort is an AbortSignal only), its documented behaviour is tested.
// Fixture task module: test/fixtures/pool-piscina-tasks.mjs. No assertion depends on timing.
import { getEventListeners } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RUNTIMES, poolOn, regionOn, type NodeRuntime } from "../fixtures/pool-runtime";
import { AbortError, Channel, InvalidArgumentError, PoolClosedError, QueueFullError, TaskWorkerError } from "sabre/node";

const tasks = new URL("../fixtures/pool-piscina-tasks.mjs", import.meta.url);

/** Waits (turning the event loop) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** An events channel (workers to test) and a gate (test to workers) in a region `runtime` shares. */
function wires(runtime: NodeRuntime) {
  const region = regionOn(runtime)({ size: 1 << 20 });
  return { events: Channel.create<unknown>(region, { capacity: 256 }), gate: Channel.create<number>(region, { capacity: 16 }) };
}

describe("piscina option-validation: each bad option is refused before any worker starts", () => {
  const bad: [string, object][] = [
    ["filename", { filename: 12 }],
    ["filename", { filename: "" }],
    ["name", { name: 5 }],
    ["name", { name: "" }],
    ["minThreads", { minThreads: -1 }],
    ["minThreads", { minThreads: "1" }],
    ["maxThreads", { maxThreads: 1.5 }],
    ["maxThreads", { maxThreads: "4" }],
    ["idleTimeout", { idleTimeout: "10" }],
    ["idleTimeout", { idleTimeout: NaN }],
    ["maxQueue", { maxQueue: -1 }],
    ["maxQueue", { maxQueue: 2.5 }],
    ["concurrentTasksPerWorker", { concurrentTasksPerWorker: "2" }],
    ["prefetch", { prefetch: -1 }],
    ["resourceLimits", { resourceLimits: 64 }],
    ["resourceLimits.maxOldGenerationSizeMb", { resourceLimits: { maxOldGenerationSizeMb: 0 } }],
    ["resourceLimits.maxYoungGenerationSizeMb", { resourceLimits: { maxYoungGenerationSizeMb: "8" } }],
    ["env", { env: "A=1" }],
    ["argv", { argv: "--flag" }],
    ["execArgv", { execArgv: [1] }],
    ["cancelGracePeriod", { cancelGracePeriod: -5 }],
    ["streamCapacity", { streamCapacity: 1.5 }],
  ];
  it.each(bad)("%s: %j", (option, extra) => {
    const error = (() => {
      try {
        poolOn("thread")({ filename: tasks, ...extra } as never);
      } catch (e) {
        return e as InvalidArgumentError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error!.code).toBe("ERR_SABRE_INVALID_ARGUMENT");
    expect(error!.message).toContain(`Pool: ${option} `);
  });

  it("options that are not an object are refused", () => {
    for (const options of [null, undefined, 3, "tasks.mjs"]) {
      expect(() => poolOn("thread")(options as never), String(options)).toThrow(InvalidArgumentError);
    }
  });

  it("run options of the wrong type are refused and the pool stays usable", async () => {
    await using pool = poolOn("thread")({ filename: tasks, minThreads: 0, maxThreads: 1 });
    const refused: [object, string][] = [
      [{ name: 3 }, "run option name must be a non-empty string"],
      [{ timeout: -1 }, "run option timeout must be a number of milliseconds"],
      [{ timeout: "5" }, "run option timeout must be a number of milliseconds"],
      [{ priority: "high" }, "run option priority must be a finite number"],
      [{ signal: { aborted: false } }, "run option signal must be an AbortSignal"],
    ];
    for (const [options, message] of refused) {
      const error = await pool.run(1, options as never).catch((e) => e);
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toContain(message);
    }
    expect(await pool.run(4)).toBe(8);
    expect(pool.stats.completed).toBe(1);
  });
});

describe.each(RUNTIMES)("runtime %s", (runtime) => {
  const newPool = poolOn(runtime);

  describe("piscina simple", () => {
    it("the options in effect are the constructor's, defaults filled in", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 3, idleTimeout: 500, maxQueue: "auto", concurrentTasksPerWorker: 2 });
      expect(pool.options).toMatchObject({
        filename: tasks.href, runtime, name: "default", minThreads: 1, maxThreads: 3, idleTimeout: 500, maxQueue: 9,
        concurrentTasksPerWorker: 2, queueFull: "reject",
      });
    });

    it("thread counts: a low maxThreads lowers minThreads' default, a high minThreads raises maxThreads'", async () => {
      const low = newPool({ filename: tasks, maxThreads: 1 });
      const high = newPool({ filename: tasks, minThreads: 9, idleTimeout: 0 });
      try {
        expect(low.options.minThreads).toBe(1);
        expect(high.options.maxThreads).toBeGreaterThanOrEqual(9);
      } finally {
        await Promise.all([low.destroy(), high.destroy()]);
      }
      expect(low.threads + high.threads).toBe(0);
    });

    it("a CommonJS task module: module.exports is the default task, its properties the named ones", async () => {
      await using pool = newPool({ filename: fileURLToPath(new URL("../fixtures/pool-cjs-tasks.cjs", import.meta.url)), maxThreads: 1 });
      expect(await pool.run(2)).toBe(6);
      expect(await pool.run(2, { name: "negate" })).toBe(-2);
    });

    it("sync and async task functions; the default export when no name is given", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      expect(await pool.run(21)).toBe(42);
      expect(await pool.run(5, { name: "doubleLater" })).toBe(10);
    });

    it("filename as an absolute path, a file: URL string or a URL object", async () => {
      for (const filename of [fileURLToPath(tasks), tasks.href, tasks]) {
        await using pool = newPool({ filename, maxThreads: 1 });
        expect(await pool.run(3)).toBe(6);
      }
    });

    it("a task module that does not exist rejects the task with TaskWorkerError naming it", async () => {
      await using pool = newPool({ filename: new URL("./no-such-tasks.mjs", tasks), minThreads: 0, maxThreads: 1 });
      const error = await pool.run(1).catch((e) => e);
      expect(error).toBeInstanceOf(TaskWorkerError);
      expect(`${error.message} ${error.cause?.message}`).toContain("no-such-tasks.mjs");
    });

    it("env, argv and execArgv reach the workers", async () => {
      await using pool = newPool({
        filename: tasks, maxThreads: 1, env: { SABRE_PISCINA_A: "one", SABRE_PISCINA_B: "two" }, argv: ["a", 2], execArgv: ["--no-warnings"],
      });
      const seen = await pool.run<{ env: unknown[]; argv: string[]; execArgv: string[] }>(["SABRE_PISCINA_A", "SABRE_PISCINA_B", "PATH"], { name: "startup" });
      expect(seen.env).toEqual(["one", "two", null]); // only the env given
      expect(seen.argv.slice(-2)).toEqual(["a", "2"]);
      expect(seen.execArgv).toContain("--no-warnings");
    });

    it("workerData reaches every task, structured values intact; the context names the task", async () => {
      const workerData = { n: 1n << 70n, when: new Date(0), tags: new Set(["x"]), map: new Map([[1, "one"]]) };
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, workerData });
      const seen = await Promise.all(Array.from({ length: 6 }, () => pool.run<{ id: number; name: string; workerData: unknown }>(0, { name: "context" })));
      for (const s of seen) {
        expect(s.name).toBe("context");
        expect(s.workerData).toEqual(workerData);
      }
      expect(new Set(seen.map((s) => s.id)).size).toBe(6); // every task its own id
    });

    it("workerData that cannot be sent is refused with InvalidArgumentError: at construction when workers start then, else by run()", async () => {
      const workerData = { f() {} };
      expect(() => newPool({ filename: tasks, minThreads: 1, maxThreads: 1, workerData })).toThrow(InvalidArgumentError);
      const lazy = newPool({ filename: tasks, minThreads: 0, maxThreads: 1, workerData });
      try {
        const error = await lazy.run(1).catch((e) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error.message).toContain("data cannot be sent");
      } finally {
        await lazy.destroy();
      }
    });

    it("a named task chosen by the pool's name option, overridden by run's", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1, name: "doubleLater" });
      expect(await pool.run(2)).toBe(4);
      expect(await pool.run([1, 2], { name: "same" })).toEqual([1, 2]);
    });

    it("a missing export rejects that task and names the ones there are; the worker stays", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1 });
      const before = await pool.run(0, { name: "where" });
      const error = await pool.run(1, { name: "nope" }).catch((e) => e);
      expect(error.message).toContain("nope");
      expect(error.message).toContain("doubleLater");
      expect(await pool.run(0, { name: "where" })).toBe(before);
      expect(pool.stats.replacedWorkers).toBe(0);
    });
  });

  describe("piscina move (sabre copies through its codec: nothing is transferred or detached)", () => {
    it("typed arrays and buffers arrive equal; the caller's stay usable and unchanged", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      const bytes = new Uint8Array([1, 2, 3, 4]);
      const out = await pool.run<Uint8Array>({ bytes, value: 9 }, { name: "fill" });
      expect(Array.from(out)).toEqual([9, 9, 9, 9]);
      expect(Array.from(bytes)).toEqual([1, 2, 3, 4]); // not moved, not written
      expect(bytes.buffer.byteLength).toBe(4); // not detached
      const floats = new Float64Array([0.5, -1, 1e300]);
      expect(await pool.run(floats, { name: "same" })).toEqual(floats);
    });

    it("an 8 MiB input and result cross whole (larger than a channel's buffer)", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      const bytes = new Uint8Array(8 << 20).fill(7);
      const out = await pool.run<Uint8Array>({ bytes, value: 3 }, { name: "fill" });
      expect(out.length).toBe(bytes.length);
      expect(out.every((b) => b === 3)).toBe(true);
      expect(bytes.every((b) => b === 7)).toBe(true);
    });

    it("an input no codec carries rejects that run and the pool stays usable", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      const error = await pool.run({ f() {} }, { name: "same" }).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).not.toBe("Error");
      expect(await pool.run(1)).toBe(2);
    });

    it("a result no codec carries rejects that task and the worker keeps serving", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1 });
      const error = await pool.run(0, { name: "unsendable" }).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(await pool.run(7)).toBe(14);
      expect(pool.stats.completed + pool.stats.failed).toBe(2);
    });
  });

  describe("bad input to a running pool", () => {
    it("a thrown value that is not an Error rejects with an Error whose message is that value, sync or async", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      for (const value of [42, null, undefined, "text"]) {
        for (const async of [false, true]) {
          const error = await pool.run({ value, async }, { name: "throwValue" }).catch((e) => e);
          expect(error, `${String(value)} async=${async}`).toBeInstanceOf(Error);
          expect(error.message).toBe(String(value));
        }
      }
      expect(await pool.run(0, { name: "nothing" })).toBeUndefined();
      expect(pool.stats.failed).toBe(8);
    });

    it("an export that is not a function is named as such, with the functions there are", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      const error = await pool.run(1, { name: "notATask" }).catch((e) => e);
      expect(error.message).toContain('no exported function "notATask"');
      expect(error.message).toContain("doubleLater");
    });

    it("map() of something not iterable throws InvalidArgumentError; the pool stays usable", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      for (const inputs of [null, undefined, 5, { length: 2 }]) {
        const error = await (async () => {
          for await (const _ of pool.map(inputs as never)) return undefined;
        })().catch((e) => e);
        expect(error, String(inputs)).toBeInstanceOf(InvalidArgumentError);
        expect(error.message).toContain("map inputs must be an iterable");
      }
      expect(await pool.run(3)).toBe(6);
    });
  });

  describe("piscina messages (tasks talk to the caller on a sabre channel)", () => {
    it("every message a task sends arrives, in order, before its result is awaited", async () => {
      const { events } = wires(runtime);
      await using pool = newPool({ filename: tasks, maxThreads: 2, workerData: { events } });
      const n = 100;
      expect(await pool.run(n, { name: "tell" })).toBe(n);
      for (let i = 0; i < n; i++) expect(events.tryRecv()).toEqual({ ok: true, value: i });
      expect(events.tryRecv()).toEqual({ ok: false, closed: false });
    });
  });

  describe("piscina abort-task", () => {
    it("an aborted signal rejects at once with its reason as the cause; nothing runs", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 1 });
      const reason = new Error("not needed");
      const error = await pool.run(1, { signal: AbortSignal.abort(reason) }).catch((e) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(error.cause).toBe(reason);
      expect(pool.stats.completed).toBe(0);
    });

    it("a task blocked in its worker is aborted: rejects at once; the worker is replaced and the pool serves on", async () => {
      const { events, gate } = wires(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, cancelGracePeriod: 0, workerData: { events, gate } });
      const ac = new AbortController();
      const blocked = pool.run("b", { name: "hold", signal: ac.signal });
      expect(await events.recvAsync()).toBe("started b");
      ac.abort("stop");
      const error = await blocked.catch((e) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(error.cause).toBe("stop");
      expect(await pool.run(5)).toBe(10);
      await until(() => pool.stats.replacedWorkers === 1);
    });

    it("aborting after the task finished changes nothing; the signal keeps no listener", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 2 });
      const ac = new AbortController();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(i, { signal: ac.signal })));
      expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
      expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
      ac.abort();
      expect(pool.stats.cancelled).toBe(0);
      expect(pool.stats.completed).toBe(20);
    });
  });

  describe("piscina task-queue", () => {
    it("tasks wait in the queue until a worker is free, then all run", async () => {
      const { events, gate } = wires(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, workerData: { events, gate } });
      const first = pool.run("first", { name: "hold" });
      expect(await events.recvAsync()).toBe("started first");
      const queued = Array.from({ length: 5 }, (_, i) => pool.run(i));
      expect(pool.queueSize).toBe(5);
      expect(pool.stats.queueSize).toBe(5);
      gate.send(1);
      expect(await first).toBe("first");
      expect(await Promise.all(queued)).toEqual([0, 2, 4, 6, 8]);
      expect(pool.queueSize).toBe(0);
    });

    it("maxQueue 0: with every worker busy, a new task is refused at once; a free worker takes one", async () => {
      const { events, gate } = wires(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, maxQueue: 0, prefetch: 0, workerData: { events, gate } });
      const busy = pool.run("busy", { name: "hold" });
      expect(await events.recvAsync()).toBe("started busy");
      const error = await pool.run(1).catch((e) => e);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error.code).toBe("ERR_SABRE_POOL_QUEUE_FULL");
      gate.send(1);
      expect(await busy).toBe("busy");
      expect(await pool.run(2)).toBe(4);
    });

    it('maxQueue 0 with queueFull "wait": each task waits for a free worker, and all run in order', async () => {
      await using pool = newPool({ filename: tasks, minThreads: 0, maxThreads: 1, maxQueue: 0, queueFull: "wait" });
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.run(i)));
      expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    });

    it('maxQueue "auto" is maxThreads squared: that many wait, the next is refused', async () => {
      const { events, gate } = wires(runtime);
      const pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, maxQueue: "auto", prefetch: 0, workerData: { events, gate } });
      try {
        const holders = [pool.run("a", { name: "hold" }), pool.run("b", { name: "hold" })];
        await events.recvAsync();
        await events.recvAsync();
        const waiting = Array.from({ length: 4 }, (_, i) => pool.run(i));
        await expect(pool.run(99)).rejects.toThrow(QueueFullError);
        gate.send(1);
        gate.send(1);
        expect(await Promise.all(holders)).toEqual(["a", "b"]);
        expect(await Promise.all(waiting)).toEqual([0, 2, 4, 6]);
      } finally {
        await pool.destroy();
      }
    });

    it("concurrentTasksPerWorker: tasks share one worker, all running at once", async () => {
      const { events, gate } = wires(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 3, workerData: { events, gate } });
      const running = ["x", "y", "z"].map((tag) => pool.run(tag, { name: "holdAsync" }));
      const started = new Set([await events.recvAsync(), await events.recvAsync(), await events.recvAsync()]);
      expect(started).toEqual(new Set(["started x", "started y", "started z"])); // all three began before any ended
      expect(pool.threads).toBe(1);
      for (let i = 0; i < 3; i++) gate.send(1);
      expect(await Promise.all(running)).toEqual(["x", "y", "z"]);
    });
  });

  describe("piscina thread-count and idle-timeout", () => {
    it("minThreads workers start with the pool; load never takes it above maxThreads", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 3, idleTimeout: Infinity });
      await until(() => pool.threads === 2);
      let most = 0;
      const all = Array.from({ length: 60 }, (_, i) => pool.run(i, { name: "doubleLater" }).finally(() => (most = Math.max(most, pool.threads))));
      expect(await Promise.all(all)).toEqual(Array.from({ length: 60 }, (_, i) => i * 2));
      expect(most).toBeLessThanOrEqual(3);
      expect(pool.threads).toBeGreaterThanOrEqual(2);
      expect(pool.stats.threads).toBe(pool.threads);
    });

    it("idle workers above minThreads retire after idleTimeout; minThreads stay; a retired pool still serves", async () => {
      const { events, gate } = wires(runtime);
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 2, idleTimeout: 20, prefetch: 0, workerData: { events, gate } });
      const two = [pool.run("p", { name: "hold" }), pool.run("q", { name: "hold" })];
      await events.recvAsync();
      await events.recvAsync();
      expect(pool.threads).toBe(2); // grew under load
      gate.send(1);
      gate.send(1);
      await Promise.all(two);
      await until(() => pool.threads === 1); // the extra one retired
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pool.threads).toBe(1); // minThreads is kept however long it idles
      expect(await pool.run(8)).toBe(16);
    });
  });

  describe("piscina histogram", () => {
    it("runTime and waitTime count every finished task, percentiles ordered; failures and cancellations counted apart", async () => {
      await using pool = newPool({ filename: tasks, maxThreads: 2 });
      await Promise.all(Array.from({ length: 30 }, (_, i) => pool.run(i)));
      await pool.run(0, { name: "nope" }).catch(() => {});
      await pool.run(0, { signal: AbortSignal.abort() }).catch(() => {});
      const s = pool.stats;
      expect(s.completed).toBe(30);
      expect(s.failed).toBe(1);
      for (const h of [s.runTime, s.waitTime]) {
        expect(h.count).toBeGreaterThanOrEqual(30);
        expect(h.p50).toBeGreaterThanOrEqual(0);
        expect(h.p50).toBeLessThanOrEqual(h.p90);
        expect(h.p90).toBeLessThanOrEqual(h.p99);
      }
      expect(s.utilization).toBeGreaterThanOrEqual(0);
      expect(s.utilization).toBeLessThanOrEqual(1);
    });
  });

  describe("piscina pool-close and pool-destroy", () => {
    it("close() waits for the running task, runs the queued ones, and can be called twice", async () => {
      const { events, gate } = wires(runtime);
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, workerData: { events, gate } });
      const running = pool.run("r", { name: "hold" });
      expect(await events.recvAsync()).toBe("started r");
      const queued = [pool.run(1), pool.run(2)];
      let closed = false;
      const closing = pool.close().then(() => (closed = true));
      const again = pool.close();
      await expect(pool.run(3)).rejects.toThrow(PoolClosedError);
      expect(closed).toBe(false);
      gate.send(1);
      expect(await running).toBe("r");
      expect(await Promise.all(queued)).toEqual([2, 4]);
      await Promise.all([closing, again]);
      expect(pool.threads).toBe(0);
    });

    it("close() of an idle or unused pool resolves", async () => {
      const unused = newPool({ filename: tasks, minThreads: 0, maxThreads: 1 });
      await unused.close();
      const idle = newPool({ filename: tasks, minThreads: 1, maxThreads: 1 });
      expect(await idle.run(1)).toBe(2);
      await idle.close();
      expect(idle.threads).toBe(0);
    });

    it("destroy() rejects running and queued tasks with PoolClosedError; later close/destroy resolve, run rejects", async () => {
      const { events, gate } = wires(runtime);
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, workerData: { events, gate } });
      const running = pool.run("r", { name: "hold" }).catch((e) => e); // destroy rejects them before we look
      expect(await events.recvAsync()).toBe("started r");
      const queued = pool.run(1).catch((e) => e);
      await pool.destroy();
      expect(await running).toBeInstanceOf(PoolClosedError);
      expect(await queued).toBeInstanceOf(PoolClosedError);
      await pool.destroy();
      await pool.close();
      await expect(pool.run(1)).rejects.toThrow(PoolClosedError);
      expect(pool.threads).toBe(0);
    });

    it("destroy() while close() waits settles both and every task", async () => {
      const { events, gate } = wires(runtime);
      const pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, prefetch: 0, workerData: { events, gate } });
      const running = pool.run("r", { name: "hold" }).catch((e) => e);
      expect(await events.recvAsync()).toBe("started r");
      const closing = pool.close();
      await pool.destroy();
      await closing;
      expect(await running).toBeInstanceOf(PoolClosedError);
    });
  });
});
