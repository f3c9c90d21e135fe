// rpc-worker.mjs — the serving worker of the rpc scenario; data.mode picks what it serves
// ({ inc(x) = x + 1 } in every case):
//   "comlink-sabre"   Comlink.expose over sabre's comlinkEndpoint(data.end)
//   "comlink-port"    Comlink.expose over a MessagePort (data.port)
//   "native"          sabre's expose(api, data.mailbox)
import * as Comlink from "comlink";
import { parentPort, workerData } from "node:worker_threads";
import { attachWorkerData, comlinkEndpoint, expose } from "sabre/node";
import inc from "./rpc-fns.mjs";

const api = { inc };
if (workerData.mode === "comlink-port") {
  Comlink.expose(api, workerData.port);
} else {
  const data = await attachWorkerData();
  if (data.mode === "comlink-sabre") Comlink.expose(api, comlinkEndpoint(data.end, { via: parentPort }));
  else await expose(api, data.mailbox);
}
