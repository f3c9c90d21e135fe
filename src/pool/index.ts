// index.ts — the pool's platform-neutral types (re-exports only). Pool itself needs a platform:
// 'sabre/node' exports the Pool of worker threads and child processes (src/node/pool.ts),
// 'sabre' the Pool of Web Workers (src/browser/pool.ts); both export the pool's errors.
export type { PoolOptions, PoolResourceLimits, PoolRuntime, RunOptions } from "./options";
export type { MapOptions } from "./pool";
export type { PoolStats, LatencySummary } from "./stats";
export type { PoolStream } from "./stream";
