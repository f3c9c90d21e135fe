// node/pool.ts — the worker-thread Pool of 'sabre/node': src/pool's Pool bound to a WorkerHost
// that starts workers/pool-worker.mjs with spawnWorker (Node worker threads; resourceLimits,
// env, argv and execArgv passed through).
//
// The worker script is <package>/workers/pool-worker.mjs, found by packageFile.
import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { packageFile } from "./package-file";
import { spawnWorker } from "./spawn";
import { Pool as BasePool } from "../pool/pool";
import type { WorkerHost } from "../pool/core";
import type { PoolOptions } from "../pool/options";
import { InvalidArgumentError } from "../errors";

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
    const spawned = spawnWorker(packageFile("workers/pool-worker.mjs"), {
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
