// party-death.test.ts — a thread or a process killed at a random (seeded) moment, in each case
// of README's "When a party dies": holding a mutex, mid-send of a fragmented message, blocked
// in recv, mid-receive of a fragmented message, inside a mailbox request as client and as server (the cases are written once, for
// every host, in test/fixtures/party-death-cases.mjs). Each trial starts a victim
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
import { CASES, countsLine, newCounts, rng, sleep } from "../fixtures/party-death-cases.mjs";

const fixture = new URL("../fixtures/party-death.mjs", import.meta.url);
const SEED = 0x0dead5;
const heavy = stressMultiplier() >= 10;
const TRIALS = { thread: heavy ? 200 : stressLevel(6), process: heavy ? 200 : stressLevel(3) };
/** A wait longer than any recovery can take (liveness interval + lock slice, on a loaded machine). */
const WAIT = { timeout: 10_000 };
const sabre = { Channel, Mailbox, Mutex, OwnerDeadError, PeerGoneError, TimeoutError };

type Host = "thread" | "process";
type Counts = ReturnType<typeof newCounts>;
const report: Record<string, Counts> = {};

interface Victim {
  kill(): Promise<void>;
  words: Int32Array;
}

async function start(host: Host, region: Region, data: Record<string, unknown>): Promise<Victim> {
  const at = region.alloc(16);
  const words = new Int32Array(region.memory.buffer, at, 4);
  const all = { ...data, region, at };
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

/** What the shared cases need of a host (party-death-cases.mjs). */
function hostOf(host: Host) {
  return {
    sabre,
    wait: WAIT,
    region: () => (host === "thread" ? Region.create({ size: 1 << 18 }) : createRegion({ size: 1 << 18 })),
    start: (region: Region, data: Record<string, unknown>) => start(host, region, data),
    // threads: async (the host's exit report runs); processes: blocking (the liveness sweep in the futex parker's slices)
    lock: async (mutex: Mutex) => (host === "thread" ? mutex.lockAsync(WAIT) : mutex.lock(WAIT)),
  };
}

/** Runs case `role` n times with a seeded delay before the kill; counts what it says. */
async function trials(name: string, host: Host, role: keyof typeof CASES): Promise<Counts> {
  const c = (report[`${name} (${host})`] ??= newCounts());
  const random = rng(SEED ^ name.length ^ (host === "thread" ? 0 : 0x1000));
  for (let i = 0; i < TRIALS[host]; i++) {
    c.trials++;
    await CASES[role](hostOf(host), random() * (host === "thread" ? 8 : 30), c);
  }
  expect(c.hung + c.lost + c.torn).toBe(0);
  return c;
}

afterAll(() => {
  console.log("party death, per case: recovered / hung / lost / torn (of trials; owner-died and PeerGoneError seen)");
  for (const [name, c] of Object.entries(report)) console.log(countsLine(name, c));
});

describe("a party killed at a random moment", { timeout: 120_000 * stressMultiplier() }, () => {
  for (const host of ["thread", "process"] as const) {
    it(`${host}: holding a mutex — the next locker gets it (OwnerDeadError when it died holding it), state repaired`, async () => {
      await trials("holding a mutex", host, "mutex");
    });

    it(`${host}: mid-send of a fragmented message — never delivered torn, nothing completed lost, the channel stays usable`, async () => {
      await trials("mid-send of a fragmented message", host, "send");
    });

    it(`${host}: blocked in recv — a value sent afterwards reaches a live receiver`, async () => {
      await trials("blocked in recv", host, "recv");
    });

    it(`${host}: mid-receive of a fragmented message — the others get every later message, whole, in order`, async () => {
      await trials("mid-receive of a fragmented message", host, "drain");
    });

    it(`${host}: inside a request as client — the server's mailbox is not poisoned`, async () => {
      const c = await trials("inside a request as client", host, "client");
      expect(c.peerGone).toBe(0);
    });

    it(`${host}: inside a request as server — the client's request fails with PeerGoneError (or has its reply), never hangs`, async () => {
      await trials("inside a request as server", host, "server");
    });
  }
});
