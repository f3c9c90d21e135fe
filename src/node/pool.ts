// node/pool.ts — the worker-thread Pool of 'sabre/node': src/pool's Pool bound to a WorkerHost
// that starts workers/pool-worker.mjs with spawnWorker (Node worker threads; resourceLimits,
// env, argv and execArgv passed through).
//
// The worker script is found beside the package's dist/ and src/ folders, at
// <package>/workers/pool-worker.mjs (package.json "files" ships workers/): the directories
// above this module are searched once for it.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spawnWorker } from "./spawn";
import { Pool as BasePool } from "../pool/pool";
import type { WorkerHost } from "../pool/core";
import type { PoolOptions } from "../pool/options";
import { InvalidArgumentError } from "../errors";

let script: URL | undefined;
function workerScript(): URL {
  if (script) return script;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "workers", "pool-worker.mjs");
    if (existsSync(candidate)) return (script = pathToFileURL(candidate));
    const up = dirname(dir);
    if (up === dir) throw new Error("sabre: workers/pool-worker.mjs was not found above " + fileURLToPath(import.meta.url) + "; the package is incomplete");
    dir = up;
  }
}

const threadHost: WorkerHost = {
  cores: availableParallelism(),
  toURL(filename) {
    if (filename.startsWith("file:")) return filename;
    if (!isAbsolute(filename)) {
      throw new InvalidArgumentError(`Pool: filename must be an absolute path or a file: URL of the task module, got ${JSON.stringify(filename)}`);
    }
    return pathToFileURL(filename).href;
  },
  spawn(data, options, label) {
    const spawned = spawnWorker(workerScript(), {
      data, name: label, resourceLimits: options.resourceLimits, env: options.env, argv: options.argv, execArgv: options.execArgv,
    });
    return { exited: spawned.exited, terminate: () => spawned.terminate() };
  },
};

/**
 * A pool of worker threads running the exports of a task module (src/pool/pool.ts has the
 * contract): `new Pool({ filename, minThreads, maxThreads, ... })`, `run`, `map`, `close`.
 */
export class Pool extends BasePool {
  constructor(options: PoolOptions) {
    super(options, threadHost);
  }
}
