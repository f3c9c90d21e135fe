// examples/quickstart.mjs — a worker thread sums the numbers the main thread sends on a Channel.
import { isMainThread } from "node:worker_threads";
import { Region, Channel } from "sabre";
import { spawnWorker, attachWorkerData } from "sabre/node";

if (isMainThread) {
  const region = Region.create(); // shared memory for the channels
  const numbers = Channel.create(region, { capacity: 16 });
  const total = Channel.create(region, { capacity: 1 });
  const { exited } = spawnWorker(new URL(import.meta.url), { data: { numbers, total } }); // this file, as a worker
  for (let i = 1; i <= 100; i++) numbers.send(i); // blocks while the channel holds 16
  numbers.close();
  console.log(total.recv({ timeout: 10_000 })); // 5050
  await exited;
} else {
  const { numbers, total } = await attachWorkerData(); // the same channels, attached in this thread
  let sum = 0;
  for (const n of numbers) sum += n; // ends when the channel is closed and drained
  total.send(sum);
}
