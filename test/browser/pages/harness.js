// harness.js — the main-thread side of the browser tests (loaded by harness.html as a module
// from the prebuilt dist/browser/sabre.js). Each entry of `window.sabreTests` is one scenario
// run in the page's main thread together with Web Workers (worker.js); it resolves to a plain
// result object that test/browser/browser.test.ts checks through page.evaluate. The main
// thread only ever uses try and async forms: it may never block.
import * as sabre from "/dist/browser/sabre.js";
import { channelMessage, checkChannelMessage } from "./channel-stress.js";
import { replyMatches, requestValue, serveValue, tagOf } from "./mailbox-scenario.js";

const { Region, Mutex, Semaphore, RingBuffer, ByteRing, Channel, ClosedError } = sabre;
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

/** Seeded PRNG (mulberry32), as in worker.js. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const mix = (v) => Math.imul(v, 0x9e3779b1) >>> 0;

Object.assign(window.sabreTests, {
  /**
   * RingBuffer stress with the sequence/checksum verifier: 3 producers (two workers and the
   * page) and 3 consumers (two workers and the page) on one small MPMC ring, seeded mixes of
   * blocking/try/batch calls in workers and async/try calls on the page. Every item arrives
   * exactly once (shared bitmap), each producer's items in order at each consumer, and the
   * checksums of what was pushed and popped agree. 4 workers in all.
   */
  async ringStress({ n = 20_000, seed = 0x5ab1e, capacity = 64 } = {}) {
    const region = Region.create({ size: 1 << 20 });
    const ring = RingBuffer.create(region, { capacity });
    const bitmap = region.alloc(Math.ceil((4 * n) / 32) * 4);
    const bits = new Int32Array(region.memory.buffer, bitmap, Math.ceil((4 * n) / 32));
    const rand = prng(seed);
    return withWorkers(4, async ([p1, p2, c1, c2]) => {
      const consumers = [
        c1.call("ringConsume", { ring: ring.handle, bitmap, n, seed: seed + 11 }),
        c2.call("ringConsume", { ring: ring.handle, bitmap, n, seed: seed + 12 }),
      ];
      const producers = [
        p1.call("ringProduce", { ring: ring.handle, id: 1, n, seed: seed + 1 }),
        p2.call("ringProduce", { ring: ring.handle, id: 2, n, seed: seed + 2 }),
      ];
      // the page consumes (async) while it produces (async): two tasks on one thread
      const page = { count: 0, checksum: 0, order: 0, dups: 0, bad: 0, asyncWaits: 0 };
      const last = [0, 0, 0, 0];
      const take = (v) => {
        const id = v >>> 24;
        const seq = v & 0xffffff;
        if (id > 3 || seq < 1 || seq > n) return void page.bad++;
        if (seq <= last[id]) page.order++;
        last[id] = seq;
        const bit = id * n + seq - 1;
        if (Atomics.or(bits, bit >> 5, 1 << (bit & 31)) & (1 << (bit & 31))) page.dups++;
        page.count++;
        page.checksum += mix(v);
      };
      const pageConsumer = (async () => {
        try {
          for (;;) {
            const v = ring.tryPop();
            if (v !== undefined) take(v);
            else {
              page.asyncWaits++;
              take(await ring.popAsync({ timeout: 20_000 }));
            }
          }
        } catch (error) {
          if (!(error instanceof ClosedError)) throw error;
        }
      })();
      for (let seq = 1; seq <= n; seq++) {
        const v = (3 << 24) | seq;
        if (rand() < 0.5 && ring.tryPush(v)) continue;
        await ring.pushAsync(v, { timeout: 20_000 });
      }
      await Promise.all(producers);
      ring.close(); // consumers drain what is left, then see ClosedError
      const results = [...(await Promise.all(consumers)), page];
      await pageConsumer;
      let expected = 0;
      for (let id = 1; id <= 3; id++) for (let seq = 1; seq <= n; seq++) expected += mix((id << 24) | seq);
      let missing = 0;
      for (let bit = n; bit < 4 * n; bit++) if (!(bits[bit >> 5] & (1 << (bit & 31)))) missing++;
      const sum = (k) => results.reduce((s, r) => s + r[k], 0);
      return {
        items: 3 * n,
        count: sum("count"),
        perConsumer: results.map((r) => r.count),
        missing,
        dups: sum("dups"),
        order: sum("order"),
        bad: sum("bad"),
        checksumOk: sum("checksum") === expected,
        lengthAfter: ring.length,
      };
    });
  },

  /**
   * ByteRing (SPSC frames) both ways between the page and a worker: a worker writes frames
   * (blocking) that the page reads (readAsync), and the page writes (writeAsync) frames that
   * a worker reads (blocking); order, lengths and every byte checked.
   */
  async byteRing({ n = 3000, maxLen = 300, seed = 0xb17e } = {}) {
    const region = Region.create({ size: 1 << 20 });
    const toPage = ByteRing.create(region, { capacity: 4096 });
    const fromPage = ByteRing.create(region, { capacity: 4096 });
    const rand = prng(seed);
    return withWorkers(2, async ([producer, consumer]) => {
      const produced = producer.call("byteProduce", { ring: toPage.handle, n, maxLen, seed });
      const consumed = consumer.call("byteConsume", { ring: fromPage.handle });
      const writer = (async () => {
        for (let i = 1; i <= n; i++) {
          const len = 4 + Math.floor(rand() * (maxLen - 4));
          const frame = new Uint8Array(len);
          new DataView(frame.buffer).setUint32(0, i, true);
          for (let j = 4; j < len; j++) frame[j] = (i * 31 + j) & 255;
          if (!fromPage.tryWrite(frame)) await fromPage.writeAsync(frame, { timeout: 20_000 });
        }
        fromPage.close();
      })();
      const page = { count: 0, bad: 0 };
      try {
        for (;;) {
          const f = await toPage.readAsync({ timeout: 20_000 });
          const i = new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0, true);
          let ok = i === page.count + 1;
          for (let j = 4; j < f.length && ok; j++) ok = f[j] === ((i * 31 + j) & 255);
          if (!ok) page.bad++;
          page.count++;
        }
      } catch (error) {
        if (!(error instanceof ClosedError)) throw error;
      }
      await Promise.all([produced, writer]);
      const worker = await consumed;
      return { n, pageRead: page, workerRead: { count: worker.count, bad: worker.bad } };
    });
  },
});

