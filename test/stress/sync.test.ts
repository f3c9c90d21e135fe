// sync.test.ts — Semaphore, Barrier, CondVar and RwLock under real worker threads, blocking and
// async waits mixed (seeded), counting every violation of the primitive's promise in shared
// words. Iteration counts scale with SABRE_STRESS (test/fixtures/stress-level.ts).
import { describe, expect, it } from "vitest";
import { Barrier, CondVar, Mutex, Region, RwLock, Semaphore } from "sabre";
import { startWorker } from "sabre/node";
import { stressLevel, stressMultiplier } from "../fixtures/stress-level";

const fixture = new URL("../fixtures/sync-stress-worker.mjs", import.meta.url);
const SEED = 0x5ab12e;
// stats words, as in the fixture
const VIOLATIONS = 0, INSIDE = 1, MAX_SEEN = 2, WRITERS_IN = 3, READERS_IN = 4, PAIR_A = 5, PAIR_B = 6,
  LEADERS = 7, DONE_OPS = 8, CONTENDED = 10;

function statsOf(region: Region): { offset: number; words: Int32Array } {
  const offset = region.alloc(64);
  return { offset, words: new Int32Array(region.memory.buffer, offset, 16) };
}

async function run(data: Array<Record<string, unknown>>): Promise<void> {
  const workers = data.length;
  await Promise.all(data.map((d, i) => startWorker(fixture, { data: { seed: SEED + i, workers, ...d } }).exited));
}

describe("sync primitives under worker threads", { timeout: 30_000 * stressMultiplier() }, () => {
  it("a semaphore of P permits never admits more than P (k-permit acquires mixed in)", async () => {
    const region = Region.create();
    const permits = 2;
    const sem = Semaphore.create(region, { initial: permits, max: permits });
    const stats = statsOf(region);
    const iterations = stressLevel(3000);
    await run(Array.from({ length: 5 }, () => ({
      mode: "sem", region: region.handle, stats: stats.offset, sem: sem.handle, iterations,
    })));
    expect(stats.words[VIOLATIONS]).toBe(0);
    expect(stats.words[MAX_SEEN]).toBeGreaterThanOrEqual(1);
    expect(stats.words[MAX_SEEN]).toBeLessThanOrEqual(permits);
    expect(stats.words[INSIDE]).toBe(0);
    expect(sem.count).toBe(permits);
    expect(sem.waiters).toBe(0);
    if (process.env.SABRE_STRESS_VERBOSE) console.log(`semaphore: ${stats.words[CONTENDED]} contended acquires`);
  });

  it("barrier generations never mix, with one leader per generation", async () => {
    const region = Region.create();
    const parties = 3;
    const barrier = Barrier.create(region, parties);
    const slots = region.alloc(4 * parties);
    const stats = statsOf(region);
    const rounds = stressLevel(300);
    await run(Array.from({ length: parties }, (_, index) => ({
      mode: "barrier", region: region.handle, stats: stats.offset, barrier: barrier.handle, slots, index, iterations: rounds,
    })));
    expect(stats.words[VIOLATIONS]).toBe(0);
    expect(stats.words[LEADERS]).toBe(2 * rounds);
    expect(barrier.generation).toBe((2 * rounds) % 65536);
    expect(barrier.arrived).toBe(0);
    expect(barrier.waiters).toBe(0);
  });

  it("producer/consumer under Mutex + CondVar moves every item exactly once", async () => {
    const region = Region.create();
    const mutex = Mutex.create(region);
    const notEmpty = CondVar.create(region);
    const notFull = CondVar.create(region);
    const producers = 2;
    const consumers = 2;
    const capacity = 8;
    const perProducer = stressLevel(3000);
    const total = producers * perProducer;
    const queue = region.alloc(4 * (4 + capacity));
    const seen = region.alloc(4 * total);
    const stats = statsOf(region);
    const common = {
      region: region.handle, stats: stats.offset, mutex: mutex.handle, notEmpty: notEmpty.handle, notFull: notFull.handle,
      queue, seen, capacity, total, iterations: perProducer,
    };
    await run([
      ...Array.from({ length: producers }, (_, index) => ({ ...common, mode: "producer", index })),
      ...Array.from({ length: consumers }, (_, index) => ({ ...common, mode: "consumer", index })),
    ]);
    expect(stats.words[VIOLATIONS]).toBe(0);
    const marks = new Int32Array(region.memory.buffer, seen, total);
    const wrong = marks.reduce((n, m) => n + (m === 1 ? 0 : 1), 0);
    expect(wrong).toBe(0);
    expect(mutex.locked).toBe(false);
    expect(notEmpty.waiters + notFull.waiters).toBe(0);
  });

  it("RwLock: writers see nobody else inside, readers never see a writer or a torn pair", async () => {
    const region = Region.create();
    const lock = RwLock.create(region);
    const stats = statsOf(region);
    const iterations = stressLevel(4000);
    const roles = ["writer", "reader", "writer", "reader", "reader"];
    await run(roles.map((mode) => ({
      mode, region: region.handle, stats: stats.offset, rwlock: lock.handle, iterations,
    })));
    expect(stats.words[VIOLATIONS]).toBe(0);
    expect(stats.words[PAIR_A]).toBe(2 * iterations);
    expect(stats.words[PAIR_B]).toBe(2 * iterations);
    expect(stats.words[DONE_OPS]).toBe(roles.length * iterations);
    expect(stats.words[WRITERS_IN] + stats.words[READERS_IN]).toBe(0);
    expect(lock.readers).toBe(0);
    expect(lock.writeLocked).toBe(false);
    expect(lock.waiters).toBe(0);
  });
});
