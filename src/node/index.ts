// node/index.ts — the Node-only entry ('sabre/node'): everything in 'sabre' plus helpers that
// need Node APIs (worker threads now; file-backed regions, processes, pipes later).
//
// spawnWorker and attachWorkerData are exported by name here AND by 'sabre' (Web Workers):
// ESM lets this explicit export shadow the star export, so 'sabre/node' gives the worker
// threads versions (node/spawn.ts) and 'sabre' the Web Worker ones (spawn.ts). Same options
// and result types; a test checks that each entry gives its own.
export * from "../index";
export { startWorker, workerInput, type StartWorkerOptions } from "./worker";
export { spawnWorker, attachWorkerData, type NodeSpawnWorkerOptions } from "./spawn";
export { Pool } from "./pool";
export { PoolClosedError, QueueFullError, TaskWorkerError } from "../pool/errors";
