// go-sync.test.ts — the behaviours of Go's sync tests (sync/mutex_test.go, rwmutex_test.go,
// cond_test.go, waitgroup_test.go; x/sync/semaphore) that the conformance skeleton
// (conformance.test.ts: mutual exclusion, wakes, timeouts, leaks) does not already check, on
// sabre's Mutex, RwLock, CondVar, Barrier and Semaphore with real worker threads
// (test/fixtures/go-sync-worker.mjs): a lock hog cannot starve another taker, readers hold an
// RwLock together, readers and writers exclude each other under a hammer, a broadcast wakes
// every waiter round after round, no signal is lost, a reused barrier lets nobody through early,
// weighted acquisitions never exceed the permits. Nothing asserts on time: a starved or lost
// waiter ends in a 30 s TimeoutError, reported as a failure.
import { describe, expect, it } from "vitest";
import { Barrier, CondVar, Mutex, Region, RwLock, Semaphore } from "sabre";
import { startWorker } from "sabre/node";
import { stressLevel } from "../fixtures/stress-level";

const fixture = new URL("../fixtures/go-sync-worker.mjs", import.meta.url);

type Outcome = { value?: number; error?: string };

/** Starts the worker role `role` with `data` and shared `words`; resolves with what it posts. */
function role(role: string, words: Int32Array, data: Record<string, unknown>): Promise<Outcome> {
  const { worker, exited } = startWorker(fixture, { data: { role, words, ...data } });
  const posted = new Promise<Outcome>((resolve) => worker.once("message", resolve));
  return Promise.all([posted, exited]).then(([outcome]) => outcome);
}

const sharedWords = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("Go sync: Mutex", () => {
  it("fairness: a worker locking in a tight loop does not starve another taker (TestMutexFairness)", async () => {
    const m = Mutex.create(Region.create());
    const words = sharedWords(2);
    const hog = role("mutexHog", words, { mutex: m.handle });
    await until(() => Atomics.load(words, 1) > 0); // the hog is looping
    const times = stressLevel(20);
    const victim = await role("mutexVictim", words, { mutex: m.handle, times });
    Atomics.store(words, 0, 1); // stop the hog
    const hogged = await hog;
    expect(victim).toEqual({ value: times });
    expect(hogged.error).toBeUndefined();
    expect(m.locked).toBe(false);
  });

  it("fairness: the hog's own thread cannot starve an async taker of the main thread", async () => {
    const m = Mutex.create(Region.create());
    const words = sharedWords(2);
    const hog = role("mutexHog", words, { mutex: m.handle });
    await until(() => Atomics.load(words, 1) > 0); // the hog is looping
    for (let i = 0; i < stressLevel(10); i++) (await m.lockAsync({ timeout: 30_000 })).unlock();
    Atomics.store(words, 0, 1);
    expect((await hog).error).toBeUndefined();
  });
});

describe("Go sync: RwLock", () => {
  it("parallel readers: every reader worker holds the read lock at the same time (TestParallelReaders)", async () => {
    const lock = RwLock.create(Region.create());
    const readers = 3;
    const words = sharedWords(1);
    const outcomes = await Promise.all(Array.from({ length: readers }, () => role("parallelReader", words, { rwlock: lock.handle, readers })));
    expect(outcomes).toEqual(Array(readers).fill({ value: readers }));
    expect(lock.readers).toBe(0);
    expect(lock.writeLocked).toBe(false);
  });

  it("a writer is not starved by readers that keep the lock read-held between them", async () => {
    const lock = RwLock.create(Region.create());
    const words = sharedWords(2);
    const hogs = [role("readHog", words, { rwlock: lock.handle }), role("readHog", words, { rwlock: lock.handle })];
    await until(() => Atomics.load(words, 1) > 0);
    const times = stressLevel(20);
    const writer = await role("writer", words, { rwlock: lock.handle, times });
    Atomics.store(words, 0, 1);
    expect(await Promise.all(hogs)).toEqual([{ value: 0 }, { value: 0 }]);
    expect(writer).toEqual({ value: times });
  });

  it("hammer: readers and writers in workers never overlap a writer (HammerRWMutex)", async () => {
    const lock = RwLock.create(Region.create());
    const words = sharedWords(2);
    const iterations = stressLevel(2000);
    const outcomes = await Promise.all([1, 2, 3].map((seed) => role("rwHammer", words, { rwlock: lock.handle, seed, iterations })));
    expect(outcomes).toEqual(Array(3).fill({ value: iterations }));
    expect(Atomics.load(words, 1)).toBe(0); // no reader saw a writer, no writer saw anyone
    expect(Atomics.load(words, 0)).toBe(0);
  });
});

