// worker.js — a worker of the demo's pool (a module Web Worker). It attaches to the page's
// region, then loops: pop a work item from the `work` RingBuffer (blocking: a worker may
// block), compute on it, push the item back on the `results` ring, count it in its own shared
// word. When the page closes the work ring, pop throws ClosedError once the ring is drained
// and the worker says goodbye. Everything it touches is shared memory; the only messages are
// the handles at start and "done" at the end.
import { ClosedError, Region, RingBuffer } from "../dist/browser/sabre.js";

self.onmessage = ({ data }) => {
  const { region: regionHandle, work: workHandle, results: resultsHandle, stats, index, cost } = data;
  const region = Region.from(regionHandle);
  const work = RingBuffer.from(workHandle);
  const results = RingBuffer.from(resultsHandle);
  const counter = new Int32Array(region.memory.buffer, stats, 64);
  for (;;) {
    let item;
    try {
      item = work.pop();
    } catch (error) {
      if (error instanceof ClosedError) break;
      throw error;
    }
    // the "work": `cost` rounds of xorshift seeded by the item (CPU only, no allocation)
    let x = item | 1;
    for (let i = 0; i < cost; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    if (x === 0) counter[63] = x; // keeps the loop from being optimised away; never true
    results.push(item);
    Atomics.add(counter, index, 1);
  }
  work.detach();
  results.detach();
  self.postMessage({ done: true, index });
};
