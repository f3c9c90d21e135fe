// spawn.js — the main-thread side of the spawnWorker browser tests (loaded by spawn.html as a
// module from the prebuilt dist/browser/sabre.js). Each entry of `window.sabreTests` starts a
// Web Worker (spawn-worker.js) with spawnWorker, passing live sabre objects in `data`, and
// resolves to a plain result object that test/browser/spawn.test.ts checks. The page only uses
// async forms: it may never block.
import * as sabre from "/dist/browser/sabre.js";

const { Region, Mutex, Channel, spawnWorker } = sabre;
const workerUrl = new URL("./spawn-worker.js", import.meta.url);

/** Awaits `promise`; returns { name, message } of its rejection, or { name: "no error" }. */
async function outcome(promise) {
  try {
    return { name: "no error", value: await promise };
  } catch (error) {
    return { name: error?.name ?? String(error), message: String(error?.message ?? error) };
  }
}

window.sabreTests = {
  /** Data with a Region, Channels and a Mutex nested in objects, arrays and a Map, used by the worker. */
  async data() {
    const region = Region.create();
    const lock = Mutex.create(region);
    const jobs = Channel.create(region, { capacity: 4 });
    const reply = Channel.create(region, { capacity: 1 });
    const counterOffset = region.alloc(4);
    const n = 20;
    const spawned = spawnWorker(workerUrl, {
      type: "module",
      data: { mode: "use", nested: { list: [region, new Map([["lock", lock]])] }, jobs, reply, counterOffset, n },
    });
    for (let i = 1; i <= n; i++) await jobs.sendAsync(i, { timeout: 30_000 });
    const result = await reply.recvAsync({ timeout: 30_000 });
    await spawned.terminate();
    return {
      result,
      counter: new Int32Array(region.memory.buffer, counterOffset, 1)[0],
      expected: (n * (n + 1)) / 2,
      workerIsWeb: spawned.worker instanceof Worker,
    };
  },

  /** The worker throws while the page waits in recvAsync on a channel passed to it. */
  async crash() {
    const ch = Channel.create(Region.create());
    const crashes = [];
    const spawned = spawnWorker(workerUrl, {
      type: "module",
      data: { mode: "throw", ch },
      onCrash: (error) => crashes.push({ name: error.name, message: error.message }),
    });
    const recv = await outcome(ch.recvAsync({ timeout: 30_000 }));
    const exited = await outcome(spawned.exited);
    return { recv, exited, crashes };
  },
};

window.sabreReady = true;
