// history.test.ts (stress) — issue 3, item 7: the linearizability check of recorded histories
// on the RELEASE build under real worker threads.
//
// Four workers share a RingBuffer of capacity 4 (2 producers: tryPush / push with a 1 ms
// timeout; 2 consumers: tryPop / pop with a 1 ms timeout), or a Semaphore (max 3, 4 workers:
// tryAcquire / acquire(n = 1 or 2, 1 ms) / release of what they hold). Each operation records
// its invoke and return ticks of one shared logical clock (Atomics.add on an Int32Array word
// of the region, test/fixtures/history-worker.mjs), so "returned before the other was
// invoked" in the history is real-time order. The whole history is then checked against the
// harness's sequential specifications (boundedQueueSpec: strict empty / full / TIMED_OUT, FIFO;
// semaphoreSpec: permits never negative nor past max, TIMED_OUT / WOULD_BLOCK only with fewer
// than n permits).
//
// Keeping it checkable: Wing & Gong's search is exponential in the number of concurrent
// operations. The workers run in ROUNDS of 3 operations each and meet at a sabre Barrier after
// every round, so every barrier is a quiescent point (no operation pending) and a window holds
// at most 4 x 3 = 12 operations. The checker (test/model/harness/windows.ts) cuts the history
// at every quiescent point it finds (the barriers, and any other), checks each window, and
// carries the set of states in which the window's linearizations can end into the next one —
// exact, not a sampling. Within a round the four workers run fully concurrently on 2 cores.
// Counts: 100 rounds (300 ops per worker) at the default level, x SABRE_STRESS.
import { describe, expect, it } from "vitest";
import { Barrier, Region, RingBuffer, Semaphore } from "sabre";
import { startWorker } from "sabre/node";
import { boundedQueueSpec, checkWindows, semaphoreSpec, type HistoryOp } from "../model/harness";
import { stressLevel } from "../fixtures/stress-level";

const fixture = new URL("../fixtures/history-worker.mjs", import.meta.url);
const SEED = Number(process.env.SABRE_SEED ?? 0x5eed);
const OPS = 3;

async function run(roles: string[], data: Record<string, unknown>, region: Region): Promise<HistoryOp[]> {
  const clockOffset = region.alloc(4);
  const barrier = Barrier.create(region, roles.length);
  const rounds = stressLevel(100);
  const workers = roles.map((role, id) => {
    const w = startWorker(fixture, {
      data: { ...data, region: region.handle, clockOffset, barrier: barrier.handle, role, id, rounds, ops: OPS, seed: SEED + 17 * id, timeoutMs: 1 },
    });
    const history = new Promise<HistoryOp[]>((resolve, reject) => {
      w.worker.once("message", resolve);
      w.exited.then(() => reject(new Error(`worker ${id} exited without its history`)), reject);
    });
    return { ...w, history };
  });
  const histories = await Promise.all(workers.map((w) => w.history));
  await Promise.all(workers.map((w) => w.exited));
  return histories.flat();
}

function summary(history: HistoryOp[]): string {
  const counts = new Map<string, number>();
  for (const op of history) {
    const r = op.result as number | { status: number };
    const key = `${op.name} -> ${typeof r === "number" ? r : r.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort().map(([k, n]) => `${k}: ${n}`).join(", ");
}

describe("recorded histories of the release build under worker threads", () => {
  it("RingBuffer (capacity 4, 2 producers x 2 consumers, try and timed ops) is linearizable", async () => {
    const region = Region.create();
    const ring = RingBuffer.create(region, { capacity: 4 });
    const history = await run(["push", "push", "pop", "pop"], { ring: ring.handle }, region);
    const t0 = performance.now();
    const r = checkWindows(history, boundedQueueSpec(4));
    console.log(`history ring: ${history.length} ops; ${summary(history)}; ` +
      (r.ok ? `${r.windows} windows, largest ${r.largest} ops, <= ${r.maxStates} carried states` : "") + `; checked in ${Math.round(performance.now() - t0)} ms`);
    expect(r.ok ? "linearizable" : r.explanation).toBe("linearizable");
    // the check has teeth: the same history with one popped value swapped for an unpushed one,
    // or one successful try-pop reported as "empty", is rejected
    const i = history.findIndex((op) => op.name === "pop" && (op.result as { status: number }).status === 0);
    const doctored = (result: unknown) => history.map((op, j) => (j === i ? { ...op, result } : op));
    expect(checkWindows(doctored({ status: 0, value: -7 }), boundedQueueSpec(4)).ok).toBe(false);
    expect(checkWindows(doctored({ status: 2 }), boundedQueueSpec(4)).ok).toBe(false);
    ring.free();
  });

  it("Semaphore (max 3, 4 workers, try / timed acquire of 1 or 2, release) is linearizable", async () => {
    const region = Region.create();
    const sem = Semaphore.create(region, { initial: 3, max: 3 });
    const history = await run(["sem", "sem", "sem", "sem"], { sem: sem.handle }, region);
    const t0 = performance.now();
    const r = checkWindows(history, semaphoreSpec(3, 3));
    console.log(`history semaphore: ${history.length} ops; ${summary(history)}; ` +
      (r.ok ? `${r.windows} windows, largest ${r.largest} ops` : "") + `; checked in ${Math.round(performance.now() - t0)} ms`);
    expect(r.ok ? "linearizable" : r.explanation).toBe("linearizable");
    expect(sem.count).toBe(3);
  });
});
