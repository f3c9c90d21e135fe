// workers.mjs — spawnWorker passes live sabre objects to a worker thread; a worker that
// crashes wakes the peer blocked on its channel with PeerGoneError. Run: node examples/workers.mjs
import { isMainThread } from "node:worker_threads";
import { Region, Channel, Mutex, PeerGoneError } from "sabre";
import { spawnWorker, attachWorkerData } from "sabre/node";

if (isMainThread) {
  const region = Region.create();
  const jobs = Channel.create(region, { capacity: 16 });
  const results = Channel.create(region, { capacity: 1 });
  const lock = Mutex.create(region);

  // Live objects, nested anywhere in objects, arrays and Maps: no .handle, no .from().
  const { exited } = spawnWorker(new URL(import.meta.url), {
    data: { role: "sum", jobs, results, shared: new Map([["lock", lock]]) },
  });
  for (let i = 1; i <= 100; i++) jobs.send(i);
  jobs.close();
  const sum = results.recv({ timeout: 10_000 });
  await exited;

  // A worker that throws: the main thread, blocked in recv, gets PeerGoneError, not a hang.
  const ch = Channel.create(region);
  const crashing = spawnWorker(new URL(import.meta.url), { data: { role: "crash", ch }, onCrash: () => {} });
  let crash = "none";
  try {
    ch.recv({ timeout: 10_000 });
  } catch (error) {
    crash = error instanceof PeerGoneError ? "PeerGoneError" : error.name;
  }
  await crashing.exited.catch(() => {});
  console.log(`sum=${sum} crash=${crash}`); // sum=5050 crash=PeerGoneError
} else {
  const data = await attachWorkerData();
  if (data.role === "sum") {
    let sum = 0;
    for (const n of data.jobs) {
      const guard = data.shared.get("lock").lock(); // a Mutex, attached in this thread
      sum += n;
      guard.unlock();
    }
    data.results.send(sum);
  } else {
    throw new Error("this worker crashes");
  }
}
