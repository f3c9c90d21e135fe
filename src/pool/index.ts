// index.ts — the pool's platform-neutral types (re-exports only). Pool itself needs a platform:
// 'sabre/node' exports the worker-thread Pool (src/node/pool.ts) and the pool's errors.
export type { PoolOptions, PoolResourceLimits, PoolRuntime, RunOptions } from "./options";
export type { MapOptions } from "./pool";
export type { PoolStats, LatencySummary } from "./stats";
export type { PoolStream } from "./stream";
