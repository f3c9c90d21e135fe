// examples/channel-batch.mjs — batches end to end: a worker sends with sendMany (batch frames:
// many messages per frame, each still one message of the channel's capacity), the main thread
// takes what is there with recvManyAsync (up to 64 at a time, decoded in one codec call).
import { isMainThread } from "node:worker_threads";
import { Region, Channel } from "sabre";
import { startWorker, workerInput } from "sabre/node";

if (isMainThread) {
  const region = Region.create({ size: 1 << 20 });
  const points = Channel.create(region, { capacity: 256 });
  const { exited } = startWorker(new URL(import.meta.url), { data: { points: points.handle } });
  let count = 0;
  let sum = 0;
  // an empty batch: the channel is closed and drained
  for (let batch; (batch = await points.recvManyAsync(64, { timeout: 10_000 })).length > 0; ) {
    count += batch.length;
    for (const p of batch) sum += p.x;
  }
  await exited;
  console.log(count, sum); // 1000 499500
} else {
  const points = Channel.from(workerInput().points);
  for (let i = 0; i < 1000; i += 100) points.sendMany(Array.from({ length: 100 }, (_, j) => ({ x: i + j, y: 0 })));
  points.close();
}
