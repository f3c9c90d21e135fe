// worker.js — the Web Worker of the browser tests (a module worker; imports the prebuilt
// dist/browser/sabre.js). It answers { id, op, args } messages from harness.js with
// { id, result } or { id, error: { name, message } }, one at a time. Workers may block, so the
// ops here use the blocking forms (lock, acquire, push, pop) that the main thread may not.
import * as sabre from "/dist/browser/sabre.js";
import { channelMessage, checkChannelMessage } from "./channel-stress.js";
import { replyMatches, requestValue, serveValue, tagOf } from "./mailbox-scenario.js";

const { Region, Mutex, Semaphore, RingBuffer, ByteRing, Channel, Mailbox, ClosedError } = sabre;

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

/** Seeded PRNG (mulberry32): the same choices on every run of a seed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Item of the ring stress: producer id in the top byte, sequence number 1..n below. */
const mix = (v) => Math.imul(v, 0x9e3779b1) >>> 0;

Object.assign(ops, {
  /**
   * Ring stress producer: pushes (id << 24 | seq) for seq = 1..n, choosing per item (seeded)
   * between a blocking push, a tryPush loop that falls back to push, and pushMany of a few.
   */
  ringProduce({ ring, id, n, seed }) {
    const r = RingBuffer.from(ring);
    const rand = prng(seed);
    const batch = new Int32Array(8);
    for (let seq = 1; seq <= n; ) {
      const choice = rand();
      if (choice < 0.4) {
        r.push((id << 24) | seq++, { timeout: 20_000 });
      } else if (choice < 0.7) {
        let spins = 0;
        while (!r.tryPush((id << 24) | seq)) if (++spins === 64) { r.push((id << 24) | seq, { timeout: 20_000 }); break; }
        seq++;
      } else {
        const k = Math.min(batch.length, n - seq + 1);
        for (let i = 0; i < k; i++) batch[i] = (id << 24) | (seq + i);
        const pushed = r.pushMany(batch.subarray(0, k)); // may push fewer (full), never waits
        seq += pushed;
        if (pushed === 0) r.push((id << 24) | seq++, { timeout: 20_000 });
      }
    }
    r.detach();
    return {};
  },

  /**
   * Ring stress consumer: pops until the ring is closed and drained (pop, tryPop, popMany,
   * seeded); marks each item in a shared bitmap (a second mark is a duplicate), checks that
   * each producer's items arrive in increasing order, sums a checksum.
   */
  ringConsume({ ring, bitmap, n, seed }) {
    const r = RingBuffer.from(ring);
    const bits = new Int32Array(r.region.memory.buffer, bitmap, Math.ceil((4 * n) / 32));
    const rand = prng(seed);
    const last = [0, 0, 0, 0];
    const out = { count: 0, checksum: 0, order: 0, dups: 0, bad: 0 };
    const into = new Int32Array(8);
    const take = (v) => {
      const id = v >>> 24;
      const seq = v & 0xffffff;
      if (id > 3 || seq < 1 || seq > n) { out.bad++; return; }
      if (seq <= last[id]) out.order++;
      last[id] = seq;
      const bit = id * n + seq - 1;
      if (Atomics.or(bits, bit >> 5, 1 << (bit & 31)) & (1 << (bit & 31))) out.dups++;
      out.count++;
      out.checksum += mix(v);
    };
    try {
      for (;;) {
        const choice = rand();
        if (choice < 0.4) take(r.pop({ timeout: 20_000 }));
        else if (choice < 0.7) {
          const v = r.tryPop();
          take(v === undefined ? r.pop({ timeout: 20_000 }) : v);
        } else {
          const k = r.popMany(into);
          if (k === 0) take(r.pop({ timeout: 20_000 }));
          for (let i = 0; i < k; i++) take(into[i]);
        }
      }
    } catch (error) {
      if (!(error instanceof ClosedError)) throw error;
    }
    r.detach();
    return out;
  },

  /**
   * ByteRing producer (SPSC): n frames of 1..maxLen bytes; frame i carries i in its first 4
   * bytes (little-endian) and bytes (i * 31 + j) & 255 after; then closes the ring.
   */
  byteProduce({ ring, n, maxLen, seed }) {
    const r = ByteRing.from(ring);
    const rand = prng(seed);
    for (let i = 1; i <= n; i++) {
      const len = 4 + Math.floor(rand() * (maxLen - 4));
      const frame = new Uint8Array(len);
      new DataView(frame.buffer).setUint32(0, i, true);
      for (let j = 4; j < len; j++) frame[j] = (i * 31 + j) & 255;
      if (rand() < 0.5 || !r.tryWrite(frame)) r.write(frame, { timeout: 20_000 });
    }
    r.close();
    return {};
  },

  /** ByteRing consumer: reads until closed and drained; checks order, length and bytes. */
  byteConsume({ ring }) {
    const r = ByteRing.from(ring);
    const out = { count: 0, bad: 0, bytes: 0 };
    try {
      for (;;) {
        const f = r.read({ timeout: 20_000 });
        const i = new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0, true);
        let ok = i === out.count + 1;
        for (let j = 4; j < f.length && ok; j++) ok = f[j] === ((i * 31 + j) & 255);
        if (!ok) out.bad++;
        out.count++;
        out.bytes += f.length;
      }
    } catch (error) {
      if (!(error instanceof ClosedError)) throw error;
    }
    return out;
  },
});

