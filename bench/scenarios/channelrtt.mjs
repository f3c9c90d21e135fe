// channelrtt.mjs — scenario "channelrtt": request/response round trip between the main thread
// and a worker: the main thread sends a small object on one Channel, the worker echoes it on
// another, the main thread receives it (blocking recv; and a second row with sendAsync +
// recvAsync, the async paths). Beside postMessage on a MessageChannel with an echoing worker.
// One sample = one round trip; medians are the figures that matter.
import { MessageChannel } from "node:worker_threads";
import { Channel, Region } from "sabre";
import { WorkerGroup } from "../lib/workers.mjs";

export const title = "request/response round trip main thread <-> worker: Channel vs postMessage";
export const description = "One sample is one round trip of a small object; compare medians and p99s.";

const worker = new URL("../workers/channel-worker.mjs", import.meta.url);
const messageWorker = new URL("../workers/message-worker.mjs", import.meta.url);
const SABRE = "sabre Channel send + recv";
const POST = "postMessage (MessageChannel)";
const SABRE_ASYNC = "sabre Channel sendAsync + recvAsync";

export async function define() {
  const tasks = [];
  const cleanups = [];
  const sampleIs = "one round trip";
  const region = Region.create({ size: 1 << 20 });
  const out = Channel.create(region, { capacity: 1, bufferBytes: 4096 });
  const back = Channel.create(region, { capacity: 1, bufferBytes: 4096 });
  const group = new WorkerGroup([{ file: worker, data: { transport: "sabre", role: "echo", channel: out.handle, back: back.handle } }]);
  let seq = 0;
  tasks.push({
    name: SABRE, role: "sabre", sampleIs,
    beforeAll: () => group.start(),
    onFailed: () => group.stop(),
    fn: () => {
      seq = (seq + 1) & 0x3fffffff;
      out.send({ id: seq, name: "req", values: [1, 2, 3, 4] });
      const r = back.recv({ timeout: 10_000 });
      if (r.id !== seq) throw new Error("channel round trip: wrong echo");
    },
  });
  cleanups.push(async () => {
    out.close();
    await group.stop();
  });
  {
    const aout = Channel.create(region, { capacity: 1, bufferBytes: 4096 });
    const aback = Channel.create(region, { capacity: 1, bufferBytes: 4096 });
    const agroup = new WorkerGroup([{ file: worker, data: { transport: "sabre", role: "echo", channel: aout.handle, back: aback.handle } }]);
    let aseq = 0;
    tasks.push({
      name: SABRE_ASYNC, role: "sabre", sampleIs, async: true,
      beforeAll: () => agroup.start(),
      onFailed: () => agroup.stop(),
      fn: async () => {
        aseq = (aseq + 1) & 0x3fffffff;
        await aout.sendAsync({ id: aseq, name: "req", values: [1, 2, 3, 4] });
        const r = await aback.recvAsync({ timeout: 10_000 });
        if (r.id !== aseq) throw new Error("channel async round trip: wrong echo");
      },
    });
    cleanups.push(async () => {
      aout.close();
      await agroup.stop();
    });
  }

  const mc = new MessageChannel();
  const port = mc.port1;
  const pgroup = new WorkerGroup([{ file: messageWorker, data: { role: "echo", port: mc.port2 }, transfer: [mc.port2] }]);
  let pending;
  port.on("message", (v) => pending(v));
  let pseq = 0;
  tasks.push({
    name: POST, role: "baseline", sampleIs, async: true,
    beforeAll: () => pgroup.start(),
    onFailed: () => pgroup.stop(),
    fn: () => {
      pseq = (pseq + 1) & 0x3fffffff;
      const want = pseq;
      const echo = new Promise((resolve, reject) => {
        pending = (v) => (v.id === want ? resolve() : reject(new Error("postMessage round trip: wrong echo")));
      });
      port.postMessage({ id: want, name: "req", values: [1, 2, 3, 4] });
      return Promise.race([echo, pgroup.failure]);
    },
  });
  cleanups.push(async () => {
    port.close();
    await pgroup.stop();
  });
  return {
    unit: "round trips/s",
    latencies: true, // one sample = one round trip: record its distribution for the report
    tasks,
    ratios: [
      { sabre: SABRE, baseline: POST, by: "p50", latencyRatios: true, target: { minSpeedup: 10, text: ">= 10x lower median latency" } },
      { sabre: SABRE_ASYNC, baseline: POST, by: "p50", latencyRatios: true },
    ],
    notes: ["speedup = postMessage round-trip time ÷ Channel's, by median (p50) per round; pooled p99 in its column"],
    skipped: [],
    teardown: async () => {
      for (const c of cleanups) await c();
    },
  };
}
