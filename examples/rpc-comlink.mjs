// examples/rpc-comlink.mjs — comlink, unchanged, over shared memory: Comlink.wrap and
// Comlink.expose on the two ends of a sabre link, a proxy() callback. Run: node examples/rpc-comlink.mjs
import * as Comlink from "comlink";
import { isMainThread, parentPort } from "node:worker_threads";
import { Region, createLink, comlinkEndpoint } from "sabre";
import { spawnWorker, attachWorkerData } from "sabre/node";

if (isMainThread) {
  const { port1, port2 } = createLink(Region.create());
  const w = spawnWorker(new URL(import.meta.url), { data: { end: port2 } });
  const ep = comlinkEndpoint(port1, { via: w.worker }); // via: the side channel for proxy()
  const api = Comlink.wrap(ep);
  console.log(await api.add(20, 22)); // 42
  console.log(JSON.stringify(await api.map([1, 2, 3], Comlink.proxy((x) => x * 10)))); // [10,20,30]
  const e = await api.fail().catch((error) => error);
  console.log(e.name, e.message); // RangeError too far
  ep.close();
  await w.terminate();
} else {
  const { end } = await attachWorkerData();
  const api = {
    add: (a, b) => a + b,
    async map(xs, f) {
      const out = [];
      for (const x of xs) out.push(await f(x));
      return out;
    },
    fail() {
      throw new RangeError("too far");
    },
  };
  Comlink.expose(api, comlinkEndpoint(end, { via: parentPort }));
}
