// examples/spsc.mjs — a worker streams samples to the main thread through a SpscRing of
// float64, in batches: pushMany copies a whole Float64Array in and publishes it with one
// atomic operation; popMany copies out whatever is there (up to the array's length).
import { isMainThread } from "node:worker_threads";
import { Region, SpscRing } from "sabre";
import { startWorker, workerInput } from "sabre/node";

if (isMainThread) {
  const region = Region.create({ size: 1 << 20 });
  const samples = SpscRing.create(region, { capacity: 1024, type: "float64" });
  const { exited } = startWorker(new URL(import.meta.url), { data: { samples: samples.handle } });
  const into = new Float64Array(256);
  let count = 0;
  let sum = 0;
  try {
    for (;;) {
      const n = samples.popMany(into, { timeout: 10_000 }); // waits for at least one
      for (let i = 0; i < n; i++) sum += into[i];
      count += n;
    }
  } catch (error) {
    if (error.code !== "ERR_SABRE_CLOSED") throw error; // closed and drained: the stream ended
  }
  await exited;
  console.log(count, sum); // 100000 2450000
} else {
  const samples = SpscRing.from(workerInput().samples);
  const batch = new Float64Array(64);
  for (let i = 0; i < 100_000; i += batch.length) {
    for (let j = 0; j < batch.length; j++) batch[j] = (i + j) % 50;
    samples.pushMany(batch.subarray(0, Math.min(batch.length, 100_000 - i))); // blocks while full
  }
  samples.close();
}
