// main.js — the page side of the bundler test app, written as a user would with a bundler:
// `import ... from "sabre"` and a worker script next to it. test/browser/bundlers.test.ts
// builds it with Vite and with esbuild and calls window.bundlerTest(form), where form picks how
// spawnWorker gets its worker:
//   "worker"   a Worker made by new Worker(new URL("./worker.js", import.meta.url), { type: "module" })
//              (the pattern Vite recognises and bundles)
//   "factory"  a function returning such a Worker
//   "url"      the URL itself, spawnWorker(new URL("./worker.js", import.meta.url)): works with
//              esbuild (worker.js is its own entry point); Vite inlines the unbundled script,
//              which cannot load — the test expects WorkerLoadError then
// The page sends 1..N on a Channel; the worker adds each to a shared counter under a Mutex
// (the page adds too, under lockAsync) and replies with its sum. The page never blocks.
import { Channel, Mutex, Region, spawnWorker } from "sabre";

const N = 50;

async function outcome(promise) {
  try {
    return { name: "no error", value: await promise };
  } catch (error) {
    return { name: error?.name ?? String(error), message: String(error?.message ?? error) };
  }
}

window.bundlerTest = async (form) => {
  const region = Region.create();
  const lock = Mutex.create(region);
  const jobs = Channel.create(region, { capacity: 8 });
  const sums = Channel.create(region, { capacity: 1 });
  const counterOffset = region.alloc(4);
  const counter = new Int32Array(region.memory.buffer, counterOffset, 1);
  const data = { region, lock, jobs, sums, counterOffset, n: N };
  const spawned =
    form === "worker"
      ? spawnWorker(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), { data })
      : form === "factory"
        ? spawnWorker(() => new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), { data })
        : spawnWorker(new URL("./worker.js", import.meta.url), { data });
  const exited = outcome(spawned.exited);
  try {
    for (let i = 1; i <= N; i++) {
      await jobs.sendAsync(i, { timeout: 30_000 });
      const guard = await lock.lockAsync({ timeout: 30_000 });
      counter[0] += 1;
      guard.unlock();
    }
    const sum = await sums.recvAsync({ timeout: 30_000 });
    await spawned.terminate();
    return { sum, counter: counter[0], expectedSum: (N * (N + 1)) / 2, expectedCounter: (N * (N + 1)) / 2 + N, exited: await exited };
  } catch (error) {
    return { error: { name: error?.name, message: String(error?.message ?? error) }, exited: await exited };
  }
};

window.bundlerReady = true;
