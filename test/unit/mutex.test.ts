// mutex.test.ts — what is particular to Mutex, through the public entry: lock state, guards,
// try and timeouts against a lock held in a worker, owner checks, handles. The shared
// conformance skeleton (conformance.test.ts) covers the rest once for every primitive:
// timeout and abort in every form with nothing changed, wakes, mutual exclusion of real
// workers with mixed forms (mpmc), async takers of one thread, leaks.
import { describe, expect, it } from "vitest";
import {
  Mutex, Region, DeadlockError, NotOwnerError, TimeoutError, ForeignHandleError,
} from "sabre";
import { startWorker } from "sabre/node";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

/** Lets a hold-lock worker started with this `gate` release the lock. */
function openGate(gate: Int32Array): void {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}

describe("Mutex", () => {
  it("locks, unlocks and reports its state", () => {
    const region = Region.create();
    const m = Mutex.create(region);
    expect(m.locked).toBe(false);
    const g = m.lock();
    expect(m.locked).toBe(true);
    g.unlock();
    expect(m.locked).toBe(false);
    g.unlock(); // a guard releases once only
    expect(m.locked).toBe(false);
  });

  it("using guard releases on scope exit", () => {
    const m = Mutex.create(Region.create());
    {
      using _g = m.lock();
      expect(m.locked).toBe(true);
    }
    expect(m.locked).toBe(false);
  });

  it("tryLock returns undefined while held and never throws for would-block", async () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const gate = new Int32Array(new SharedArrayBuffer(4)); // the worker holds until it opens
    const { worker, exited } = startWorker(fixture("lock-worker.mjs"), { data: { mutex: m.handle, gate } });
    await new Promise((r) => worker.once("message", r)); // worker holds the lock now
    expect(m.tryLock()).toBeUndefined();
    expect(() => m.lock({ timeout: 20 })).toThrow(TimeoutError);
    await expect(m.lockAsync({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    const pending = m.lockAsync({ timeout: 10_000 }); // granted when the worker releases
    openGate(gate);
    const g = await pending;
    expect(m.locked).toBe(true);
    g.unlock();
    await exited;
  });

  it("relocking by the holder throws DeadlockError; unlock by a non-holder throws NotOwnerError", async () => {
    const m = Mutex.create(Region.create());
    const g = m.lock();
    expect(() => m.lock()).toThrow(DeadlockError);
    expect(() => m.tryLock()).toThrow(DeadlockError);
    g.unlock();
    expect(() => m.unlock()).toThrow(NotOwnerError);
    expect(m.locked).toBe(false);
  });

  it("from() rejects handles of another kind or a freed mutex", () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const again = Mutex.from(m.handle);
    again.lock().unlock();
    m.free();
    expect(() => Mutex.from(m.handle)).toThrow(ForeignHandleError);
    expect(() => Mutex.from({ __sabre: "semaphore" } as never)).toThrow(ForeignHandleError);
    expect(() => Mutex.from({ ...m.handle, offset: m.handle.offset + 4 })).toThrow(ForeignHandleError);
  });

  it("rejects a bad timeout", () => {
    const m = Mutex.create(Region.create());
    expect(() => m.lock({ timeout: -1 })).toThrow(/timeout/);
    expect(() => m.lock({ timeout: Number.NaN })).toThrow(/timeout/);
  });
});
