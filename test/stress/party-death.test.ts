// party-death.test.ts — a thread or a process killed at a random (seeded) moment, in each case
// of README's "When a party dies": holding a mutex, mid-send of a fragmented message, blocked
// in recv, mid-receive of a fragmented message, inside a mailbox request as client and as
// server. Each trial starts a victim
// (test/fixtures/party-death.mjs) as a worker thread (spawnWorker, killed with terminate()) or
// a child process (spawnProcess, killed with SIGKILL), kills it after a random delay, and then
// checks the survivor (this thread): done, or told PeerGoneError where the rules say so; never
// hung (every wait has a timeout: a timeout counts as hung); no message lost; none torn. The
// counts are printed per case. Trials: a few by default, 200 per case under SABRE_STRESS=heavy.
import { afterAll, describe, expect, it } from "vitest";
import {
  Channel, Mailbox, Mutex, OwnerDeadError, PeerGoneError, Region, TimeoutError, createRegion, spawnProcess, spawnWorker,
} from "sabre/node";
import { stressLevel, stressMultiplier } from "../fixtures/stress-level";

const fixture = new URL("../fixtures/party-death.mjs", import.meta.url);
const SEED = 0x0dead5;
const heavy = stressMultiplier() >= 10;
const TRIALS = { thread: heavy ? 200 : stressLevel(6), process: heavy ? 200 : stressLevel(3) };
/** A wait longer than any recovery can take (liveness interval + lock slice, on a loaded machine). */
const WAIT = { timeout: 10_000 };
const SIZE = 5000; // bytes of a fragmented message (the channel's ring is 4 KiB)

