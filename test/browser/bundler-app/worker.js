// worker.js — the worker of the bundler test app (see main.js): imports "sabre" by name, as a
// bundled worker may; receives the region, mutex and channels with attachWorkerData, adds each
// job to the shared counter under the mutex and replies with the sum of the jobs.
import { attachWorkerData } from "sabre";

const { region, lock, jobs, sums, counterOffset, n } = await attachWorkerData();
const counter = new Int32Array(region.memory.buffer, counterOffset, 1);
let sum = 0;
for (let i = 0; i < n; i++) {
  const job = jobs.recv({ timeout: 30_000 });
  const guard = lock.lock({ timeout: 30_000 });
  counter[0] += job;
  guard.unlock();
  sum += job;
}
sums.send(sum, { timeout: 30_000 });
