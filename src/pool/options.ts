// options.ts — the Pool's options: their types, defaults and validation. Every check throws
// InvalidArgumentError with a message that names the option, what it must be and what it got;
// an unknown key is refused with the list of known ones (a misspelt option never passes
// silently). Validation happens in the constructor, before any worker starts.
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys } from "../options";

/** Where a Pool's tasks run ({@link PoolOptions.runtime}): "thread" (Node worker threads,
 *  the default of 'sabre/node'), "process" (Node child processes sharing a file-backed region;
 *  'sabre/node') or "web" (Web Workers, the default and only runtime of the Pool that 'sabre'
 *  exports for browsers). The same API and semantics on each. */
export type PoolRuntime = "thread" | "process" | "web";

/** Node worker-thread resource limits (worker_threads' ResourceLimits). */
export interface PoolResourceLimits {
  /** Maximum size of the worker's main (old-generation) heap, in megabytes (> 0; default:
   *  Node's, set by V8's heuristics). */
  maxOldGenerationSizeMb?: number;
  /** Maximum size of the worker's heap space for recently created objects (the young
   *  generation), in megabytes (> 0; default: Node's). */
  maxYoungGenerationSizeMb?: number;
  /** Size of the memory range pre-allocated for the worker's generated code, in megabytes
   *  (> 0; default: Node's). */
  codeRangeSizeMb?: number;
  /** Maximum stack size of the worker thread, in megabytes (> 0; Node's default is 4). */
  stackSizeMb?: number;
}

/**
 * Options of a Pool (`new Pool(options)` from 'sabre/node'): only `filename` is required.
 * They are validated in the constructor, before any worker starts: a bad value or an unknown
 * key throws InvalidArgumentError naming the option. `pool.options` gives them back with the
 * defaults filled in.
 */
export interface PoolOptions {
  /** The task module: an absolute path or a file: URL (string or URL). Its exports are the
   *  task functions; `run(input, { name })` calls one by name. */
  filename: string | URL;
  /** Where tasks run: "thread" (worker threads; default in Node), "process" (child processes;
   *  workerData regions must then be file-backed: createRegion) or "web" (Web Workers; default
   *  and only runtime in a browser). */
  runtime?: PoolRuntime;
  /** The export `run` calls when no name is given (default "default"). */
  name?: string;
  /** Workers kept alive while idle (default: half the cores, at least 1). */
  minThreads?: number;
  /** Workers at most (default: the number of cores, at least minThreads). */
  maxThreads?: number;
  /** Milliseconds an idle worker above minThreads lives (default 1000; Infinity: forever). */
  idleTimeout?: number;
  /** Tasks that may wait for a worker; beyond it run() rejects with QueueFullError. A number,
   *  Infinity (default), or "auto" (maxThreads squared, as piscina). */
  maxQueue?: number | "auto";
  /** When the queue holds maxQueue tasks: "reject" (default) rejects run() with QueueFullError;
   *  "wait" lets the task wait, in order, until the queue has room (its signal and timeout
   *  still apply while it waits). */
  queueFull?: "reject" | "wait";
  /** Tasks one worker runs at once (default 1). Above 1, for async task functions. */
  concurrentTasksPerWorker?: number;
  /** Tasks a worker may hold beyond the ones it runs, so it never waits for the next one:
   *  "auto" (default) sizes it from the measured run time (hundreds for microsecond tasks, 1
   *  for millisecond ones), a number fixes it. Held tasks are past the priority queue. */
  prefetch?: number | "auto";
  /** Node's worker resource limits, per worker. With runtime "process", maxOldGenerationSizeMb
   *  and maxYoungGenerationSizeMb become V8 flags of each child (--max-old-space-size,
   *  --max-semi-space-size); the other two have no per-process equivalent and are refused.
   *  Not with runtime "web". */
  resourceLimits?: PoolResourceLimits;
  /** Environment of each worker (as worker_threads' Worker `env`, or a child process's
   *  environment; default: this process's). Node runtimes only. */
  env?: Record<string, string>;
  /** Extra entries appended to `process.argv` in each worker, stringified (worker_threads'
   *  Worker `argv`, or the child's arguments; default: none). Must be an array. Node runtimes only. */
  argv?: unknown[];
  /** Node command-line options of each worker (worker_threads' Worker `execArgv`, default
   *  inherited from this thread; or the child's, default none). Must be an array of strings.
   *  Node runtimes only. */
  execArgv?: string[];
  /** Data every task sees as `context.workerData`: anything spawnWorker carries, live sabre
   *  objects included (a Region arrives attached: zero-copy work on shared memory). */
  workerData?: unknown;
  /** Milliseconds a cancelled running task has to stop before its worker is terminated and
   *  replaced (default 1000). */
  cancelGracePeriod?: number;
  /** Items a streamed result buffers before its producer waits for the consumer (default 16). */
  streamCapacity?: number;
}

