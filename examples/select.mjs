// select.mjs — the README's select example: a worker sends on two channels and closes them;
// the main thread waits on both at once with select (Go's select), switching a case off once
// its channel is closed, until both are.
// Run: node examples/select.mjs   (after `npm install`, which builds the package)
import { isMainThread } from "node:worker_threads";
import { Region, Channel, select, recvCase } from "sabre";
import { startWorker, workerInput } from "sabre/node";

if (isMainThread) {
  const region = Region.create({ size: 1 << 20 });
  const nums = Channel.create(region, { capacity: 4 });
  const words = Channel.create(region, { capacity: 4 });
  const { exited } = startWorker(new URL(import.meta.url), { data: { nums: nums.handle, words: words.handle } });
  let sum = 0;
  let text = "";
  const open = [true, true];
  while (open[0] || open[1]) {
    // a false case is never chosen; r's type follows the cases: index 0 -> number, 1 -> string
    const r = select([open[0] && recvCase(nums), open[1] && recvCase(words)], { timeout: 10_000 });
    if (r.closed) open[r.index] = false;
    else if (r.index === 0) sum += r.value;
    else text += r.value;
  }
  await exited;
  console.log(`sum=${sum} text=${[...text].sort().join("")}`);
} else {
  const { nums, words } = workerInput();
  const [n, w] = [Channel.from(nums), Channel.from(words)];
  for (let i = 1; i <= 10; i++) n.send(i);
  for (const c of "select") w.send(c);
  n.close();
  w.close();
}
