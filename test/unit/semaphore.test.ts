// semaphore.test.ts — Semaphore through the public entry: permits, n > 1, try/timeout, async
// and abort, bad input, leaks, and wake-ups across real worker threads.
import { describe, expect, it } from "vitest";
import {
  Semaphore, Region, Mutex, TimeoutError, AbortError, InvalidArgumentError, SemaphoreOverflowError,
  ForeignHandleError,
} from "sabre";
import { startWorker } from "sabre/node";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const message = (w: { once(e: "message", f: (m: unknown) => void): unknown }) =>
  new Promise<unknown>((resolve) => w.once("message", resolve));

// a lost wake-up hangs a test: fail it in 20 s rather than the default 60 s
describe("Semaphore", { timeout: 20_000 }, () => {
  it("counts permits: acquire, tryAcquire, release, n > 1", () => {
    const sem = Semaphore.create(Region.create(), { initial: 2, max: 3 });
    expect(sem.count).toBe(2);
    expect(sem.max).toBe(3);
    sem.acquire();
    expect(sem.count).toBe(1);
    expect(sem.tryAcquire(2)).toBe(false);
    expect(sem.count).toBe(1);
    sem.release(2);
    expect(sem.count).toBe(3);
    expect(sem.tryAcquire(3)).toBe(true);
    expect(sem.count).toBe(0);
    expect(sem.tryAcquire()).toBe(false);
    sem.release(3);
    expect(sem.count).toBe(3);
  });

  it("defaults: max 1 and initial = max", () => {
    const region = Region.create();
    expect(Semaphore.create(region).count).toBe(1);
    expect(Semaphore.create(region).max).toBe(1);
    const s = Semaphore.create(region, { max: 4 });
    expect(s.count).toBe(4);
    const t = Semaphore.create(region, { initial: 5 });
    expect([t.count, t.max]).toEqual([5, 5]);
  });

  it("release past max throws SemaphoreOverflowError and changes nothing", () => {
    const sem = Semaphore.create(Region.create(), { initial: 1, max: 2 });
    expect(() => sem.release(2)).toThrow(SemaphoreOverflowError);
    expect(sem.count).toBe(1);
    sem.release(1);
    expect(() => sem.release()).toThrow(SemaphoreOverflowError);
    expect(sem.count).toBe(2);
  });

  it("hold() gives a using guard that releases once", () => {
    const sem = Semaphore.create(Region.create(), { initial: 2, max: 2 });
    {
      using _p = sem.hold(2);
      expect(sem.count).toBe(0);
      expect(sem.tryHold()).toBeUndefined();
    }
    expect(sem.count).toBe(2);
    const p = sem.hold();
    p.release();
    p.release();
    expect(sem.count).toBe(2);
  });

  it("acquire times out with TimeoutError and takes nothing; timeout 0 tries once", async () => {
    const sem = Semaphore.create(Region.create(), { initial: 0, max: 2 });
    expect(() => sem.acquire(1, { timeout: 20 })).toThrow(TimeoutError);
    expect(() => sem.acquire(1, { timeout: 0 })).toThrow(TimeoutError);
    await expect(sem.acquireAsync(1, { timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    await expect(sem.acquireAsync(2, { timeout: 0 })).rejects.toBeInstanceOf(TimeoutError);
    expect(() => sem.acquire({ timeout: 5 })).toThrow(TimeoutError); // options alone: n = 1
    await expect(sem.holdAsync({ timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    expect(sem.waiters).toBe(0); // every timed-out waiter deregistered
    sem.release();
    expect(sem.count).toBe(1);
    expect(sem.tryAcquire()).toBe(true);
    sem.release();
    const permit = await sem.holdAsync({ timeout: 1000 });
    expect([permit.permits, sem.count]).toEqual([1, 0]);
    permit.release();
    expect(sem.count).toBe(1);
  });

  it("acquireAsync is granted by a later release on the same thread, n > 1 and n = 1 mixed", async () => {
    const sem = Semaphore.create(Region.create(), { initial: 0, max: 3 });
    const order: string[] = [];
    const big = sem.acquireAsync(2, { timeout: 10_000 }).then(() => order.push("two"));
    const small = sem.acquireAsync(1, { timeout: 10_000 }).then(() => order.push("one"));
    await new Promise((r) => setTimeout(r, 10));
    sem.release(1); // satisfies only the 1-permit waiter: it must not lose this wake-up to the 2-waiter
    await small;
    expect(order).toEqual(["one"]);
    sem.release(2);
    await big;
    expect(order).toEqual(["one", "two"]);
    expect(sem.count).toBe(0);
  });

  it("an aborted acquireAsync rejects with AbortError and takes nothing", async () => {
    const sem = Semaphore.create(Region.create(), { initial: 0, max: 1 });
    const ac = new AbortController();
    const p = sem.acquireAsync(1, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop")), 10);
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(sem.waiters).toBe(0);
    sem.release();
    expect(sem.count).toBe(1);
    const aborted = new AbortController();
    aborted.abort();
    expect(() => sem.acquire(1, { signal: aborted.signal })).toThrow(AbortError);
    await expect(sem.acquireAsync(1, { signal: aborted.signal })).rejects.toBeInstanceOf(AbortError);
    expect(sem.count).toBe(1);
  });

  it("bad input throws InvalidArgumentError and allocates or changes nothing", () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    expect(() => Semaphore.create(region, { max: 0 })).toThrow(InvalidArgumentError);
    expect(() => Semaphore.create(region, { initial: -1, max: 2 })).toThrow(InvalidArgumentError);
    expect(() => Semaphore.create(region, { initial: 3, max: 2 })).toThrow(InvalidArgumentError);
    expect(() => Semaphore.create(region, { initial: 1.5, max: 2 })).toThrow(InvalidArgumentError);
    expect(() => Semaphore.create(region, { max: 2 ** 31 })).toThrow(InvalidArgumentError);
    expect(region.usedBlocks).toBe(blocks);
    const sem = Semaphore.create(region, { initial: 1, max: 2 });
    expect(() => sem.acquire(0)).toThrow(InvalidArgumentError);
    expect(() => sem.acquire(3)).toThrow(InvalidArgumentError); // more than max: could never succeed
    expect(() => sem.tryAcquire(-1)).toThrow(InvalidArgumentError);
    expect(() => sem.release(0)).toThrow(InvalidArgumentError);
    expect(() => sem.release(1.5)).toThrow(InvalidArgumentError);
    expect(() => sem.acquire(1, { timeout: -5 })).toThrow(/timeout/);
    expect(sem.count).toBe(1);
  });

  it("from() attaches; handles of another kind or a freed semaphore throw; free returns the block", () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    const sem = Semaphore.create(region, { initial: 1, max: 1 });
    const again = Semaphore.from(sem.handle);
    expect(again.tryAcquire()).toBe(true);
    expect(sem.count).toBe(0);
    expect(() => Semaphore.from(Mutex.create(region).handle as never)).toThrow(ForeignHandleError);
    sem.free();
    expect(region.usedBlocks).toBe(blocks + 1); // the mutex above remains
    expect(() => Semaphore.from(sem.handle)).toThrow(ForeignHandleError);
    expect(() => sem.free()).toThrow(ForeignHandleError);
  });

  it("wakes a blocked worker thread and an async one", async () => {
    for (const useAsync of [false, true]) {
      const sem = Semaphore.create(Region.create(), { initial: 0, max: 2 });
      const { worker, exited } = startWorker(fixture("sem-worker.mjs"), { data: { sem: sem.handle, n: 2, useAsync } });
      expect(await message(worker)).toBe("waiting");
      await new Promise((r) => setTimeout(r, 30)); // let it park
      sem.release(1);
      sem.release(1);
      expect(await message(worker)).toBe("acquired");
      await exited;
      expect(sem.count).toBe(0);
    }
  });

  it("two back-to-back releases wake two parked workers (no wake-up lost on 1 -> 2)", async () => {
    const sem = Semaphore.create(Region.create(), { initial: 0, max: 2 });
    const workers = [false, true].map((useAsync) =>
      startWorker(fixture("sem-worker.mjs"), { data: { sem: sem.handle, n: 1, useAsync } }),
    );
    await Promise.all(workers.map((w) => message(w.worker)));
    await new Promise((r) => setTimeout(r, 30));
    sem.release(1);
    sem.release(1);
    await Promise.all(workers.map((w) => w.exited));
    expect(sem.count).toBe(0);
  });
});

describe("bad input: Semaphore.create", () => {
  const region = Region.create({ size: 4096 });
  it("refuses an unknown option key, naming it and the known ones", () => {
    expect(() => Semaphore.create(region, { permits: 3 } as never)).toThrow(InvalidArgumentError);
    expect(() => Semaphore.create(region, { permits: 3 } as never)).toThrow(/unknown option "permits"; known options: initial, max/);
  });
  it("says the type of a bad value", () => {
    expect(() => Semaphore.create(region, { max: "3" as never })).toThrow(/got string "3"/);
  });
  it("refuses a region argument that is not a Region", () => {
    expect(() => Semaphore.create(null as never)).toThrow(InvalidArgumentError);
    expect(() => Semaphore.create(undefined as never)).toThrow(/Semaphore\.create expects a Region/);
  });
});

describe("bad input: Semaphore.from with a forged offset", () => {
  it("refuses an offset of 2^32 + offset (it would alias the semaphore)", () => {
    const region = Region.create({ size: 4096 });
    const sem = Semaphore.create(region, { max: 2 });
    expect(() => Semaphore.from({ ...sem.handle, offset: sem.handle.offset + 2 ** 32 })).toThrow(ForeignHandleError);
    expect(() => Semaphore.from({ ...sem.handle, offset: sem.handle.offset - 2 ** 32 })).toThrow(/offset must be an integer from 0 to 2\^31 - 1/);
  });
});
