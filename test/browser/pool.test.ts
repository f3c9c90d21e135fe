// pool.test.ts — the Pool of 'sabre' (runtime "web") with real Web Workers in headless
// Chromium (scripts/serve.mjs with the isolation headers, scripts/chromium.mjs through
// playwright-core): a representative subset of the Node pool suite (test/unit/pool*.test.ts)
// run by the page pages/pool.js on the tasks of pages/pool-tasks.js — many tasks each settled
// once, map's order and backpressure, a streamed result, cancellation at each stage, a crashed
// worker replaced without losing queued tasks, close and destroy with work in flight, and the
// Node-only runtimes and options refused with what to do.
import { describe, expect, it } from "vitest";
import { usePage } from "./browser-page";

const { run, expectError } = usePage("/test/browser/pages/pool.html");

describe("in Chromium, Pool from 'sabre' (runtime web: Web Workers)", () => {
  it("runs many tasks: every result right, every promise settled once; close ends the workers", async () => {
    const r = await run<any>("run", { n: 5000 });
    expect(r).toEqual({ runtime: "web", wrong: 0, onceEach: true, completed: 5000, failed: 0, threadsAfterClose: 0 });
  });

  it("map yields in input order, pulling input only as results are taken; a generator streams back", async () => {
    const r = await run<any>("map", { n: 200, concurrency: 4 });
    expect(r.inOrder).toBe(true);
    expect(r.maxAhead).toBeLessThanOrEqual(4);
    expect(r.streamed).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("cancellation: queued removed, running signalled, a stubborn worker terminated and replaced", async () => {
    const r = await run<any>("cancel");
    expect(r.queueSizeBefore).toBe(1);
    expect(r.queued.name).toBe("AbortError");
    expect(r.queueSizeAfter).toBe(0);
    expect(r.blocker).toBe("blocker");
    expect([r.startedR, r.abortedR]).toEqual(["started r", "aborted r"]);
    expect(r.running.name).toBe("AbortError");
    expect(r.sameWorker).toBe(true);
    expect(r.startedS).toBe("started s");
    expect(r.stubborn.name).toBe("AbortError");
    expect(r.after).toBe(42); // queued behind the stubborn task: run by the replacement
    expect(r.replaced).toBe(1);
    expect(r.newWorker).toBe(true);
  });

  it("a worker that crashes rejects its running task with the cause and is replaced; queued tasks run", async () => {
    expectError(/boom from a web worker/);
    const r = await run<any>("crash").finally(() => expectError());
    expect(r.error.name).toBe("TaskWorkerError");
    expect(r.error.message).toMatch(/^pool worker \d+ died while running task \d+ \("crashLater"\): /);
    expect(r.error.cause.name).toBe("WorkerCrashError");
    expect(r.error.cause.message).toContain("boom from a web worker");
    expect(r.results).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(r.replaced).toBe(1);
    expect(r.newWorker).toBe(true);
  });

  it("close() finishes queued work and refuses new; destroy() rejects what is unfinished", async () => {
    const r = await run<any>("closeAndDestroy");
    expect(r.refused.name).toBe("PoolClosedError");
    expect(r.done).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(r.threadsAfterClose).toBe(0);
    expect(r.destroyed).toEqual(Array.from({ length: 10 }, () => "PoolClosedError"));
    expect(r.threadsAfterDestroy).toBe(0);
  });

  it("refuses the Node runtimes and Node-only options, saying what to use", async () => {
    const r = await run<any>("options");
    expect(r.thread.name).toBe("InvalidArgumentError");
    expect(r.thread.message).toBe(`Pool: runtime "thread" is not available here (it needs Node worker threads: import Pool from 'sabre/node' in Node); here use "web"`);
    expect(r.env.message).toBe('Pool: env applies to the Node runtimes ("thread", "process"), not to runtime "web"; remove it');
  });
});