/** The Pool's options in effect (`pool.options`): PoolOptions validated, every default filled
 *  in; `filename` is a URL string and `maxQueue` a number ("auto" resolved). */
export interface ResolvedOptions {
  filename: string;
  runtime: PoolRuntime;
  name: string;
  minThreads: number;
  maxThreads: number;
  idleTimeout: number;
  maxQueue: number;
  queueFull: "reject" | "wait";
  concurrentTasksPerWorker: number;
  prefetch: number | "auto";
  resourceLimits: PoolResourceLimits | undefined;
  env: Record<string, string> | undefined;
  argv: unknown[] | undefined;
  execArgv: string[] | undefined;
  workerData: unknown;
  cancelGracePeriod: number;
  streamCapacity: number;
}

export const KNOWN_OPTIONS = [
  "filename", "runtime", "name", "minThreads", "maxThreads", "idleTimeout", "maxQueue", "queueFull",
  "concurrentTasksPerWorker", "prefetch", "resourceLimits", "env", "argv", "execArgv", "workerData",
  "cancelGracePeriod", "streamCapacity",
] as const;

const LIMIT_KEYS = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"];

function fail(message: string): never {
  throw new InvalidArgumentError(`Pool: ${message}`);
}

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));

function integer(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) fail(`${name} must be an integer >= ${min}, got ${show(v)}`);
  return v;
}

function millis(name: string, v: unknown): number {
  if (typeof v !== "number" || Number.isNaN(v) || v < 0) fail(`${name} must be a number of milliseconds >= 0 or Infinity, got ${show(v)}`);
  return v;
}

export function checkKeys(what: string, options: object, known: readonly string[]): void {
  checkOptionKeys("Pool", options, known, what);
}

const RUNTIMES: readonly PoolRuntime[] = ["thread", "process", "web"];
/** Where to go for a runtime this platform does not have. */
const ELSEWHERE: Record<PoolRuntime, string> = {
  thread: "it needs Node worker threads: import Pool from 'sabre/node' in Node",
  process: "it needs Node child processes: import Pool from 'sabre/node' in Node",
  web: "it needs Web Workers: import Pool from 'sabre' in a browser",
};

/** The host of `options.runtime` among `hosts` (the platform's runtimes, default first). */
export function pickRuntime<H extends { readonly runtime: PoolRuntime }>(options: PoolOptions, hosts: readonly H[]): H {
  if (options === null || typeof options !== "object") fail(`options must be an object with at least { filename }, got ${show(options)}`);
  const runtime = (options as { runtime?: unknown }).runtime ?? hosts[0].runtime;
  if (!RUNTIMES.includes(runtime as PoolRuntime)) fail(`runtime must be "thread", "process" or "web", got ${show(runtime)}`);
  const host = hosts.find((h) => h.runtime === runtime);
  if (host === undefined) {
    fail(`runtime "${String(runtime)}" is not available here (${ELSEWHERE[runtime as PoolRuntime]}); here use ${hosts.map((h) => `"${h.runtime}"`).join(" or ")}`);
  }
  return host;
}

/** Node-only options, refused with runtime "web". */
const NODE_ONLY = ["resourceLimits", "env", "argv", "execArgv"] as const;
/** resourceLimits keys that a child process cannot take (no per-process V8 flag). */
const THREAD_ONLY_LIMITS = ["codeRangeSizeMb", "stackSizeMb"];

