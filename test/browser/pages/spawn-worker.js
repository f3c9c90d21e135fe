// spawn-worker.js — the Web Worker of the spawnWorker browser tests (a module worker started
// by spawn.js with spawnWorker; imports the prebuilt dist/browser/sabre.js). data.mode:
//   "use"    attach, receive data.n jobs, add each to a counter under the mutex, reply with
//            what the data became and how many messages this worker's own listener saw
//   "throw"  attach, wait a little (the page is waiting in recvAsync), throw
//   "closeHolding"  lock data.lock and end cleanly with self.close() while holding it
import * as sabre from "/dist/browser/sabre.js";

const { Channel, Mutex, Region, attachWorkerData } = sabre;

let ownMessages = 0;
self.onmessage = () => ownMessages++; // spawnWorker's data message must not arrive here

const data = await attachWorkerData();
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

if (data.mode === "use") {
  const [region, map] = data.nested.list;
  const lock = map.get("lock");
  const counter = new Int32Array(region.memory.buffer, data.counterOffset, 1);
  for (let i = 0; i < data.n; i++) {
    const job = data.jobs.recv({ timeout: 30_000 });
    const guard = lock.lock({ timeout: 30_000 });
    counter[0] += job;
    guard.unlock();
  }
  data.reply.send({
    region: region instanceof Region,
    lock: lock instanceof Mutex,
    channels: data.jobs instanceof Channel && data.reply instanceof Channel,
    ownMessages,
  }, { timeout: 30_000 });
} else if (data.mode === "throw") {
  sleep(50);
  throw new Error("boom from the web worker");
} else if (data.mode === "closeHolding") {
  data.lock.lock({ timeout: 30_000 });
  self.close();
}