type Host = "thread" | "process";
interface Counts {
  trials: number;
  recovered: number;
  hung: number;
  lost: number;
  torn: number;
  ownerDied: number;
  peerGone: number;
}
const report: Record<string, Counts> = {};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pattern(i: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  new DataView(b.buffer).setInt32(0, i, true);
  for (let k = 4; k < n; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
}
/** The sequence number of an intact message, or -1 if torn. */
function intact(m: Uint8Array): number {
  if (m.length !== SIZE) return -1;
  const i = new DataView(m.buffer, m.byteOffset).getInt32(0, true);
  const want = pattern(i, SIZE);
  for (let k = 0; k < SIZE; k++) if (m[k] !== want[k]) return -1;
  return i;
}

function regionFor(host: Host): Region {
  return host === "thread" ? Region.create({ size: 1 << 18 }) : createRegion({ size: 1 << 18 });
}

interface Victim {
  kill(): Promise<void>;
  words: Int32Array;
}

async function start(host: Host, region: Region, data: Record<string, unknown>): Promise<Victim> {
  const at = region.alloc(16);
  const words = new Int32Array(region.memory.buffer, at, 4);
  const all = { ...data, region, at, size: SIZE };
  let kill: () => Promise<void>;
  if (host === "thread") {
    const w = spawnWorker(fixture, { data: all, onCrash: () => {} });
    kill = () => w.terminate();
  } else {
    const p = spawnProcess(fixture, { data: all, onCrash: () => {}, stdio: "ignore" });
    kill = async () => {
      p.process.kill("SIGKILL");
      await p.exited.catch(() => {});
    };
  }
  for (let i = 0; Atomics.load(words, 3) === 0; i++) {
    if (i > 2000) throw new Error("the victim never started");
    await sleep(5);
  }
  return { kill, words };
}

function counts(name: string): Counts {
  return (report[name] ??= { trials: 0, recovered: 0, hung: 0, lost: 0, torn: 0, ownerDied: 0, peerGone: 0 });
}

/** Runs `trial` n times with a seeded delay before the kill; counts what it says. */
async function trials(name: string, host: Host, trial: (delayMs: number, c: Counts) => Promise<void>): Promise<Counts> {
  const c = counts(`${name} (${host})`);
  const random = rng(SEED ^ name.length ^ (host === "thread" ? 0 : 0x1000));
  for (let i = 0; i < TRIALS[host]; i++) {
    c.trials++;
    await trial(random() * (host === "thread" ? 8 : 30), c);
  }
  return c;
}

const isTimeout = (e: unknown) => e instanceof TimeoutError;

afterAll(() => {
  console.log("party death, per case: recovered / hung / lost / torn (of trials; owner-died and PeerGoneError seen)");
  for (const [name, c] of Object.entries(report)) {
    console.log(`  ${name}: ${c.recovered} / ${c.hung} / ${c.lost} / ${c.torn} of ${c.trials} (owner died ${c.ownerDied}, PeerGoneError ${c.peerGone})`);
  }
});

describe("a party killed at a random moment", { timeout: 120_000 * stressMultiplier() }, () => {
  for (const host of ["thread", "process"] as const) {
    it(`${host}: holding a mutex — the next locker gets it (OwnerDeadError when it died holding it), state repaired`, async () => {
      const c = await trials("holding a mutex", host, async (delay, c) => {
        const region = regionFor(host);
        const mutex = Mutex.create(region);
        const v = await start(host, region, { role: "mutex", mutex });
        await sleep(delay);
        await v.kill();
        let guard;
        try {
          // threads: async (the host's exit report runs); processes: blocking (the liveness sweep in the futex parker's slices)
          guard = host === "thread" ? await mutex.lockAsync(WAIT) : mutex.lock(WAIT);
        } catch (error) {
          if (isTimeout(error)) return void c.hung++;
          if (!(error instanceof OwnerDeadError) || !error.guard) throw error;
          c.ownerDied++;
          guard = error.guard;
          v.words[1] = v.words[0]; // repair
          guard.markConsistent();
        }
        if (v.words[0] !== v.words[1]) c.torn++;
        guard.unlock();
        expect(mutex.tryLock()?.unlock()).toBeUndefined(); // usable again, and no longer marked
        c.recovered++;
      });
      expect(c.hung + c.lost + c.torn).toBe(0);
    });

    it(`${host}: mid-send of a fragmented message — never delivered torn, nothing completed lost, the channel stays usable`, async () => {
      const c = await trials("mid-send of a fragmented message", host, async (delay, c) => {
        const region = regionFor(host);
        const ch = Channel.create<Uint8Array>(region, { capacity: 4, bufferBytes: 4096, codec: "raw" });
        // this thread sends on it too (the sentinel, after the kill): recorded as a sender now,
        // it is a live sender left when the victim dies; otherwise the drain may be told
        // PeerGoneError first (its only sender crashed: README, "When a party dies"), when
        // the liveness sweep reports the killed process before the sentinel is sent
        await ch.sendAsync(new Uint8Array(1), WAIT);
        await ch.recvAsync(WAIT);
        const v = await start(host, region, { role: "send", ch });
        const seen: number[] = [];
        let torn = 0;
        let done = false;
        const drain = (async () => {
          for (;;) {
            const m = await ch.recvAsync(WAIT);
            if (m.length === 1) return; // the sentinel
            const i = intact(m);
            if (i < 0) torn++;
            else seen.push(i);
          }
        })();
        await sleep(delay);
        await v.kill();
        const completed = Atomics.load(v.words, 2);
        try {
          await ch.sendAsync(new Uint8Array(1), WAIT); // takes the send lock over if the victim held it
          await drain;
          done = true;
        } catch (error) {
          if (!isTimeout(error)) throw error;
        }
        if (!done) return void c.hung++;
        if (torn) c.torn++;
        // every send that returned arrived, in order, once; at most one more (complete, not yet returned)
        const inOrder = seen.every((x, k) => x === k);
        if (!inOrder || seen.length < completed || seen.length > completed + 1) c.lost++;
        c.recovered++;
      });
      expect(c.hung + c.lost + c.torn).toBe(0);
    });

    it(`${host}: blocked in recv — a value sent afterwards reaches a live receiver`, async () => {
      const c = await trials("blocked in recv", host, async (delay, c) => {
        const region = regionFor(host);
        const ch = Channel.create<number>(region, { capacity: 1 });
        // this thread receives on it too (a live receiver is left when the victim dies)
        await ch.sendAsync(0, WAIT);
        await ch.recvAsync(WAIT);
        const v = await start(host, region, { role: "recv", ch });
        await sleep(delay);
        await v.kill();
        try {
          await ch.sendAsync(42, WAIT);
          const got = await ch.recvAsync(WAIT); // takes the recv lock over from the dead receiver
          if (got !== 42) c.lost++;
          c.recovered++;
        } catch (error) {
          if (!isTimeout(error)) throw error;
          c.hung++;
        }
      });
      expect(c.hung + c.lost + c.torn).toBe(0);
    });

    it(`${host}: mid-receive of a fragmented message — the others get every later message, whole, in order`, async () => {
      const c = await trials("mid-receive of a fragmented message", host, async (delay, c) => {
        const region = regionFor(host);
        const ch = Channel.create<Uint8Array>(region, { capacity: 4, bufferBytes: 4096, codec: "raw" });
        // this thread receives on it too (a live receiver is left when the victim dies)
        await ch.sendAsync(new Uint8Array(1), WAIT);
        await ch.recvAsync(WAIT);
        const v = await start(host, region, { role: "drain", ch });
        // this thread sends until the victim is killed, three more, then a 1-byte sentinel
        let stop = false;
        const sending = (async () => {
          let i = 0;
          for (; !stop; i++) await ch.sendAsync(pattern(i, SIZE), WAIT);
          for (let k = 0; k < 3; k++, i++) await ch.sendAsync(pattern(i, SIZE), WAIT);
          await ch.sendAsync(new Uint8Array(1), WAIT);
          return i;
        })();
        await sleep(delay);
        await v.kill();
        stop = true;
        // the victim received 0 .. completed-1 whole; the one it was reading when killed is
        // re-delivered (nothing of it consumed) or dropped (its first fragment consumed)
        const completed = Atomics.load(v.words, 2);
        const seen: number[] = [];
        let torn = 0;
        let sent = 0;
        try {
          for (;;) {
            const m = await ch.recvAsync(WAIT); // takes the recv lock over if the victim held it
            if (m.length === 1) break;
            const i = intact(m);
            if (i < 0) torn++;
            else seen.push(i);
          }
          sent = await sending;
        } catch (error) {
          if (!isTimeout(error)) throw error;
          return void c.hung++;
        }
        if (torn) c.torn++;
        const first = seen[0] ?? sent;
        const contiguous = seen.every((x, k) => x === first + k);
        if (!contiguous || (first !== completed && first !== completed + 1) || seen[seen.length - 1] !== sent - 1) c.lost++;
        c.recovered++;
      });
      expect(c.hung + c.lost + c.torn).toBe(0);
    });

    it(`${host}: inside a request as client — the server's mailbox is not poisoned`, async () => {
      const c = await trials("inside a request as client", host, async (delay, c) => {
        const region = regionFor(host);
        const mb = Mailbox.create<number>(region);
        let answered = 0;
        const serving = mb.serveAsync((x) => {
          answered++;
          return 2 * x;
        });
        const v = await start(host, region, { role: "client", mb });
        await sleep(delay);
        await v.kill();
        try {
          // the server (this thread) is unaffected: a plain message still goes in and comes out
          await mb.sendAsync(-1, WAIT);
          mb.close();
          const served = await serving;
          expect(served).toBe(answered);
          expect(mb.readerGone).toBe(false);
          // no answered request went unrecorded by more than the one in flight
          if (answered < Atomics.load(v.words, 2)) c.lost++;
          c.recovered++;
        } catch (error) {
          if (error instanceof PeerGoneError) return void c.peerGone++;
          if (!isTimeout(error)) throw error;
          c.hung++;
        }
      });
      expect(c.hung + c.lost + c.torn + c.peerGone).toBe(0);
    });

    it(`${host}: inside a request as server — the client's request fails with PeerGoneError (or has its reply), never hangs`, async () => {
      const c = await trials("inside a request as server", host, async (delay, c) => {
        const region = regionFor(host);
        const mb = Mailbox.create<number>(region);
        const v = await start(host, region, { role: "server", mb });
        let replies = 0;
        let hung = false;
        const client = (async () => {
          for (let i = 1; ; i++) {
            try {
              if ((await mb.requestAsync<number>(i, WAIT)) !== 2 * i) c.torn++;
              replies++;
            } catch (error) {
              if (error instanceof PeerGoneError) c.peerGone++;
              else if (isTimeout(error)) hung = true;
              else throw error;
              return;
            }
          }
        })();
        await sleep(delay);
        await v.kill();
        await client;
        if (hung) return void c.hung++;
        if (replies > Atomics.load(v.words, 2)) c.lost++; // a reply no server produced
        // the next request fails at once: the reader is gone
        await expect(mb.requestAsync(0, WAIT)).rejects.toThrow(PeerGoneError);
        c.recovered++;
      });
      expect(c.hung + c.lost + c.torn).toBe(0);
    });
  }
});
