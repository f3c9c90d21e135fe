// party-death.js — the page side of the party-death browser tests (test/browser/party-death.test.ts;
// loaded by party-death.html as a module from the prebuilt dist/browser/sabre.js). Each entry of
// `window.sabreTests` runs `trials` trials of one case of README's "When a party dies" (the cases
// of test/fixtures/party-death-cases.mjs, shared with the Node test): it starts a victim Web
// Worker (party-death-worker.js) with spawnWorker, lets it run for a seeded random delay,
// terminates it (spawned.terminate(), or worker.terminate() + workerDied for a plain
// `new Worker`), and checks the survivor (this page, async forms only: it may never block).
// Every wait has a timeout, and a timeout counts as hung. Args: { trials, seed, parallel }.
// Each entry resolves to its counts:
//   { trials, recovered, hung, lost, torn, ownerDied, peerGone, unexpected: [error names] }
import * as sabre from "/dist/browser/sabre.js";
import { CASES, newCounts, rng, sleep } from "/test/fixtures/party-death-cases.mjs";

const { Region, spawnWorker, toWire, workerDied } = sabre;
const victimUrl = new URL("./party-death-worker.js", import.meta.url);
/** A wait longer than any recovery can take (a lock slice, on a loaded machine). */
const WAIT = { timeout: 10_000 };
const MAX_DELAY_MS = 8;

/** Waits until the victim says it is inside its loop ([3] = 1). */
async function started(words) {
  for (let i = 0; Atomics.load(words, 3) === 0; i++) {
    if (i > 3000) throw new Error("the victim never started");
    await sleep(5);
  }
}

/** Starts the victim with spawnWorker; kill() is spawned.terminate(). */
async function start(region, data) {
  const at = region.alloc(16);
  const words = new Int32Array(region.memory.buffer, at, 4);
  const spawned = spawnWorker(victimUrl, { data: { ...data, region, at }, onCrash: () => {} });
  await started(words);
  return { words, kill: () => spawned.terminate() };
}

/** Starts the victim as a plain `new Worker` given handles; kill() terminates it and calls workerDied. */
async function startPlain(region, data) {
  const at = region.alloc(16);
  const words = new Int32Array(region.memory.buffer, at, 4);
  const worker = new Worker(new URL("?plain", victimUrl), { type: "module" });
  const thread = new Promise((resolve) => worker.addEventListener("message", (e) => resolve(e.data.thread), { once: true }));
  worker.postMessage(toWire({ ...data, region, at }));
  const id = await thread;
  await started(words);
  return {
    words,
    kill: async () => {
      worker.terminate();
      await workerDied(id);
    },
  };
}

/** What the shared cases need of this host (party-death-cases.mjs): the page waits only asynchronously. */
function host(begin) {
  return { sabre, wait: WAIT, region: () => Region.create({ size: 1 << 18 }), start: begin, lock: (mutex) => mutex.lockAsync(WAIT) };
}

/**
 * Runs case `role` `trials` times with seeded delays, `parallel` at a time (each in its own
 * region: Chromium lets a terminated worker that is busy run on for up to 2 s, and the page
 * waits for that before it reports the death); returns the counts, and what was thrown as
 * `unexpected` (an outcome the rules never allow).
 */
function trials(role, begin = start) {
  return async ({ trials: n, seed, parallel = 1 }) => {
    const c = { ...newCounts(), unexpected: [] };
    const random = rng(seed);
    const delays = Array.from({ length: n }, () => random() * MAX_DELAY_MS);
    const one = async (delay) => {
      c.trials++;
      try {
        await CASES[role](host(begin), delay, c);
      } catch (error) {
        c.unexpected.push(`${error?.name}: ${error?.message}`);
      }
    };
    for (let i = 0; i < n; i += parallel) await Promise.all(delays.slice(i, i + parallel).map(one));
    return c;
  };
}

window.sabreTests = {
  mutex: trials("mutex"),
  send: trials("send"),
  recv: trials("recv"),
  drain: trials("drain"),
  client: trials("client"),
  server: trials("server"),
  /** The mutex case for a plain `new Worker`, reported with workerDied(its watchedThreadId()). */
  plainMutex: trials("mutex", startPlain),
  /** workerDied refuses bad input with named errors. */
  async workerDiedInput() {
    const outcome = (p) => p.then(() => ({ name: "no error" }), (e) => ({ name: e.name, message: e.message }));
    return { negative: await outcome(workerDied(-1)), misspelt: await outcome(workerDied(1, { crashd: true })) };
  },
};

window.sabreReady = true;
