// worker.js — the Web Worker of the browser tests (a module worker; imports the prebuilt
// dist/browser/sabre.js). It answers { id, op, args } messages from harness.js with
// { id, result } or { id, error: { name, message } }, one at a time. Workers may block, so the
// ops here use the blocking forms (lock, acquire, push, pop) that the main thread may not.
import * as sabre from "/dist/browser/sabre.js";

const { Region, Mutex, Semaphore } = sabre;

/** Busy-free sleep: a blocking wait on a private word (allowed in a worker). */
const sleepWord = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(sleepWord, 0, 0, ms);

const ops = {
  /** Environment facts as this worker sees them. */
  env() {
    return {
      crossOriginIsolated: globalThis.crossOriginIsolated,
      blockingAllowed: sabre.blockingAllowed,
      nativeWaitAsync: sabre.nativeWaitAsync,
    };
  },

  /** Attaches to a region and reports this thread's agent id. */
  attach({ region }) {
    return { agent: Region.from(region).agent };
  },

  /**
   * Allocator churn: n blocks of varied size, each filled with a pattern, checked and freed,
   * while other threads do the same; a write into another thread's block shows as a bad
   * pattern. Also bumps a shared counter word atomically.
   */
  allocLoop({ region: handle, n, counter }) {
    const region = Region.from(handle);
    const words = new Int32Array(region.memory.buffer);
    let bad = 0;
    const live = [];
    for (let i = 0; i < n; i++) {
      const bytes = 16 + ((i * 37) % 12) * 16;
      const offset = region.alloc(bytes);
      const view = new Int32Array(region.memory.buffer, offset, bytes >> 2);
      view.fill(region.agent * 65536 + (i & 0xffff));
      live.push([offset, view, region.agent * 65536 + (i & 0xffff)]);
      if (live.length > 4) {
        const [off, v, pattern] = live.shift();
        if (v.some((x) => x !== pattern)) bad++;
        region.free(off);
      }
      Atomics.add(words, counter >> 2, 1);
    }
    for (const [off, v, pattern] of live) {
      if (v.some((x) => x !== pattern)) bad++;
      region.free(off);
    }
    return { agent: region.agent, bad };
  },

  /** n times: lock (blocking), non-atomic increment of a shared word, unlock. */
  mutexLoop({ mutex, counter, n }) {
    const m = Mutex.from(mutex);
    const view = new Int32Array(m.region.memory.buffer, counter, 1);
    for (let i = 0; i < n; i++) {
      const g = m.lock({ timeout: 20_000 });
      const v = view[0];
      view[0] = v + 1; // only correct under mutual exclusion
      g.unlock();
    }
    return { agent: m.region.agent };
  },

  /** Holds the mutex for `ms` milliseconds (blocking sleep), then releases it. */
  hold({ mutex, ms }) {
    const m = Mutex.from(mutex);
    const g = m.lock({ timeout: 20_000 });
    sleep(ms);
    g.unlock();
    return {};
  },

  /**
   * n times: acquire one permit (blocking), count itself inside (atomically), note the most
   * seen inside at once, leave, release. stats words: [0] inside, [1] max seen, [2] violations.
   */
  semLoop({ sem, stats, n }) {
    const s = Semaphore.from(sem);
    const w = new Int32Array(s.region.memory.buffer, stats, 4);
    for (let i = 0; i < n; i++) {
      s.acquire({ timeout: 20_000 });
      const inside = Atomics.add(w, 0, 1) + 1;
      if (inside > s.max) Atomics.add(w, 2, 1);
      for (let seen = Atomics.load(w, 1); inside > seen; seen = Atomics.load(w, 1)) {
        if (Atomics.compareExchange(w, 1, seen, inside) === seen) break;
      }
      for (let spin = 0; spin < 50; spin++) Atomics.load(w, 0);
      Atomics.sub(w, 0, 1);
      s.release();
    }
    return {};
  },
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    const fn = ops[op];
    if (!fn) throw new Error(`worker.js: no op ${op}`);
    self.postMessage({ id, result: await fn(args) });
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name, message: String(error?.message ?? error), stack: error?.stack } });
  }
};
self.postMessage({ ready: true });