describe("Go sync: CondVar", () => {
  it("broadcast wakes every waiting worker, round after round (TestCondBroadcast)", async () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const cv = CondVar.create(region);
    const n = 3;
    const rounds = stressLevel(20);
    const words = sharedWords(2); // [0] the round, [1] arrivals
    const done = Promise.all(Array.from({ length: n }, () => role("condRounds", words, { mutex: m.handle, condvar: cv.handle, rounds })));
    for (let round = 0; round < rounds; round++) {
      await until(() => Atomics.load(words, 1) === n * (round + 1)); // all counted themselves in
      const g = await m.lockAsync({ timeout: 30_000 }); // each released m inside wait: all are waiting
      Atomics.store(words, 0, round + 1);
      cv.broadcast();
      g.unlock();
    }
    expect(await done).toEqual(Array(n).fill({ value: rounds }));
  });

  it("a signal goes to a waiter that was waiting, not to one that arrived after it (TestCondSignalStealing)", async () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const cv = CondVar.create(region);
    const rounds = stressLevel(20);
    const words = sharedWords(3); // [0] the round the worker may begin, [1] rounds it began, [2] its wake-ups
    const waiter = role("condOnce", words, { mutex: m.handle, condvar: cv.handle, rounds });
    for (let round = 0; round < rounds; round++) {
      await until(() => Atomics.load(words, 1) === round + 1);
      const g = await m.lockAsync({ timeout: 30_000 }); // the worker released m inside wait
      cv.signal();
      const late = cv.waitAsync(m, { timeout: 30_000 }); // arrives after the signal: must not take it
      await until(() => Atomics.load(words, 2) === round + 1); // the worker woke
      cv.broadcast(); // now release the late waiter
      await late;
      g.unlock();
      Atomics.store(words, 0, round + 1); // only now may the worker wait again
      Atomics.notify(words, 0);
    }
    expect(await waiter).toEqual({ value: rounds });
  });

  it("signal: n signals to n waiters wake every one, none lost (TestCondSignal)", async () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const cv = CondVar.create(region);
    const n = 4;
    const words = sharedWords(2); // [0] tickets, [1] waiters counted
    const done = Promise.all(Array.from({ length: n }, () => role("condTicket", words, { mutex: m.handle, condvar: cv.handle })));
    await until(() => Atomics.load(words, 1) === n);
    for (let i = 0; i < n; i++) {
      const g = await m.lockAsync({ timeout: 30_000 });
      Atomics.add(words, 0, 1);
      cv.signal();
      g.unlock();
    }
    expect(await done).toEqual(Array(n).fill({ value: 1 }));
    expect(Atomics.load(words, 0)).toBe(0); // every ticket taken once
    expect(cv.waiters).toBe(0);
  });
});

describe("Go sync: Barrier as a reused WaitGroup", () => {
  it("generation after generation nobody passes before every party arrived; one leader each", async () => {
    const parties = 3;
    const rounds = stressLevel(50);
    const b = Barrier.create(Region.create(), parties);
    const words = sharedWords(2 * rounds);
    const early = await Promise.all(Array.from({ length: parties }, () => role("barrierRounds", words, { barrier: b.handle, parties, rounds })));
    expect(early).toEqual(Array(parties).fill({ value: 0 }));
    for (let r = 0; r < rounds; r++) expect(Atomics.load(words, rounds + r), `leaders of generation ${r}`).toBe(1);
  });
});

describe("Go sync: weighted Semaphore", () => {
  it("random weights from several workers never exceed the permits; all returned (x/sync TestWeighted)", async () => {
    const max = 5;
    const s = Semaphore.create(Region.create(), { max });
    const words = sharedWords(2);
    const iterations = stressLevel(1000);
    const outcomes = await Promise.all([11, 12, 13].map((seed) => role("weighted", words, { semaphore: s.handle, max, seed, iterations })));
    expect(outcomes).toEqual(Array(3).fill({ value: iterations }));
    expect(Atomics.load(words, 1)).toBe(0);
    const all = s.tryAcquire(max); // every permit is back
    expect(all).toBe(true);
    s.release(max);
  });
});
