// node/pool.ts — the Pool of 'sabre/node': src/pool's Pool bound to two runtimes.
//
//   runtime "thread" (default)  workers/pool-worker.mjs in worker threads (spawnWorker); the
//                               pool's region is an ordinary shared region; resourceLimits,
//                               env, argv and execArgv are worker_threads' options.
//   runtime "process"           workers/pool-process.mjs in child Node processes
//                               (spawnProcess); the pool's region is an anonymous file-backed
//                               region (createRegion: a sealed memfd each child inherits), so
//                               tasks and results go through the same shared-memory channels,
//                               and an idle child parks on the futex of its channel's words
//                               (FutexParker). env, argv and execArgv are the child's; of
//                               resourceLimits, the heap sizes become V8 flags (options.ts).
//                               workerData must hold file-backed regions only (spawnProcess
//                               names the path of any other).
//
// The entry scripts are <package>/workers/*.mjs, found by packageFile.
import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { packageFile } from "./package-file";
import { spawnWorker } from "./spawn";
import { spawnProcess } from "./spawn-process";
import { createRegion } from "./file-region";
import { PoolBase } from "../pool/pool";
import type { WorkerHost } from "../pool/core";
import type { PoolOptions, ResolvedOptions } from "../pool/options";
import { Region } from "../region/region";
import { InvalidArgumentError } from "../errors";

function toURL(filename: string): string {
  if (filename.startsWith("file:")) return filename;
  if (!isAbsolute(filename)) {
    throw new InvalidArgumentError(`Pool: filename must be an absolute path or a file: URL of the task module, got ${JSON.stringify(filename)}`);
  }
  return pathToFileURL(filename).href;
}

const threadHost: WorkerHost = {
  runtime: "thread",
  cores: availableParallelism(),
  toURL,
  createRegion: (size) => Region.create({ size }),
  spawn(data, options, label) {
    const spawned = spawnWorker(packageFile("workers/pool-worker.mjs"), {
      data, name: label, resourceLimits: options.resourceLimits, env: options.env, argv: options.argv, execArgv: options.execArgv,
    });
    return { exited: spawned.exited, terminate: () => spawned.terminate() };
  },
};

/** V8 flags of a child process for the heap limits of `options.resourceLimits`. */
function heapFlags(options: ResolvedOptions): string[] {
  const limits = options.resourceLimits;
  const flags: string[] = [];
  if (limits?.maxOldGenerationSizeMb !== undefined) flags.push(`--max-old-space-size=${Math.ceil(limits.maxOldGenerationSizeMb)}`);
  // V8's young generation is three semi-spaces (two, plus the new large-object space)
  if (limits?.maxYoungGenerationSizeMb !== undefined) flags.push(`--max-semi-space-size=${Math.max(1, Math.floor(limits.maxYoungGenerationSizeMb / 3))}`);
  return flags;
}

const processHost: WorkerHost = {
  runtime: "process",
  cores: availableParallelism(),
  toURL,
  createRegion: (size) => createRegion({ size }),
  spawn(data, options, label) {
    const spawned = spawnProcess(packageFile("workers/pool-process.mjs"), {
      data, name: label, env: options.env, argv: options.argv?.map(String),
      execArgv: [...(options.execArgv ?? []), ...heapFlags(options)],
    });
    return { exited: spawned.exited, terminate: () => spawned.terminate() };
  },
};

/**
 * A pool of worker threads (runtime "thread", the default) or child processes (runtime
 * "process") running the exports of a task module (src/pool/pool.ts has the contract):
 * `new Pool({ filename, runtime, minThreads, maxThreads, ... })`, `run`, `map`, `close`.
 */
export class Pool extends PoolBase {
  constructor(options: PoolOptions) {
    super(options, [threadHost, processHost]);
  }
}