Object.assign(ops, {
  /** Channel stress producer: count messages, blocking send or a trySend loop (seeded). */
  chanProduce({ channel, id, count, seed }) {
    const ch = Channel.from(channel);
    const rand = prng(seed);
    for (let seq = 0; seq < count; seq++) {
      const m = channelMessage(id, seq, rand, ch.bufferBytes);
      if (rand() < 0.7) ch.send(m, { timeout: 20_000 });
      else {
        let spins = 0;
        while (!ch.trySend(m)) if (++spins === 64) { ch.send(m, { timeout: 20_000 }); break; }
      }
    }
    return {};
  },

  /** Channel stress consumer: recv / tryRecv (seeded) until closed and drained. */
  chanConsume({ channel, producers, seed }) {
    const ch = Channel.from(channel);
    const rand = prng(seed);
    const seen = Array.from({ length: producers }, () => []);
    const out = { count: 0, bad: 0, order: 0, bytes: 0 };
    try {
      for (;;) {
        if (rand() < 0.3) {
          const r = ch.tryRecv();
          if (r.ok) { checkChannelMessage(r.value, seen, out); continue; }
          if (r.closed) break;
        }
        checkChannelMessage(ch.recv({ timeout: 20_000 }), seen, out);
      }
    } catch (error) {
      if (!(error instanceof ClosedError)) throw error;
    }
    return { ...out, seen };
  },
});

Object.assign(ops, {
  /**
   * Mailbox scenario, worker A: sends its n tagged messages { p, seq, tag } to the page's
   * inbox (send or a trySend loop, seeded), then serves requests on `server` with the
   * blocking serve (serveValue: a reply, or a RangeError for `boom`) until the page closes it.
 * A request with `hold` (a word's offset) waits until the page sets that word.
   */
  mbServe({ server, inbox, producer, n, seed }) {
    const mb = Mailbox.from(server);
    const out = Mailbox.from(inbox);
    const rand = prng(seed + producer);
    for (let seq = 0; seq < n; seq++) {
      const m = { p: producer, seq, tag: tagOf(seed, producer, seq) };
      if (rand() < 0.5) out.send(m, { timeout: 20_000 });
      else {
        let spins = 0;
        while (!out.trySend(m)) if (++spins === 64) { out.send(m, { timeout: 20_000 }); break; }
      }
    }
    const words = new Int32Array(mb.region.memory.buffer);
    return {
      served: mb.serve((x) => {
        // a request with `hold` is answered only once the page sets that word (after it gave up)
        if (x.hold) while (Atomics.load(words, x.hold >> 2) === 0) Atomics.wait(words, x.hold >> 2, 0, 1000);
        return serveValue(x);
      }),
    };
  },

  /**
   * Mailbox scenario, worker B: interleaves its n tagged messages to the page's inbox with k
   * blocking requests to worker A's `server` and kPage to the page's `pageServer` (served by
   * serveAsync); checks every reply against its request.
   */
  mbRequest({ server, pageServer, inbox, producer, n, k, kPage, seed }) {
    const a = Mailbox.from(server);
    const page = Mailbox.from(pageServer);
    const out = Mailbox.from(inbox);
    const res = { okA: 0, badA: 0, okPage: 0, badPage: 0 };
    for (let i = 0; i < Math.max(n, k, kPage); i++) {
      if (i < n) out.send({ p: producer, seq: i, tag: tagOf(seed, producer, i) }, { timeout: 20_000 });
      if (i < k) {
        const v = requestValue(seed, producer, i);
        if (replyMatches(a.request({ from: producer, seq: i, v }, { timeout: 20_000 }), producer, i, v)) res.okA++;
        else res.badA++;
      }
      if (i < kPage) {
        const v = requestValue(seed + 1, producer, i);
        if (replyMatches(page.request({ from: producer, seq: i, v }, { timeout: 20_000 }), producer, i, v)) res.okPage++;
        else res.badPage++;
      }
    }
    Mailbox.freeReplyInboxes(a.region);
    return res;
  },
});

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
