// pool-process.mjs — the entry script of every child process of a sabre Pool with runtime
// "process" (src/node/pool.ts starts it with spawnProcess). The pool's region is a file-backed
// region (a sealed memfd this process inherits), so tasks, results and the per-worker words
// are the same shared memory as with threads, and idle parking is the futex of the region's
// words (FutexParker). It serves tasks with the shared loop of pool-serve.mjs and exits with
// code 0 when the pool closes its task channel.
//
// A process's exit code carries no error, so an uncaught exception or unhandled rejection is
// first sent to the pool as R_FATAL (the crash's cause: the running tasks reject with it), then
// the process exits with code 1.
import * as sabre from "sabre/node";
import { servePool } from "./pool-serve.mjs";

const hooks = {};
process.on("uncaughtException", (error) => {
  hooks.fatal?.(error);
  process.exit(1);
});
await servePool(sabre, await sabre.attachProcessData(), hooks);
process.exit(0); // the liveness watch and parked waits must not keep an ended worker alive