Object.assign(window.sabreTests, {
  /**
   * Channel stress, 2 producer workers (send, trySend) x 2 consumers: a worker (recv, tryRecv)
   * and the page (recvAsync). Default msgpack codec, a 2 KiB ring: messages of 0 bytes
   * to 3x the ring go in fragments. Each carries producer, sequence and checksum; returns what
   * every consumer saw so the test checks exactly once, in order per producer, intact.
   */
  async channelStress({ n = 1500, seed = 0xc4a7, capacity = 3, bufferBytes = 2048 } = {}) {
    const region = Region.create({ size: 1 << 20 });
    const ch = Channel.create(region, { capacity, bufferBytes });
    return withWorkers(3, async ([p0, p1, c1]) => {
      const consumer = c1.call("chanConsume", { channel: ch.handle, producers: 2, seed: seed + 10 });
      const producers = [p0, p1].map((w, id) => w.call("chanProduce", { channel: ch.handle, id, count: n, seed: seed + id }));
      const seen = [[], []];
      const page = { count: 0, bad: 0, order: 0, bytes: 0 };
      const pageConsumer = (async () => {
        try {
          // tryRecv and recvAsync alternate: a tryRecv that claims a fragmented message whose
          // rest is not written yet must finish it without Atomics.wait (not allowed here)
          for (let i = 0; ; i++) {
            if (i % 2 === 0) {
              const r = ch.tryRecv();
              if (r.ok) {
                checkChannelMessage(r.value, seen, page);
                continue;
              }
              if (r.closed) break;
            }
            checkChannelMessage(await ch.recvAsync({ timeout: 20_000 }), seen, page);
          }
        } catch (error) {
          if (!(error instanceof ClosedError)) throw error;
        }
      })();
      await Promise.all(producers);
      ch.close(); // consumers drain what is left, then see the end
      const worker = await consumer;
      await pageConsumer;
      const perProducer = [0, 1].map((id) => {
        const all = [...worker.seen[id], ...seen[id]].sort((a, b) => a - b);
        let wrong = 0;
        for (let i = 0; i < n; i++) if (all[i] !== i) wrong++;
        return { received: all.length, wrong };
      });
      const lenAfter = ch.len;
      ch.free();
      return {
        n,
        perProducer,
        perConsumer: [worker.count, page.count],
        bad: worker.bad + page.bad,
        order: worker.order + page.order,
        bytes: worker.bytes + page.bytes,
        lenAfter,
      };
    });
  },
});