/** Validates `options` for `runtime` and fills in the defaults; `cores` is the machine's parallelism. */
export function resolveOptions(options: PoolOptions, runtime: PoolRuntime, cores: number, toURL: (filename: string) => string): ResolvedOptions {
  if (options === null || typeof options !== "object") fail(`options must be an object with at least { filename }, got ${show(options)}`);
  checkKeys("option", options, KNOWN_OPTIONS);
  const o = options as unknown as Record<string, unknown>;
  let filename: string;
  if (o.filename instanceof URL) filename = o.filename.href;
  else if (typeof o.filename === "string" && o.filename.length > 0) filename = toURL(o.filename);
  else fail(`filename must be an absolute path or a file: URL of the task module, got ${show(o.filename)}`);
  if (runtime === "web") {
    for (const key of NODE_ONLY) {
      if (o[key] !== undefined) fail(`${key} applies to the Node runtimes ("thread", "process"), not to runtime "web"; remove it`);
    }
  }

  const name = o.name ?? "default";
  if (typeof name !== "string" || name.length === 0) fail(`name must be a non-empty string (an export of the task module), got ${show(name)}`);

  const minDefault = Math.max(1, Math.floor(cores / 2));
  const minThreads = o.minThreads === undefined ? undefined : integer("minThreads", o.minThreads, 0);
  const maxThreads = o.maxThreads === undefined ? undefined : integer("maxThreads", o.maxThreads, 1);
  const min = minThreads ?? Math.min(minDefault, maxThreads ?? minDefault);
  const max = maxThreads ?? Math.max(cores, min, 1);
  if (min > max) fail(`minThreads (${min}) must not exceed maxThreads (${max})`);

  const idleTimeout = o.idleTimeout === undefined ? 1000 : millis("idleTimeout", o.idleTimeout);

  let maxQueue = Infinity;
  if (o.maxQueue === "auto") maxQueue = max * max;
  else if (o.maxQueue !== undefined && o.maxQueue !== Infinity) maxQueue = integer("maxQueue", o.maxQueue, 0);

  const queueFull = o.queueFull ?? "reject";
  if (queueFull !== "reject" && queueFull !== "wait") fail(`queueFull must be "reject" or "wait", got ${show(queueFull)}`);

  const concurrentTasksPerWorker = o.concurrentTasksPerWorker === undefined ? 1 : integer("concurrentTasksPerWorker", o.concurrentTasksPerWorker, 1);

  let prefetch: number | "auto" = "auto";
  if (o.prefetch !== undefined && o.prefetch !== "auto") prefetch = integer("prefetch", o.prefetch, 0);

  let resourceLimits: PoolResourceLimits | undefined;
  if (o.resourceLimits !== undefined) {
    if (o.resourceLimits === null || typeof o.resourceLimits !== "object") fail(`resourceLimits must be an object, got ${show(o.resourceLimits)}`);
    for (const [k, v] of Object.entries(o.resourceLimits)) {
      if (!LIMIT_KEYS.includes(k)) fail(`unknown resourceLimits key "${k}"; known keys: ${LIMIT_KEYS.join(", ")}`);
      if (typeof v !== "number" || !(v > 0)) fail(`resourceLimits.${k} must be a number of megabytes > 0, got ${show(v)}`);
      if (runtime === "process" && THREAD_ONLY_LIMITS.includes(k)) {
        fail(`resourceLimits.${k} applies to worker threads only; with runtime "process" pass a V8 flag in execArgv instead`);
      }
    }
    resourceLimits = o.resourceLimits as PoolResourceLimits;
  }
  if (o.env !== undefined && (o.env === null || typeof o.env !== "object")) fail(`env must be an object of strings, got ${show(o.env)}`);
  if (o.argv !== undefined && !Array.isArray(o.argv)) fail(`argv must be an array, got ${show(o.argv)}`);
  if (o.execArgv !== undefined && !(Array.isArray(o.execArgv) && o.execArgv.every((a) => typeof a === "string"))) {
    fail(`execArgv must be an array of strings, got ${show(o.execArgv)}`);
  }
  const cancelGracePeriod = o.cancelGracePeriod === undefined ? 1000 : millis("cancelGracePeriod", o.cancelGracePeriod);
  const streamCapacity = o.streamCapacity === undefined ? 16 : integer("streamCapacity", o.streamCapacity, 1);

  return {
    filename, runtime, name, minThreads: min, maxThreads: max, idleTimeout, maxQueue, queueFull,
    concurrentTasksPerWorker, prefetch, resourceLimits,
    env: o.env as Record<string, string> | undefined, argv: o.argv as unknown[] | undefined,
    execArgv: o.execArgv as string[] | undefined, workerData: o.workerData, cancelGracePeriod, streamCapacity,
  };
}

/** Options of one run(). */
export interface RunOptions {
  /** The export to call (default: the pool's `name`). */
  name?: string;
  /** Cancels the task: removed if queued, signalled if running (see Pool). */
  signal?: AbortSignal;
  /** Higher runs first; FIFO within a priority (default 0). Any finite number. */
  priority?: number;
  /** Milliseconds from run() until the task is cancelled with a TimeoutError. */
  timeout?: number;
}

const RUN_KEYS = ["name", "signal", "priority", "timeout"];

export function checkRunOptions(options: RunOptions): void {
  if (options === null || typeof options !== "object") fail(`run options must be an object, got ${show(options)}`);
  checkKeys("run option", options, RUN_KEYS);
  if (options.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
    fail(`run option name must be a non-empty string, got ${show(options.name)}`);
  }
  if (options.priority !== undefined && (typeof options.priority !== "number" || !Number.isFinite(options.priority))) {
    fail(`run option priority must be a finite number (higher runs first), got ${show(options.priority)}`);
  }
  if (options.timeout !== undefined) millis("run option timeout", options.timeout);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    fail(`run option signal must be an AbortSignal, got ${show(options.signal)}`);
  }
}
