// node/worker.ts — start a Node worker thread with regions and primitive handles passed in.
//
// Handles are plain objects around a shared WebAssembly.Memory, so they travel in workerData
// unchanged; inside the worker `workerInput()` returns them and each primitive's `from`
// attaches. A worker that throws rejects `exited`; a non-zero exit code rejects too.
import { Worker, workerData } from "node:worker_threads";

/** Options of {@link startWorker}. */
export interface StartWorkerOptions<Data> {
  /** Passed to the worker (regions and handles included); read there with workerInput(). */
  data?: Data;
  /** Extra environment or argv for the worker, as Node's Worker options. */
  env?: NodeJS.ProcessEnv;
  /** Extra `process.argv` entries in the worker, as Node's Worker `argv` option. */
  argv?: unknown[];
}

export interface StartedWorker {
  readonly worker: Worker;
  /** Resolves with the exit code 0; rejects on an uncaught error or a non-zero exit. */
  readonly exited: Promise<void>;
}

/** Starts `file` (a path or file: URL of an ES module) as a worker thread with `data`. */
export function startWorker<Data>(file: string | URL, options: StartWorkerOptions<Data> = {}): StartedWorker {
  const worker = new Worker(file, { workerData: options.data, env: options.env, argv: options.argv });
  const exited = new Promise<void>((resolve, reject) => {
    let failure: unknown;
    worker.once("error", (error) => {
      failure = error;
    });
    worker.once("exit", (code) => {
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(`worker ${String(file)} exited with code ${code}`));
      else resolve();
    });
  });
  return { worker, exited };
}

/** Inside a worker started by startWorker: the `data` it was given. */
export function workerInput<Data>(): Data {
  return workerData as Data;
}