Object.assign(window.sabreTests, {
  /**
   * select on the page (selectAsync only; select with a default case): receive cases on a
   * buffered channel in one region and a rendezvous channel in another (a producer worker
   * each, then the page closes it), and a send case feeding a worker consumer through a
   * capacity-1 channel, all in one select until both inputs are closed and every message
   * sent. Messages are the Channel stress ones (fragmented when large, checksummed).
   */
  async selectMix({ n = 300, seed = 0x5e1ec7 } = {}) {
    const { select, selectAsync, recvCase, sendCase, BlockingNotAllowedError } = sabre;
    const r1 = Region.create({ size: 1 << 20 });
    const r2 = Region.create({ size: 1 << 20 });
    const inputs = [Channel.create(r1, { capacity: 3, bufferBytes: 2048 }), Channel.create(r2, { capacity: 0, bufferBytes: 2048 })];
    const out = Channel.create(r1, { capacity: 1, bufferBytes: 2048 });
    const facts = {
      defaultOnEmpty: select([recvCase(inputs[0]), recvCase(inputs[1])], { default: true }).index,
      blockingThrows: (() => {
        try {
          select([recvCase(inputs[0])], { timeout: 10 });
          return false;
        } catch (error) {
          return error instanceof BlockingNotAllowedError;
        }
      })(),
    };
    return withWorkers(3, async ([p0, p1, c]) => {
      const consumer = c.call("chanConsume", { channel: out.handle, producers: 1, seed: seed + 10 });
      [p0, p1].forEach((w, id) => w.call("chanProduce", { channel: inputs[id].handle, id, count: n, seed: seed + id }).then(() => inputs[id].close()));
      const seen = [[], []];
      const page = { count: 0, bad: 0, order: 0, bytes: 0 };
      const open = [true, true];
      let state = seed >>> 0 || 1;
      const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
      let sent = 0;
      let next = n > 0 ? channelMessage(0, 0, rand, 2048) : undefined;
      while (open[0] || open[1] || next) {
        const r = await selectAsync([open[0] && recvCase(inputs[0]), open[1] && recvCase(inputs[1]), next && sendCase(out, next)], { timeout: 20_000 });
        if (r.index === 2) {
          sent++;
          next = sent < n ? channelMessage(0, sent, rand, 2048) : undefined;
        } else if (r.closed) open[r.index] = false;
        else checkChannelMessage(r.value, seen, page);
      }
      out.close();
      const worker = await consumer;
      return {
        ...facts,
        received: seen.map((s) => s.length),
        bad: page.bad + worker.bad,
        order: page.order + worker.order,
        consumed: worker.count,
        sent,
      };
    });
  },
});

