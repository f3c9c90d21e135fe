// pool.js — the main-thread side of the Pool browser tests (loaded by pool.html as a module from
// the prebuilt dist/browser/sabre.js). Each entry of `window.sabreTests` runs a sabre Pool
// (runtime "web", the default of 'sabre') on the tasks of pool-tasks.js and resolves to a plain
// result object that test/browser/pool.test.ts checks: many tasks with every result counted,
// map's order and backpressure, a streamed result, cancellation (queued, running cooperative,
// running stubborn: the worker is terminated and replaced), a crashed worker replaced with its
// queued tasks kept, close and destroy with work in flight. The page only waits asynchronously.
import * as sabre from "/dist/browser/sabre.js";

const { Pool, Region, Channel } = sabre;
const filename = new URL("./pool-tasks.js", import.meta.url);

const until = async (condition) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
};
const described = (e) => ({ name: e?.name, message: String(e?.message ?? e), cause: e?.cause ? { name: e.cause.name, message: String(e.cause.message) } : undefined });

window.sabreTests = {
  /** Many tasks: each result right, each promise settled once; stats count them. */
  async run({ n }) {
    const pool = new Pool({ filename, minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 2 });
    const settled = new Uint8Array(n);
    let wrong = 0;
    await Promise.all(Array.from({ length: n }, (_, i) => {
      const name = i % 10 === 0 ? "incAsync" : "inc";
      return pool.run(i, { name }).then((v) => {
        settled[i]++;
        if (v !== i + 1) wrong++;
      });
    }));
    const stats = pool.stats;
    await pool.close();
    return {
      runtime: pool.options.runtime, wrong, onceEach: settled.every((s) => s === 1),
      completed: stats.completed, failed: stats.failed, threadsAfterClose: pool.threads,
    };
  },

  /** map: input order, at most `concurrency` unfinished, input pulled as results are taken. */
  async map({ n, concurrency }) {
    const pool = new Pool({ filename, minThreads: 2, maxThreads: 2 });
    let pulled = 0;
    let maxAhead = 0;
    function* inputs() {
      for (let i = 0; i < n; i++) {
        pulled++;
        yield i;
      }
    }
    const out = [];
    for await (const r of pool.map(inputs(), { name: "inc", concurrency })) {
      out.push(r);
      maxAhead = Math.max(maxAhead, pulled - out.length);
    }
    const items = [];
    for await (const i of await pool.run(50, { name: "count" })) items.push(i);
    await pool.close();
    return { inOrder: out.every((v, i) => v === i + 1) && out.length === n, maxAhead, streamed: items };
  },

  /** Cancellation: a queued task removed, a cooperative running one stops (same worker), a
   *  stubborn one gets its worker terminated after the grace period and replaced. */
  async cancel() {
    const region = Region.create();
    const events = Channel.create(region, { capacity: 64 });
    const gate = Channel.create(region, { capacity: 1 });
    const pool = new Pool({ filename, minThreads: 1, maxThreads: 1, prefetch: 0, cancelGracePeriod: 50, workerData: { events, gate } });
    const result = {};
    const first = await pool.run(0, { name: "worker" });
    // queued
    const blocker = pool.run("blocker", { name: "gate" });
    await until(() => pool.stats.running === 1);
    const ac = new AbortController();
    const queued = pool.run("q", { name: "waitForAbort", signal: ac.signal });
    result.queueSizeBefore = pool.queueSize;
    ac.abort("changed my mind");
    result.queued = described(await queued.catch((e) => e));
    result.queueSizeAfter = pool.queueSize;
    await gate.sendAsync(1);
    result.blocker = await blocker;
    // running, cooperative
    const ac2 = new AbortController();
    const running = pool.run("r", { name: "waitForAbort", signal: ac2.signal });
    result.startedR = await events.recvAsync();
    ac2.abort();
    result.running = described(await running.catch((e) => e));
    result.abortedR = await events.recvAsync();
    result.sameWorker = (await pool.run(0, { name: "worker" })) === first;
    // running, stubborn
    const ac3 = new AbortController();
    const stubborn = pool.run("s", { name: "stubborn", signal: ac3.signal });
    result.startedS = await events.recvAsync();
    const after = pool.run(41, { name: "inc" });
    ac3.abort();
    result.stubborn = described(await stubborn.catch((e) => e));
    result.after = await after;
    result.replaced = pool.stats.replacedWorkers;
    result.newWorker = (await pool.run(0, { name: "worker" })) !== first;
    await pool.close();
    return result;
  },

  /** A worker that crashes: its running task rejects with the cause, queued ones run on the
   *  replacement. */
  async crash() {
    const pool = new Pool({ filename, minThreads: 1, maxThreads: 1, prefetch: 4 });
    const first = await pool.run(0, { name: "worker" });
    const crash = pool.run("boom from a web worker", { name: "crashLater" });
    const after = Array.from({ length: 10 }, (_, i) => pool.run(i, { name: "inc" }));
    const error = described(await crash.catch((e) => e));
    const results = await Promise.all(after);
    const result = {
      error, results, replaced: pool.stats.replacedWorkers, newWorker: (await pool.run(0, { name: "worker" })) !== first,
    };
    await pool.close();
    return result;
  },

  /** close() finishes queued work then refuses; destroy() rejects the unfinished. */
  async closeAndDestroy() {
    const pool = new Pool({ filename, minThreads: 2, maxThreads: 2 });
    const work = Array.from({ length: 20 }, (_, i) => pool.run({ ms: 1, id: i }, { name: "spin" }));
    const closed = pool.close();
    const refused = described(await pool.run(1, { name: "inc" }).catch((e) => e));
    const done = await Promise.all(work);
    await closed;
    const region = Region.create();
    const gate = Channel.create(region, { capacity: 1 });
    const pool2 = new Pool({ filename, minThreads: 2, maxThreads: 2, prefetch: 0, workerData: { gate } });
    await pool2.run(1, { name: "inc" });
    const gated = Array.from({ length: 10 }, (_, i) => pool2.run(i, { name: "gate" }));
    const settled = Promise.allSettled(gated);
    await until(() => pool2.stats.running === 2);
    await pool2.destroy();
    const outcomes = await settled;
    return {
      refused, done, threadsAfterClose: pool.threads,
      destroyed: outcomes.map((o) => (o.status === "rejected" ? o.reason.name : "fulfilled")), threadsAfterDestroy: pool2.threads,
    };
  },

  /** What the Node runtimes' options give in a browser. */
  options() {
    const errors = {};
    for (const [key, options] of Object.entries({
      thread: { filename, runtime: "thread" },
      env: { filename, env: {} },
    })) {
      try {
        new Pool(options);
        errors[key] = "no error";
      } catch (e) {
        errors[key] = described(e);
      }
    }
    return errors;
  },
};
window.sabreReady = true;
