// rpc-host.mjs — the worker thread or child process behind sabre/node's createSyncFn
// (src/node/sync-fn.ts). It imports only the public 'sabre/node'.
//
// Contract:
//   - data = { end, module }: `end` is the server end of a link (src/rpc/link.ts), `module`
//     the file: URL of the module whose exports it serves;
//   - serves the module's exports with serveSync (a module that fails to load fails every
//     call with its error) until the caller closes the link;
//   - on exit, with any code, closes its end's tx: a call in flight fails with PeerGoneError
//     at once instead of waiting (a crash also marks the channels through the spawn host).
import { isMainThread } from "node:worker_threads";
import { attachProcessData, attachWorkerData, serveSync } from "sabre/node";

const data = isMainThread ? await attachProcessData() : await attachWorkerData();
const { end, module } = data;
process.on("exit", () => {
  try {
    end.tx.close();
  } catch {
    // freed or gone already
  }
});
await serveSync(import(module), end);
