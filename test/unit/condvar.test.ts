// condvar.test.ts — CondVar through the public entry: signal/broadcast, waits that relock,
// timeouts, async and abort, owner and region checks, leaks, and wake-ups across workers.
import { describe, expect, it } from "vitest";
import {
  CondVar, Mutex, Region, TimeoutError, AbortError, NotOwnerError, ForeignHandleError, InvalidArgumentError,
} from "sabre";
import { startWorker } from "sabre/node";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const message = (w: { once(e: "message", f: (m: unknown) => void): unknown }) =>
  new Promise<unknown>((resolve) => w.once("message", resolve));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// a lost wake-up hangs a test: fail it in 20 s rather than the default 60 s
describe("CondVar", { timeout: 20_000 }, () => {
  it("signal and broadcast without waiters are no-ops; waiters is 0", () => {
    const cv = CondVar.create(Region.create());
    cv.signal();
    cv.broadcast();
    expect(cv.waiters).toBe(0);
  });

  it("wait times out with TimeoutError and holds the mutex again", () => {
    const region = Region.create();
    const cv = CondVar.create(region);
    const m = Mutex.create(region);
    using _g = m.lock();
    expect(() => cv.wait(m, { timeout: 20 })).toThrow(TimeoutError);
    expect(m.locked).toBe(true);
    expect(() => cv.wait(m, { timeout: 0 })).toThrow(TimeoutError);
    expect(m.locked).toBe(true);
    expect(cv.waiters).toBe(0);
    expect(() => cv.waitUntil(m, () => false, { timeout: 20 })).toThrow(TimeoutError);
    expect(m.locked).toBe(true);
    cv.waitUntil(m, () => true); // already true: returns at once
  });

  it("wait without holding the mutex throws NotOwnerError and changes nothing", async () => {
    const region = Region.create();
    const cv = CondVar.create(region);
    const m = Mutex.create(region);
    expect(() => cv.wait(m, { timeout: 10 })).toThrow(NotOwnerError);
    await expect(cv.waitAsync(m, { timeout: 10 })).rejects.toBeInstanceOf(NotOwnerError);
    expect(m.locked).toBe(false);
    expect(cv.waiters).toBe(0);
  });

  it("a mutex of another region throws ForeignHandleError; a non-mutex InvalidArgumentError", () => {
    const cv = CondVar.create(Region.create());
    const other = Mutex.create(Region.create());
    using _g = other.lock();
    expect(() => cv.wait(other, { timeout: 10 })).toThrow(ForeignHandleError);
    expect(() => cv.wait(undefined as never)).toThrow(InvalidArgumentError);
    expect(other.locked).toBe(true);
  });

  it("waitAsync is woken by a signal on the same thread and relocks", async () => {
    const region = Region.create();
    const cv = CondVar.create(region);
    const m = Mutex.create(region);
    let ready = false;
    const g = m.lock();
    const p = cv.waitUntilAsync(m, () => ready, { timeout: 10_000 });
    await sleep(5);
    expect(m.locked).toBe(false); // released while waiting
    {
      using _h = m.lock();
      ready = true;
      cv.signal();
    }
    await p;
    expect(m.locked).toBe(true);
    g.unlock();
    expect(cv.waiters).toBe(0);
  });

  it("an aborted waitAsync rejects with AbortError, holding the mutex again", async () => {
    const region = Region.create();
    const cv = CondVar.create(region);
    const m = Mutex.create(region);
    const g = await m.lockAsync();
    const ac = new AbortController();
    const p = cv.waitAsync(m, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop")), 10);
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(m.locked).toBe(true);
    expect(cv.waiters).toBe(0);
    await expect(cv.waitAsync(m, { timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    expect(m.locked).toBe(true);
    g.unlock();
    const aborted = new AbortController();
    aborted.abort();
    expect(() => cv.wait(m, { signal: aborted.signal })).toThrow(AbortError);
  });

  it("from() attaches; wrong kinds and freed condvars throw; free returns the block", () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    const cv = CondVar.create(region);
    expect(region.usedBlocks).toBe(blocks + 1);
    CondVar.from(cv.handle).signal();
    expect(() => CondVar.from(Mutex.create(region).handle as never)).toThrow(ForeignHandleError);
    cv.free();
    expect(region.usedBlocks).toBe(blocks + 1); // the mutex above remains
    expect(() => CondVar.from(cv.handle)).toThrow(ForeignHandleError);
  });

  it("signal wakes a blocked worker and an async one; broadcast wakes several", async () => {
    const region = Region.create();
    const cv = CondVar.create(region);
    const m = Mutex.create(region);
    const flag = region.alloc(4);
    const word = new Int32Array(region.memory.buffer, flag, 1);
    const workers = [false, true, false].map((useAsync) =>
      startWorker(fixture("cv-worker.mjs"), { data: { cv: cv.handle, mutex: m.handle, region: region.handle, flag, useAsync } }),
    );
    await Promise.all(workers.map((w) => message(w.worker)));
    while (cv.waiters < 3) await sleep(5); // all three registered (hence parked or about to)
    const done = workers.map((w) => message(w.worker));
    {
      using _g = await m.lockAsync();
      word[0] = 1;
      cv.broadcast();
    }
    await Promise.all(done);
    await Promise.all(workers.map((w) => w.exited));
    expect(cv.waiters).toBe(0);

    word[0] = 0;
    const one = startWorker(fixture("cv-worker.mjs"), { data: { cv: cv.handle, mutex: m.handle, region: region.handle, flag, useAsync: true } });
    await message(one.worker);
    while (cv.waiters < 1) await sleep(5);
    {
      using _g = await m.lockAsync();
      word[0] = 1;
      cv.signal();
    }
    await one.exited;
  });
});
