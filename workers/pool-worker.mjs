// pool-worker.mjs — the entry script of every worker thread of a sabre Pool with runtime
// "thread" (src/node/pool.ts starts it with spawnWorker). It attaches the data the pool passed
// (protocol.ts, WorkerInit) and serves tasks with the shared loop of pool-serve.mjs; the thread
// ends with code 0 when the pool closes its task channel. An uncaught error ends the thread,
// and worker_threads hands that error to the pool as the crash's cause.
import * as sabre from "sabre/node";
import { servePool } from "./pool-serve.mjs";

await servePool(sabre, await sabre.attachWorkerData());
