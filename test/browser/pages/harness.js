// harness.js — the main-thread side of the browser tests (loaded by harness.html as a module
// from the prebuilt dist/browser/sabre.js). Each entry of `window.sabreTests` is one scenario
// run in the page's main thread together with Web Workers (worker.js); it resolves to a plain
// result object that test/browser/browser.test.ts checks through page.evaluate. The main
// thread only ever uses try and async forms: it may never block.
import * as sabre from "/dist/browser/sabre.js";

const { Region, Mutex, Semaphore } = sabre;
const workerUrl = new URL("./worker.js", import.meta.url);

/** A Web Worker running worker.js, with call(op, args) -> Promise of its result. */
class TestWorker {
  static async start() {
    const w = new TestWorker();
    await w.ready;
    return w;
  }
  constructor() {
    this.worker = new Worker(workerUrl, { type: "module" });
    this.pending = new Map();
    this.next = 1;
    this.ready = new Promise((resolve, reject) => {
      this.worker.onerror = (e) => reject(new Error(`worker.js failed to start: ${e.message}`));
      this.worker.onmessage = ({ data }) => {
        if (data.ready) {
          this.worker.onmessage = ({ data: reply }) => this.settle(reply);
          resolve();
        }
      };
    });
  }
  settle({ id, result, error }) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (!p) return;
    if (error) p.reject(Object.assign(new Error(`${error.name}: ${error.message}`), { name: error.name }));
    else p.resolve(result);
  }
  call(op, args = {}) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }
  terminate() {
    this.worker.terminate();
  }
}

