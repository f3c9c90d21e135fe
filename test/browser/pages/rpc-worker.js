// rpc-worker.js — the Web Worker of the RPC browser tests (a module worker started by rpc.js
// with spawnWorker). data.mode:
//   "comlink"      Comlink.expose an api over comlinkEndpoint(data.end, { via: self })
//   "sync-caller"  call the page's served functions synchronously over data.end (a Web Worker
//                  may block), then expose { report() } on data.mailbox with what it saw
import * as Comlink from "/node_modules/comlink/dist/esm/comlink.mjs";
import * as sabre from "/dist/browser/sabre.js";

const { attachWorkerData, comlinkEndpoint, expose, syncFunction } = sabre;
const data = await attachWorkerData();

if (data.mode === "comlink") {
  class Counter {
    constructor(n) {
      this.n = n;
    }
    inc() {
      return ++this.n;
    }
  }
  const api = {
    value: 42,
    add: (a, b) => a + b,
    fail() {
      throw new RangeError("bad range");
    },
    async callBack(cb, x) {
      return (await cb(x)) + 1;
    },
    Counter,
  };
  Comlink.expose(api, comlinkEndpoint(data.end, { via: self }));
} else {
  const twice = syncFunction(data.end, "twice", { timeout: 30_000 });
  const fail = syncFunction(data.end, "fail", { timeout: 30_000 });
  let sum = 0;
  for (let i = 0; i < 100; i++) sum += twice(i);
  let error;
  try {
    fail();
  } catch (e) {
    error = { name: e.name, message: e.message };
  }
  data.end.tx.close(); // the page's serveSync ends
  await expose({ report: () => ({ sum, error }) }, data.mailbox, { signal: AbortSignal.timeout(30_000) });
}
