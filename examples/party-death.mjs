// examples/party-death.mjs — a worker dies holding a Mutex: the next locker takes the lock over and is told (OwnerDeadError with the guard).
import { isMainThread } from "node:worker_threads";
import { Mutex, OwnerDeadError, Region } from "sabre";
import { attachWorkerData, spawnWorker } from "sabre/node";

if (isMainThread) {
  const region = Region.create();
  const mutex = Mutex.create(region);
  const at = region.alloc(8);
  const pair = new Int32Array(region.memory.buffer, at, 2); // the state the mutex protects: [a, a]
  const worker = spawnWorker(new URL(import.meta.url), { data: { region, mutex, at } });
  while (Atomics.load(pair, 0) === 0) await new Promise((r) => setTimeout(r, 5));
  await worker.terminate(); // killed while holding the lock, halfway through an update

  try {
    mutex.lock({ timeout: 5000 });
  } catch (error) {
    if (!(error instanceof OwnerDeadError)) throw error;
    console.log(`owner died; pair torn: ${pair[0] !== pair[1]}`); // owner died; pair torn: true
    pair[1] = pair[0]; // repair the state, then say so
    error.guard.markConsistent();
    error.guard.unlock();
  }
  const guard = mutex.lock({ timeout: 5000 });
  console.log(`locked again, owner died: ${guard.ownerDied}`); // locked again, owner died: false
  guard.unlock();
} else {
  const { region, mutex, at } = await attachWorkerData();
  const pair = new Int32Array(region.memory.buffer, at, 2);
  mutex.lock();
  Atomics.store(pair, 0, 1); // first half of the update...
  Atomics.wait(pair, 1, 0); // ...and the worker never gets to the second
}
