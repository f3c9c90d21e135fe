// examples/rpc-native.mjs — sabre's own RPC over a Mailbox: expose an object in a worker,
// call it with async methods (wrap) or blocking ones (wrapSync). Run: node examples/rpc-native.mjs
import { isMainThread } from "node:worker_threads";
import { Region, Mailbox, expose, wrap, wrapSync } from "sabre";
import { spawnWorker, attachWorkerData } from "sabre/node";

if (isMainThread) {
  const mailbox = Mailbox.create(Region.create());
  const w = spawnWorker(new URL(import.meta.url), { data: { mailbox } });
  const math = wrap(mailbox); // in TypeScript: wrap<typeof api>(mailbox)
  console.log(await math.add(1, 2)); // 3
  console.log(await math.stats.mean([1, 2, 3, 6])); // 3
  console.log(wrapSync(mailbox).add(40, 2)); // 42
  mailbox.close(); // the worker's expose() returns, and the worker ends
  await w.exited;
} else {
  const { mailbox } = await attachWorkerData();
  const api = {
    add: (a, b) => a + b,
    stats: { mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length },
  };
  await expose(api, mailbox);
}
