// examples/two-threads.mjs — the README's first example: two threads share a region, a
// Mutex guards a plain counter, and a RingBuffer carries numbers from a worker to the main
// thread. Run: node examples/two-threads.mjs (after `npm install`, which builds the package)
import { isMainThread } from "node:worker_threads";
import { Region, Mutex, RingBuffer } from "sabre";
import { startWorker, workerInput } from "sabre/node";

const COUNT = 1000;

if (isMainThread) {
  const region = Region.create({ size: 64 * 1024 });
  const mutex = Mutex.create(region);
  const ring = RingBuffer.create(region, { capacity: 256 });
  const counter = new Int32Array(region.memory.buffer, region.alloc(4), 1);

  // Handles are plain, structured-cloneable objects: pass them in workerData.
  const { exited } = startWorker(new URL(import.meta.url), {
    data: { region: region.handle, mutex: mutex.handle, ring: ring.handle, counterOffset: counter.byteOffset },
  });

  let sum = 0;
  for (let i = 0; i < COUNT; i++) {
    sum += ring.pop({ timeout: 10_000 }); // blocks (spin, then park) until the worker pushes
    const guard = mutex.lock();           // in TypeScript: `using _ = mutex.lock();`
    try {
      counter[0] += 1;                    // a plain read-modify-write, safe under the lock
    } finally {
      guard.unlock();
    }
  }
  await exited;
  console.log(`sum=${sum} counter=${counter[0]}`); // sum=500500 counter=2000
} else {
  const { region, mutex, ring, counterOffset } = workerInput();
  const lock = Mutex.from(mutex);
  const numbers = RingBuffer.from(ring);
  const counter = new Int32Array(Region.from(region).memory.buffer, counterOffset, 1);
  for (let i = 1; i <= COUNT; i++) {
    numbers.push(i); // blocks while the ring is full
    const guard = lock.lock();
    counter[0] += 1;
    guard.unlock();
  }
}
