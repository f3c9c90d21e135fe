// mutex.mjs — scenario "mutex": the cost of an uncontended lock+unlock on one thread.
//
// sabre's Mutex through its public API (tryLock()/unlock() and lock()/unlock(), each returning
// a MutexGuard) against the cheapest possible JS lock: Atomics.compareExchange(0 -> 1) to
// acquire and Atomics.store(0) (or compareExchange(1 -> 0)) to release on an Int32Array over a
// SharedArrayBuffer. Two diagnostic tasks split sabre's cost: the core's exports called
// directly (mutex_try_lock + mutex_unlock, no facade), and two calls of a trivial export
// (mutex_owner: one load) as the floor of two JS -> wasm calls; and the core's own protocol
// (with its owner word) written in JS, to tell the protocol's cost from the boundary's.
import { Mutex, Region } from "sabre";
import { perOpTask } from "../lib/batch.mjs";

export const title = "uncontended Mutex lock+unlock vs a bare Atomics CAS pair";
export const description =
  "One thread locks and unlocks a free lock. Items are lock+unlock pairs; each sample is the mean of a batch.";

const OPS = 2000;

export async function define() {
  const region = Region.create({ size: 64 * 1024 });
  const mutex = Mutex.create(region);
  const core = mutex.region.core;
  const offset = mutex.offset;
  const agent = mutex.region.agent;
  const words = new Int32Array(new SharedArrayBuffer(64));

  const sampleIs = `mean of ${OPS} pairs`;
  const tasks = [
    {
      name: "sabre tryLock()+unlock()",
      role: "sabre",
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) mutex.tryLock().unlock();
      }),
    },
    {
      name: "sabre lock()+unlock()",
      role: "sabre",
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) mutex.lock().unlock();
      }),
    },
    {
      name: "core mutex_try_lock+mutex_unlock",
      role: "diagnostic",
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) {
          if (core.mutex_try_lock(offset, agent) !== 0) throw new Error("mutex_try_lock failed on a free lock");
          core.mutex_unlock(offset, agent);
        }
      }),
    },
    {
      name: "2 x core mutex_owner (wasm call floor)",
      role: "diagnostic",
      fn: perOpTask(OPS, (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += core.mutex_owner(offset) + core.mutex_owner(offset);
        if (s !== 0) throw new Error("mutex unexpectedly held");
      }),
    },
    {
      // The core's protocol written in JS: cas state, store owner; check owner and state,
      // store owner 0, atomic sub on state. Same atomic operations, no wasm: tells whether
      // sabre's extra time is the protocol (the owner word) or the JS -> wasm boundary.
      name: "JS same protocol as core (owner word)",
      role: "diagnostic",
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) {
          if (Atomics.compareExchange(words, 0, 0, 1) !== 0) throw new Error("CAS lock held");
          Atomics.store(words, 1, agent);
          if (Atomics.load(words, 1) !== agent || Atomics.load(words, 0) === 0) throw new Error("not owner");
          Atomics.store(words, 1, 0);
          if (Atomics.sub(words, 0, 1) !== 1) throw new Error("contended?");
        }
      }),
    },
    {
      name: "JS CAS acquire + store release",
      role: "baseline",
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) {
          if (Atomics.compareExchange(words, 0, 0, 1) !== 0) throw new Error("CAS lock held");
          Atomics.store(words, 0, 0);
        }
      }),
    },
    {
      name: "JS CAS acquire + CAS release",
      role: "baseline",
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) {
          if (Atomics.compareExchange(words, 0, 0, 1) !== 0) throw new Error("CAS lock held");
          Atomics.compareExchange(words, 0, 1, 0);
        }
      }),
    },
  ];
  for (const t of tasks) t.sampleIs = sampleIs;

  const target = { by: "mean", minSpeedup: 1 / 3, text: "sabre <= 3x the CAS pair's time" };
  const ratios = [];
  for (const sabre of ["sabre tryLock()+unlock()", "sabre lock()+unlock()", "core mutex_try_lock+mutex_unlock"]) {
    ratios.push({ sabre, baseline: "JS CAS acquire + store release", target: sabre.startsWith("sabre") ? target : undefined });
    ratios.push({ sabre, baseline: "JS CAS acquire + CAS release" });
  }
  return {
    unit: "lock+unlock/s",
    tasks,
    ratios,
    timeScale: 0.6,
    notes: [`each sample is the mean of ${OPS} lock+unlock pairs; p99 is over batch means`],
    teardown: () => mutex.free(),
  };
}
