// channel.mjs — the README's message-passing example: a worker sends structured values (a Map,
// a Date, a bigint) and one large binary message through a Channel; the main thread receives
// them with for await until the worker closes the channel.
// Run: node examples/channel.mjs   (after `npm install`, which builds the package)
import { isMainThread } from "node:worker_threads";
import { Region, Channel } from "sabre";
import { startWorker, workerInput } from "sabre/node";

if (isMainThread) {
  const region = Region.create({ size: 1 << 20 });
  // capacity counts messages (0 = rendezvous); bufferBytes is the ring the bytes go through
  const jobs = Channel.create(region, { capacity: 8, bufferBytes: 16 * 1024 });
  const { exited } = startWorker(new URL(import.meta.url), { data: { jobs: jobs.handle } });
  let total = 0n;
  let bytes = 0;
  for await (const msg of jobs) {
    if (msg.kind === "blob") bytes += msg.data.length; // 100 kB: fragmented through the 16 KiB ring
    else total += msg.amount;
  }
  await exited;
  console.log(`total=${total} blobBytes=${bytes}`);
} else {
  const { jobs: handle } = workerInput();
  const jobs = Channel.from(handle);
  for (let i = 1; i <= 100; i++) {
    jobs.send({ kind: "job", amount: BigInt(i) * 10n ** 12n, tags: new Map([["i", i]]), at: new Date() });
  }
  jobs.send({ kind: "blob", data: new Uint8Array(100_000) });
  jobs.close(); // the receiver drains what was sent, then its loop ends
}