async function withWorkers(n, fn) {
  const workers = await Promise.all(Array.from({ length: n }, () => TestWorker.start()));
  try {
    return await fn(workers);
  } finally {
    for (const w of workers) w.terminate();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs fn and returns the name of what it threw (or "no error"). */
async function thrown(fn) {
  try {
    await fn();
    return "no error";
  } catch (error) {
    return error?.name ?? String(error);
  }
}

window.sabreTests = {
  /** What the page and a worker see: isolation, blocking rules, native waitAsync. */
  async environment() {
    return withWorkers(1, async ([w]) => ({
      page: {
        crossOriginIsolated: globalThis.crossOriginIsolated,
        blockingAllowed: sabre.blockingAllowed,
        nativeWaitAsync: sabre.nativeWaitAsync,
        atomicsWaitAsync: typeof Atomics.waitAsync,
        userAgent: navigator.userAgent,
      },
      worker: await w.call("env"),
    }));
  },

  /** Region.create on this page; the error's name and message when it fails. */
  async createRegion() {
    try {
      const region = Region.create();
      return { ok: true, bytes: region.byteLength };
    } catch (error) {
      return { ok: false, name: error?.name, message: String(error?.message ?? error) };
    }
  },

  /**
   * One region shared by the page and three workers: each attaches (distinct agents), all
   * churn the allocator at once (the page's allocations spin on the allocator lock instead
   * of parking), nothing overlaps, and every block comes back.
   */
  async region({ n = 3000 } = {}) {
    const region = Region.create({ size: 1 << 18 });
    const freeAtStart = region.freeBytes;
    const counter = region.alloc(4);
    const words = new Int32Array(region.memory.buffer);
    return withWorkers(3, async (workers) => {
      const agents = [region.agent, ...(await Promise.all(workers.map((w) => w.call("attach", { region: region.handle })))).map((r) => r.agent)];
      const running = workers.map((w) => w.call("allocLoop", { region: region.handle, n, counter }));
      let mainBad = 0;
      let mainAllocs = 0;
      for (let i = 0; i < n / 3; i++) {
        const offset = region.alloc(48);
        const view = new Int32Array(region.memory.buffer, offset, 12);
        view.fill(i);
        if (i % 50 === 0) await sleep(0); // let the page breathe; workers keep churning
        if (view.some((x) => x !== i)) mainBad++;
        region.free(offset);
        Atomics.add(words, counter >> 2, 1);
        mainAllocs++;
      }
      const results = await Promise.all(running);
      const total = Atomics.load(words, counter >> 2);
      region.free(counter);
      return {
        agents,
        distinctAgents: new Set(agents).size,
        bad: mainBad + results.reduce((s, r) => s + r.bad, 0),
        counted: total,
        expected: 3 * n + mainAllocs,
        usedBlocksAfter: region.usedBlocks,
        freeBytesRestored: region.freeBytes === freeAtStart,
      };
    });
  },

  /**
   * Mutual exclusion between three workers (blocking lock) and the page (lockAsync only):
   * a plain shared counter ends at exactly the number of increments. On the page, lock()
   * throws BlockingNotAllowedError; lockAsync times out and aborts while a worker holds it.
   */
  async mutex({ perWorker = 2000, onPage = 1500 } = {}) {
    const region = Region.create();
    const m = Mutex.create(region);
    const counter = region.alloc(4);
    const view = new Int32Array(region.memory.buffer, counter, 1);
    return withWorkers(3, async (workers) => {
      const blockingLock = await thrown(() => m.lock());
      const tryWhileFree = m.tryLock() !== undefined;
      if (m.locked) m.unlock();

      // a worker holds the lock: try fails, a short lockAsync times out, an aborted one aborts
      const held = workers[0].call("hold", { mutex: m.handle, ms: 300 });
      while (!m.locked) await sleep(1);
      const tryWhileHeld = m.tryLock() === undefined ? "undefined" : "acquired";
      const timedOut = await thrown(() => m.lockAsync({ timeout: 30 }));
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("stop")), 20);
      const aborted = await thrown(() => m.lockAsync({ signal: ac.signal }));
      const t0 = performance.now();
      const g = await m.lockAsync({ timeout: 10_000 }); // granted when the worker releases
      const waitedMs = performance.now() - t0;
      g.unlock();
      await held;

      const running = workers.map((w) => w.call("mutexLoop", { mutex: m.handle, counter, n: perWorker }));
      for (let i = 0; i < onPage; i++) {
        const guard = await m.lockAsync({ timeout: 20_000 });
        const v = view[0];
        view[0] = v + 1;
        guard.unlock();
        if (i % 100 === 0) await sleep(0);
      }
      await Promise.all(running);
      return {
        nativeWaitAsync: sabre.nativeWaitAsync,
        blockingLock, tryWhileFree, tryWhileHeld, timedOut, aborted,
        waitedMs: Math.round(waitedMs),
        counter: view[0],
        expected: 3 * perWorker + onPage,
        lockedAfter: m.locked,
      };
    });
  },

  /**
   * A semaphore of 2 permits shared by three workers (blocking acquire) and the page
   * (acquireAsync): never more than 2 inside at once; acquire() on the page throws.
   */
  async semaphore({ perWorker = 1500, onPage = 600 } = {}) {
    const region = Region.create();
    const permits = 2;
    const sem = Semaphore.create(region, { initial: permits, max: permits });
    const stats = region.alloc(16);
    const w = new Int32Array(region.memory.buffer, stats, 4);
    return withWorkers(3, async (workers) => {
      const blockingAcquire = await thrown(() => sem.acquire());
      const running = workers.map((wk) => wk.call("semLoop", { sem: sem.handle, stats, n: perWorker }));
      for (let i = 0; i < onPage; i++) {
        await sem.acquireAsync({ timeout: 20_000 });
        const inside = Atomics.add(w, 0, 1) + 1;
        if (inside > permits) Atomics.add(w, 2, 1);
        for (let seen = Atomics.load(w, 1); inside > seen; seen = Atomics.load(w, 1)) {
          if (Atomics.compareExchange(w, 1, seen, inside) === seen) break;
        }
        if (i % 4 === 0) await sleep(0); // hold a permit across a task now and then
        Atomics.sub(w, 0, 1);
        sem.release();
      }
      await Promise.all(running);
      return {
        blockingAcquire,
        violations: Atomics.load(w, 2),
        maxSeen: Atomics.load(w, 1),
        insideAfter: Atomics.load(w, 0),
        count: sem.count,
        waiters: sem.waiters,
        permits,
      };
    });
  },
};

window.sabreReady = true;
