// mailbox.mjs — scenario "mailbox": one request/reply at a time between the main thread and a
// worker, sabre's Mailbox beside comlink 4.4 over a MessagePort (the RPC peer):
//   sabre Mailbox request -> serve             blocking request on the main thread, the worker
//                                              in serve()
//   sabre Mailbox requestAsync -> serveAsync   both sides async (event loops keep running)
//   comlink over a MessagePort (baseline)      await proxy.add(...), the worker exposes it
// One sample = one request answered (a small object {a, b} in, a number back); medians matter.
import { MessageChannel } from "node:worker_threads";
import { Mailbox, Region } from "sabre";
import { WorkerGroup } from "../lib/workers.mjs";

export const title = "request/reply main thread <-> worker: Mailbox vs comlink over a MessagePort";
export const description = "One sample is one request answered (one in flight); compare medians.";

const worker = new URL("../workers/mailbox-worker.mjs", import.meta.url);
const BLOCKING = "sabre Mailbox request -> serve";
const ASYNC = "sabre Mailbox requestAsync -> serveAsync";
const COMLINK = "comlink 4.4 over a MessagePort";

export async function define() {
  const Comlink = await import("comlink");
  const { default: nodeEndpoint } = await import("comlink/dist/esm/node-adapter.mjs");
  const tasks = [];
  const cleanups = [];
  const sampleIs = "one request answered";
  const region = Region.create({ size: 4 << 20 });
  let seq = 0;
  const check = (r, a) => {
    if (r !== a + 1) throw new Error(`mailbox bench: wrong reply ${r}`);
  };

  const serve = (name, transport, fn, async) => {
    const box = Mailbox.create(region, { name: transport });
    const group = new WorkerGroup([{ file: worker, data: { transport, mailbox: box.handle } }]);
    tasks.push({
      name, role: "sabre", sampleIs, async,
      beforeAll: () => group.start(),
      onFailed: () => group.stop(),
      fn: () => fn(box, group),
    });
    cleanups.push(async () => {
      box.close();
      await group.stop();
    });
  };
  serve(BLOCKING, "serve", (box) => {
    const a = (seq = (seq + 1) & 0xfffff);
    check(box.request({ a, b: 1 }, { timeout: 10_000 }), a);
  }, false);
  serve(ASYNC, "serveAsync", async (box, group) => {
    const a = (seq = (seq + 1) & 0xfffff);
    check(await Promise.race([box.requestAsync({ a, b: 1 }, { timeout: 10_000 }), group.failure]), a);
  }, true);

  const mc = new MessageChannel();
  const cgroup = new WorkerGroup([{ file: worker, data: { transport: "comlink", port: mc.port2 }, transfer: [mc.port2] }]);
  const proxy = Comlink.wrap(nodeEndpoint(mc.port1));
  tasks.push({
    name: COMLINK, role: "baseline", sampleIs, async: true,
    beforeAll: () => cgroup.start(),
    onFailed: () => cgroup.stop(),
    fn: async () => {
      const a = (seq = (seq + 1) & 0xfffff);
      check(await Promise.race([proxy.add({ a, b: 1 }), cgroup.failure]), a);
    },
  });
  cleanups.push(async () => {
    proxy[Comlink.releaseProxy]();
    mc.port1.close();
    await cgroup.stop();
  });
  return {
    unit: "requests/s",
    latencies: true,
    tasks,
    ratios: [
      { sabre: ASYNC, baseline: COMLINK, by: "p50", latencyRatios: true, target: { minSpeedup: 5, text: ">= 5x lower median than comlink" } },
      { sabre: BLOCKING, baseline: COMLINK, by: "p50", latencyRatios: true, target: { minSpeedup: 10, text: ">= 10x lower median than comlink" } },
    ],
    notes: ["speedup = comlink's request time ÷ the Mailbox's, by median (p50) per round"],
    skipped: [],
    teardown: async () => {
      for (const c of cleanups) await c();
    },
  };
}
