// node/index.ts — the Node-only entry ('sabre/node'): everything in 'sabre' plus helpers that
// need Node APIs: worker threads (spawnWorker), and between processes (native addon, native/):
// file-backed regions (createRegion, openRegion, removeRegion), child processes
// (spawnProcess, attachProcessData), handles for unrelated processes (encodeHandles,
// decodeHandles), the futex parker and the liveness watch, memory-mapped files (mapFile).
//
// spawnWorker and attachWorkerData are exported by name here AND by 'sabre' (Web Workers):
// ESM lets this explicit export shadow the star export, so 'sabre/node' gives the worker
// threads versions (node/spawn.ts) and 'sabre' the Web Worker ones (spawn.ts). Same options
// and result types; a test checks that each entry gives its own.
import "./parties"; // this thread's identity for the regions' party tables, before any region is attached
export * from "../index";
export { startWorker, workerInput, type StartWorkerOptions } from "./worker";
export { spawnWorker, attachWorkerData, type NodeSpawnWorkerOptions } from "./spawn";
export { Pool } from "./pool";
export { createRegion, openRegion, removeRegion, type FileRegionOptions } from "./file-region";
export { FutexParker } from "./futex-parker";
export { LIVENESS_INTERVAL_MS } from "./liveness";
export { nativeProblem } from "./native";
export { NativeAddonMissingError, RegionPermissionError, RegionExistsError, RegionNotFoundError } from "./errors";
export { spawnProcess, attachProcessData, type SpawnProcessOptions, type SpawnedProcess } from "./spawn-process";
export { encodeHandles, decodeHandles } from "./process-wire";
export { createSyncFn, type CreateSyncFnOptions, type SyncFn } from "./sync-fn";
export { mapFile, MappedFile, MAX_MAPPED_FILE_BYTES, type MapFileOptions, type TypedArrayConstructor } from "./mapped-file";
export { MappedFileChangedError } from "./errors";
export { threadDied, type ThreadDiedOptions } from "./parties";
// thread-end reporting for worker threads (acts on load; see thread-exit.ts)
import "./thread-exit";