Object.assign(window.sabreTests, {
  /**
   * Mailbox between the page (async forms only) and 2 workers. Worker A serves `server` with
   * the blocking serve; worker B (blocking request) and the page (requestAsync, `lanes` in
   * flight at once) each make k requests of seeded values, plus `failures` from the page whose
   * handler throws (RemoteError), and two the page gives up on (timeout; abort) before worker A
   * answers them (it holds them until the page sets a word), whose late replies are dropped. The page serves `pageServer` with serveAsync for kPage
   * blocking requests of worker B. Both workers send n tagged messages each to the page's
   * `inbox`: the page takes every "hi" first (receiveAsync with a predicate; the "lo" ones
   * read past are saved), then the rest in order; each producer's messages checked against
   * the exact sequence it sent. On the page, request, receive and serve throw
   * BlockingNotAllowedError.
   */
  async mailbox({ k = 300, kPage = 100, n = 200, lanes = 12, failures = 3, seed = 0x3b0c5 } = {}) {
    const { Mailbox, RemoteError } = sabre;
    const region = Region.create({ size: 1 << 21 });
    const server = Mailbox.create(region, { capacity: 32, bufferBytes: 4096, name: "server (worker A)" });
    const pageServer = Mailbox.create(region, { capacity: 32, bufferBytes: 4096, name: "page server" });
    const inbox = Mailbox.create(region, { capacity: 64, bufferBytes: 4096, name: "page inbox" });
    const blocking = [
      await thrown(() => server.request({ from: 0, seq: -1, v: 0 })),
      await thrown(() => inbox.receive()),
      await thrown(() => pageServer.serve(serveValue)),
    ];
    // what each producer (1: worker A, 2: worker B) sends to the inbox, split by tag
    const expected = { hi: [[], [], []], lo: [[], [], []] };
    let minSaved = 0; // lo messages a producer sent before its last hi: read past, so saved
    for (const p of [1, 2]) {
      for (let seq = 0; seq < n; seq++) expected[tagOf(seed, p, seq)][p].push(seq);
      const lastHi = expected.hi[p].at(-1) ?? -1;
      minSaved += expected.lo[p].filter((seq) => seq < lastHi).length;
    }
    return withWorkers(2, async ([a, b]) => {
      const served = a.call("mbServe", { server: server.handle, inbox: inbox.handle, producer: 1, n, seed });
      const requester = b.call("mbRequest", {
        server: server.handle, pageServer: pageServer.handle, inbox: inbox.handle, producer: 2, n, k, kPage, seed,
      });
      const pageServed = pageServer.serveAsync(async (x) => {
        if (x.seq % 4 === 0) await sleep(0); // answer some after a task boundary
        return serveValue(x);
      });

      // selective receive: every "hi" first, then the rest; each as the producer sent it
      const selective = (async () => {
        const got = { hi: [[], [], []], lo: [[], [], []] };
        let bad = 0;
        const hiTotal = expected.hi[1].length + expected.hi[2].length;
        const loTotal = expected.lo[1].length + expected.lo[2].length;
        for (let i = 0; i < hiTotal; i++) {
          const m = await inbox.receiveAsync((x) => x.tag === "hi", { timeout: 20_000 });
          if (m?.tag !== "hi" || (m.p !== 1 && m.p !== 2)) bad++;
          else got.hi[m.p].push(m.seq);
        }
        const savedAfterHi = inbox.saved;
        for (let i = 0; i < loTotal; i++) {
          const m = await inbox.receiveAsync({ timeout: 20_000 });
          if (m?.tag !== "lo" || (m.p !== 1 && m.p !== 2)) bad++;
          else got.lo[m.p].push(m.seq);
        }
        const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
        return {
          hi: [1, 2].map((p) => same(got.hi[p], expected.hi[p])),
          lo: [1, 2].map((p) => same(got.lo[p], expected.lo[p])),
          received: got.hi[1].length + got.hi[2].length + got.lo[1].length + got.lo[2].length,
          bad,
          savedAfterHi,
        };
      })();

      // given up before the reply: a timeout, then an abort while queued behind the held one;
      // their late replies must be dropped, never reach the requests below
      const hold = region.alloc(4);
      const holdWord = new Int32Array(region.memory.buffer, hold, 1);
      const timedOut = await thrown(() => server.requestAsync({ from: 0, seq: -1, v: 1, hold }, { timeout: 30 }));
      const ac = new AbortController();
      const abortable = server.requestAsync({ from: 0, seq: -2, v: 2, hold }, { signal: ac.signal });
      await sleep(5);
      ac.abort(new Error("stop"));
      const aborted = await thrown(() => abortable);
      Atomics.store(holdWord, 0, 1);
      Atomics.notify(holdWord, 0);

      // the handler throws: RemoteError with the remote name and message, in flight with the rest
      const failed = Array.from({ length: failures }, (_, i) =>
        server.requestAsync({ from: 0, seq: k + i, v: 0, boom: true }, { timeout: 20_000 }).then(
          () => "resolved",
          (e) => (e instanceof RemoteError && e.name === "RemoteError" && e.remoteName === "RangeError" && e.remoteMessage === `boom ${k + i}`
            ? "RemoteError"
            : `${e?.name}: ${e?.message}`),
        ),
      );

      // k requests, `lanes` in flight at once; each reply counted by its seq
      const counts = new Int32Array(k);
      let next = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      let mismatched = 0;
      const lane = async () => {
        while (next < k) {
          const seq = next++;
          const v = requestValue(seed, 0, seq);
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          const r = await server.requestAsync({ from: 0, seq, v }, { timeout: 20_000 });
          inFlight--;
          if (Number.isInteger(r?.seq) && r.seq >= 0 && r.seq < k) counts[r.seq]++;
          if (!replyMatches(r, 0, seq, v)) mismatched++;
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));
      const failedResults = await Promise.all(failed);
      const workerB = await requester;
      server.close(); // worker A's serve drains and returns its count
      const workerA = await served;
      pageServer.close();
      const pageServedCount = await pageServed;
      const sel = await selective;
      inbox.close();
      const afterClose = await thrown(() => inbox.receiveAsync({ timeout: 20_000 }));
      const tryAfterClose = inbox.tryReceive();
      Mailbox.freeReplyInboxes(region);
      region.free(hold);
      const lens = [server.len, pageServer.len, inbox.len];
      for (const mb of [server, pageServer, inbox]) mb.free();
      return {
        nativeWaitAsync: sabre.nativeWaitAsync,
        blocking,
        page: {
          replies: counts.reduce((s, c) => s + c, 0),
          once: counts.every((c) => c === 1),
          mismatched,
          maxInFlight,
          failed: failedResults,
          timedOut,
          aborted,
        },
        workerB,
        servedByA: workerA.served,
        servedByPage: pageServedCount,
        selective: { ...sel, expected: 2 * n, minSaved },
        afterClose,
        tryAfterClose,
        lens,
      };
    });
  },
});

