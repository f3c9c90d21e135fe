// node/sync-fn.ts — createSyncFn(module, options): a function exported by `module`, run in a
// worker thread (or, with { process: true }, a child process) and called synchronously from
// this thread ('sabre/node'). synckit's createSyncFn, on shared memory.
//
//   const add = createSyncFn<typeof import("./add.mjs").default>(new URL("./add.mjs", import.meta.url))
//   add(1, 2)            // 3: blocks until the worker's (possibly async) function settled
//   await add.close()    // stops the worker (or `await using add = createSyncFn(...)`)
//
// The worker runs workers/rpc-host.mjs: it imports `module` and serves its exports with
// serveSync over a link (sync-call.ts) whose other end this thread calls with syncFunction.
// A module that fails to load fails every call with its error. The worker is unref'd, as
// synckit's is: it does not keep this process alive. A worker or process that ends mid-call
// (a crash, process.exit with any code, kill -9) fails the call with PeerGoneError: the host
// closes its end on exit, the spawn hosts mark the link's channels on a crash, and a killed
// process is seen by the liveness watch. Between processes the link lives in a file-backed
// region (createRegion), so the native addon is required.
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys, describeValue } from "../options";
import { Region } from "../region/region";
import { createLink } from "../rpc/link";
import { syncFunction, type SyncFunction } from "../rpc/sync-call";
import { Deadline } from "../wait/deadline";
import { createRegion } from "./file-region";
import { packageFile } from "./package-file";
import { spawnProcess } from "./spawn-process";
import { spawnWorker } from "./spawn";

/** Options of {@link createSyncFn}. */
export interface CreateSyncFnOptions {
  /** The export to call (default "default"). */
  name?: string;
  /** Longest one call may take, in milliseconds (default: forever); then TimeoutError. */
  timeout?: number;
  /** How long a call polls for its reply before it parks, in microseconds (default 200). */
  spinMicros?: number;
  /** Run the function in a child process (spawnProcess) instead of a worker thread. */
  process?: boolean;
  /** Node options of the worker or process. */
  execArgv?: string[];
}

/** What createSyncFn returns: the synchronous function, with close() and the worker's exit. */
export type SyncFn<F> = SyncFunction<F> & {
  /** Stops the worker or process; later calls throw PeerGoneError. */
  close(): Promise<void>;
  /** Resolves when the worker ends cleanly, rejects with WorkerCrashError when it crashes. */
  readonly exited: Promise<void>;
  /** `await using fn = createSyncFn(...)`: close() at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
};

const OPTIONS = ["name", "timeout", "spinMicros", "process", "execArgv"];
const REGION_BYTES = 2 * 1024 * 1024;

function moduleUrl(module: string | URL, what: string): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string" && module.startsWith("file:")) return module;
  if (typeof module === "string" && isAbsolute(module)) return pathToFileURL(module).href;
  throw new InvalidArgumentError(`${what}: module must be a file: URL or an absolute path (new URL("./fn.mjs", import.meta.url)), got ${describeValue(module)}`);
}

/**
 * Runs `module` in a worker thread (or a child process with `{ process: true }`) and returns its
 * export `name` (default "default") as a function this thread calls synchronously: each call
 * blocks until the (possibly async) function settles, then returns its value or throws its
 * error; `timeout` bounds a call (TimeoutError), and a worker that ends mid-call gives
 * PeerGoneError. See the header.
 *
 * @typeParam F - the function's type (`typeof import("./fn.mjs").default`).
 */
export function createSyncFn<F extends (...args: any[]) => any>(module: string | URL, options: CreateSyncFnOptions = {}): SyncFn<F> {
  const what = "createSyncFn";
  checkOptionKeys(what, options, OPTIONS);
  const url = moduleUrl(module, what);
  const name = options.name ?? "default";
  Deadline.of(options, what);
  const region = options.process ? createRegion({ size: REGION_BYTES }) : Region.create({ size: REGION_BYTES });
  const { port1, port2 } = createLink(region, { capacity: 64, bufferBytes: 65536, name: `createSyncFn(${url})` });
  const call = syncFunction<F>(port1, name, { timeout: options.timeout, spinMicros: options.spinMicros });
  const data = { end: port2, module: url };
  const host = packageFile("workers/rpc-host.mjs");
  const label = `createSyncFn(${url})`;
  let stop: () => Promise<void>;
  let exited: Promise<void>;
  if (options.process) {
    const child = spawnProcess(host, { data, name: label, execArgv: options.execArgv });
    child.process.unref();
    stop = () => child.terminate();
    exited = child.exited;
  } else {
    const worker = spawnWorker(host, { data, name: label, execArgv: options.execArgv });
    worker.worker.unref();
    stop = () => worker.terminate();
    exited = worker.exited;
  }
  exited.catch(() => {}); // a crash reaches the caller as PeerGoneError; `exited` still reports it
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        port1.tx.close();
      } catch {
        // already gone
      }
      await stop().catch(() => {});
    })();
    return closing;
  };
  return Object.assign(call, { close, exited, [Symbol.asyncDispose]: close }) as SyncFn<F>;
}
