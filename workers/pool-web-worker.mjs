// pool-web-worker.mjs — the entry script of every Web Worker of a sabre Pool with runtime "web"
// (src/browser/pool.ts). The build bundles it with pool-serve.mjs into dist/browser/pool-worker.js
// (and dist/pool-worker.js), where "sabre" becomes the sabre module file beside it; it never
// runs from this folder. It attaches the data the pool passed and serves tasks with the shared
// loop of pool-serve.mjs; when the pool closes its task channel it posts the exit mark (the
// parent cannot observe a Web Worker's own end) and closes.
import * as sabre from "sabre";
import { servePool } from "./pool-serve.mjs";

await servePool(sabre, await sabre.attachWorkerData());
self.postMessage({ __sabrePoolExit: true }); // src/browser/pool.ts, POOL_EXIT_MARK
self.close();