Object.assign(window.sabreTests, {
  /**
   * Aborted async waits do not keep their regions alive: `n` regions one after another, each
   * with a Channel whose recvAsync parks (natively, Atomics.waitAsync) and is aborted, then
   * dropped. A page holds about 125 wasm memories at once, so more than that many succeed only
   * if the aborted waits let their memories go (within the parker's abortable slice: the loop
   * pauses past it every `pauseEvery` regions). Resolves to how many regions were made, the
   * aborts seen, and the first error's name and message (none when all were made).
   */
  async abortedWaits({ n = 300, pauseEvery = 50, pauseMs = 1300 } = {}) {
    let made = 0;
    let aborted = 0;
    try {
      for (let i = 0; i < n; i++) {
        if (i > 0 && i % pauseEvery === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        const region = Region.create({ size: 1 << 16 });
        const ch = Channel.create(region, { capacity: 1 });
        const controller = new AbortController();
        const pending = ch.recvAsync({ signal: controller.signal });
        await new Promise((resolve) => setTimeout(resolve, 1)); // parked by now
        controller.abort();
        if ((await pending.then(() => "value", (error) => error.name)) === "AbortError") aborted++;
        made++;
      }
      return { made, aborted, error: null };
    } catch (error) {
      return { made, aborted, error: `${error.name}: ${error.message}` };
    }
  },
});

window.sabreReady = true;
