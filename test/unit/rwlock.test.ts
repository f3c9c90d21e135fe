// rwlock.test.ts — RwLock through the public entry: shared reads, exclusive writes, writer
// preference, try/timeout, async and abort, owner checks, leaks, and real worker threads.
import { describe, expect, it } from "vitest";
import {
  RwLock, Region, Mutex, TimeoutError, AbortError, DeadlockError, NotOwnerError, ForeignHandleError,
} from "sabre";
import { startWorker } from "sabre/node";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const message = (w: { once(e: "message", f: (m: unknown) => void): unknown }) =>
  new Promise<unknown>((resolve) => w.once("message", resolve));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// a lost wake-up hangs a test: fail it in 20 s rather than the default 60 s
/** Lets a worker started with this `gate` release what it holds. */
function openGate(gate: Int32Array): void {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}

describe("RwLock", { timeout: 20_000 }, () => {
  it("many readers or one writer; guards release once", () => {
    const lock = RwLock.create(Region.create());
    const r1 = lock.read();
    const r2 = lock.tryRead()!;
    expect(lock.readers).toBe(2);
    expect(lock.tryWrite()).toBeUndefined();
    r1.unlock();
    r1.unlock();
    expect(lock.readers).toBe(1);
    r2.unlock();
    {
      using _w = lock.write();
      expect(lock.writeLocked).toBe(true);
      expect(() => lock.tryRead()).toThrow(DeadlockError);
    }
    expect(lock.writeLocked).toBe(false);
    expect(lock.readers).toBe(0);
  });

  it("the write holder asking again gets DeadlockError; unlock by a non-holder NotOwnerError", () => {
    const lock = RwLock.create(Region.create());
    const w = lock.write();
    expect(() => lock.write()).toThrow(DeadlockError);
    expect(() => lock.read()).toThrow(DeadlockError);
    expect(() => lock.tryWrite()).toThrow(DeadlockError);
    expect(() => lock.tryRead()).toThrow(DeadlockError);
    w.unlock();
    expect(() => lock.writeUnlock()).toThrow(NotOwnerError);
    expect(() => lock.readUnlock()).toThrow(NotOwnerError);
    expect(lock.writeLocked).toBe(false);
  });

  it("times out with TimeoutError while a worker holds the write lock, then is granted", async () => {
    const lock = RwLock.create(Region.create());
    const gate = new Int32Array(new SharedArrayBuffer(4)); // the worker holds until it opens
    const { worker, exited } = startWorker(fixture("lock-worker.mjs"), {
      data: { rwlock: lock.handle, mode: "write", holdMs: 0, useAsync: false, gate },
    });
    expect(await message(worker)).toBe("locked");
    expect(lock.tryRead()).toBeUndefined();
    expect(lock.tryWrite()).toBeUndefined();
    expect(() => lock.read({ timeout: 20 })).toThrow(TimeoutError);
    expect(() => lock.write({ timeout: 0 })).toThrow(TimeoutError);
    await expect(lock.readAsync({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    await expect(lock.writeAsync({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    expect(lock.waiters).toBe(0); // every timed-out waiter deregistered
    const pending = lock.readAsync({ timeout: 10_000 }); // granted at the worker's unlock
    openGate(gate);
    const r = await pending;
    expect(lock.readers).toBe(1);
    r.unlock();
    await exited;
  });

  it("writer preference: a waiting writer holds back new readers; its timeout lets them in", async () => {
    const lock = RwLock.create(Region.create());
    const r = lock.read();
    const { worker, exited } = startWorker(fixture("lock-worker.mjs"), {
      data: { rwlock: lock.handle, mode: "write", holdMs: 0, useAsync: true },
    });
    for (let g = lock.tryRead(); g; g = lock.tryRead()) {
      g.unlock();
      await sleep(5); // until tryRead fails: the writer has registered
    }
    expect(lock.tryRead()).toBeUndefined();
    r.unlock(); // the last reader leaves: the waiting writer gets the lock
    expect(await message(worker)).toBe("locked");
    await exited;
    expect(lock.writeLocked).toBe(false);

    // a writer that gives up no longer holds readers back
    const r2 = lock.read();
    await expect(lock.writeAsync({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    const r3 = lock.tryRead();
    expect(r3).toBeDefined();
    r3!.unlock();
    r2.unlock();
  });

  it("an aborted readAsync/writeAsync rejects with AbortError and leaves the lock usable", async () => {
    const lock = RwLock.create(Region.create());
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const holder = startWorker(fixture("lock-worker.mjs"), { data: { rwlock: lock.handle, mode: "write", holdMs: 0, useAsync: false, gate } });
    await message(holder.worker);
    const ac = new AbortController();
    const pr = lock.readAsync({ signal: ac.signal });
    const pw = lock.writeAsync({ signal: ac.signal });
    await sleep(5);
    ac.abort(new Error("stop"));
    await expect(pr).rejects.toBeInstanceOf(AbortError);
    await expect(pw).rejects.toBeInstanceOf(AbortError);
    expect(lock.waiters).toBe(0);
    openGate(gate);
    await holder.exited;
    lock.read().unlock();
    lock.write().unlock();
    const aborted = new AbortController();
    aborted.abort();
    expect(() => lock.write({ signal: aborted.signal })).toThrow(AbortError);
    await expect(lock.readAsync({ signal: aborted.signal })).rejects.toBeInstanceOf(AbortError);
    expect(lock.readers).toBe(0);
  });

  it("async readers on one thread are woken together by the write unlock", async () => {
    const lock = RwLock.create(Region.create());
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const holder = startWorker(fixture("lock-worker.mjs"), { data: { rwlock: lock.handle, mode: "write", holdMs: 0, useAsync: false, gate } });
    await message(holder.worker);
    const readers = [lock.readAsync({ timeout: 10_000 }), lock.readAsync({ timeout: 10_000 })];
    await sleep(5);
    openGate(gate);
    const guards = await Promise.all(readers);
    expect(lock.readers).toBe(2);
    for (const g of guards) g.unlock();
    await holder.exited;
  });

  it("from() attaches; wrong kinds and freed locks throw; free returns the block", () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    const lock = RwLock.create(region);
    RwLock.from(lock.handle).read().unlock();
    expect(() => RwLock.from(Mutex.create(region).handle as never)).toThrow(ForeignHandleError);
    lock.free();
    expect(region.usedBlocks).toBe(blocks + 1);
    expect(() => RwLock.from(lock.handle)).toThrow(ForeignHandleError);
    expect(() => RwLock.from({ ...lock.handle, offset: 12 })).toThrow(ForeignHandleError);
  });

  it("blocking readers in workers share the lock; a blocked writer worker waits for them", async () => {
    const lock = RwLock.create(Region.create());
    // readers hold until the gate opens: no assertion here depends on the machine's speed
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const readers = [false, true].map((useAsync) =>
      startWorker(fixture("lock-worker.mjs"), { data: { rwlock: lock.handle, mode: "read", holdMs: 0, useAsync, gate } }),
    );
    await Promise.all(readers.map((w) => message(w.worker)));
    expect(lock.readers).toBe(2); // both hold it at once
    const writer = startWorker(fixture("lock-worker.mjs"), { data: { rwlock: lock.handle, mode: "write", holdMs: 0, useAsync: false } });
    let writerLocked = false;
    const writerMessage = message(writer.worker).then((m) => {
      writerLocked = true;
      return m;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(writerLocked).toBe(false); // the writer waits while the readers hold the lock
    openGate(gate);
    expect(await writerMessage).toBe("locked");
    await Promise.all([...readers, writer].map((w) => w.exited));
    expect(lock.readers).toBe(0);
    expect(lock.writeLocked).toBe(false);
  });
});
