// bundled-entry.js — proves the package's "." entry works from a bundler in a browser: the
// browser test bundles this file with esbuild (platform browser), resolving `sabre` through
// package.json "exports" exactly as an application would, and loads the result in
// bundled.html. The same bundle runs as the page and as its Web Worker: the page creates a
// region and a mutex, the worker attaches and increments a counter under the mutex.
import { Mutex, Region, blockingAllowed } from "sabre";

if (typeof window === "undefined") {
  // Web Worker: blocking is allowed here
  self.onmessage = ({ data }) => {
    const m = Mutex.from(data.mutex);
    const view = new Int32Array(m.region.memory.buffer, data.counter, 1);
    for (let i = 0; i < data.n; i++) {
      const g = m.lock();
      view[0] = view[0] + 1;
      g.unlock();
    }
    self.postMessage({ done: true, blockingAllowed });
  };
} else {
  window.bundledResult = (async () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const counter = region.alloc(4);
    const view = new Int32Array(region.memory.buffer, counter, 1);
    const worker = new Worker(import.meta.url, { type: "module" });
    const done = new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    const n = 1000;
    worker.postMessage({ mutex: m.handle, counter, n });
    for (let i = 0; i < n; i++) {
      const g = await m.lockAsync();
      view[0] = view[0] + 1;
      g.unlock();
    }
    const reply = await done;
    worker.terminate();
    return { counter: view[0], expected: 2 * n, workerMayBlock: reply.blockingAllowed, pageMayBlock: blockingAllowed };
  })().catch((error) => ({ error: `${error?.name}: ${error?.message}` }));
}
