// node/spawn.ts — spawnWorker and attachWorkerData for Node worker threads ('sabre/node').
//
// Parent:
//   const { worker, exited, terminate } = spawnWorker(new URL("./w.mjs", import.meta.url), { data })
// starts a worker_threads Worker whose workerData is { [SPAWN_MARK]: 1, data: toWire(data) }
// (revive.ts: live sabre objects travel as handles). In the worker:
//   const data = await attachWorkerData<typeof data>({ codecs })
// resolves with fromWire(data): every region, channel, lock, ring and mailbox attached on the
// worker's thread. (startWorker/workerInput in worker.ts stay: they pass data unchanged.)
//
// These shadow the Web Worker functions of the same names that 'sabre' exports (spawn.ts):
// src/node/index.ts re-exports 'sabre' with `export *` and these by name, and an explicit
// export wins over a star export. Options and result types are spawn.ts's, plus Node's
// env/argv/execArgv/resourceLimits.
//
// Crash watching — a worker that dies does not leave its peers blocked forever (the contract
// is README's "When a party dies"; the mechanism assembly/party.ts and assembly/death.ts):
//   - Before the worker starts, the parent records it as a party of every channel and mailbox
//     passed in `data` (preRegister), so its death counts for their side rules even if it dies
//     before attaching them.
//   - Parent side: when the worker ends, its end is reported to every region attached on the
//     parent's thread (reportPartyEnd): a crash (uncaught error, non-zero exit code,
//     terminate()) as DIED, a clean exit as EXITED. The locks it held are taken over by their
//     next locker, mailboxes it read become reader-gone, and waits on its channels fail with
//     PeerGoneError only where no one is left on their other side (a dead client never fails a
//     live server). On a crash `onCrash(error)` runs and `exited` rejects with the worker's
//     error (or WorkerCrashError carrying `exitCode`); after terminate() `exited` resolves.
//   - Worker side: in ANY worker thread where 'sabre/node' is loaded, the thread's exit (any
//     code) first answers the requests it holds with `gone` and marks reader-gone every
//     mailbox whose recorded reader is this thread (mailbox.ts), then reports its own end the
//     same way. This is what wakes a parent blocked SYNCHRONOUSLY (recv on the main thread):
//     its event loop cannot run the parent-side watcher until recv returns.
// Not covered: a worker that dies before 'sabre/node' is loaded in it, or is terminated with
// worker.terminate() directly, while the parent is blocked synchronously: only the parent's
// event loop sees those. Block with a timeout, or use the async forms, on threads that must
// notice every death; for a plain `new Worker`, call threadDied(worker) from its 'exit' event.
import { Worker, isMainThread, workerData, type ResourceLimits } from "node:worker_threads";
import { SabreError, WorkerCrashError, reviveError } from "../errors";
import { fromWire, peerEndpoints, toWire, type Attached, type FromWireOptions } from "../wire/revive";
import { partyIdentity, reportPartyEnd } from "../region/region";
import { SPAWN_MARK, checkOptions, cloneError, type SpawnWorkerOptions, type SpawnedWorker } from "../browser/spawn";
import { hostTerminate, preRegister, settleExit, type ExitState } from "../wire/crash-watch";

/** Options of the Node spawnWorker: the shared ones plus worker_threads' own. */
export interface NodeSpawnWorkerOptions<Data> extends SpawnWorkerOptions<Data> {
  /** Accepted for code shared with browsers; Node decides by the file (.mjs, package type). */
  type?: "module";
  /**
   * The worker's `process.env`, or `SHARE_ENV` to share the parent's (Node's Worker `env` option).
   */
  env?: NodeJS.ProcessEnv | typeof import("node:worker_threads").SHARE_ENV;
  /** Extra `process.argv` entries in the worker (Node's Worker `argv` option). */
  argv?: unknown[];
  /** Node options for the worker (Node's Worker `execArgv` option). */
  execArgv?: string[];
  /** Heap and stack limits of the worker (Node's Worker `resourceLimits` option). */
  resourceLimits?: ResourceLimits;
}

const NODE_OPTIONS = ["data", "onCrash", "name", "type", "env", "argv", "execArgv", "resourceLimits"];

/** Starts `file` (a path or file: URL of a module) as a worker thread with `data` (see the header). */
export function spawnWorker<Data>(file: string | URL, options: NodeSpawnWorkerOptions<Data> = {}): SpawnedWorker<Worker> {
  checkOptions(options, NODE_OPTIONS);
  if (options.type !== undefined && options.type !== "module") {
    throw new TypeError(`spawnWorker: in Node, type may only be "module" (a worker's module type comes from its file), got ${String(options.type)}`);
  }
  const wire = toWire(options.data);
  const endpoints = peerEndpoints(options.data);
  const label = options.name ?? String(file);
  let worker: Worker;
  try {
    worker = new Worker(file, {
      workerData: { [SPAWN_MARK]: 1, data: wire },
      env: options.env,
      argv: options.argv,
      execArgv: options.execArgv,
      resourceLimits: options.resourceLimits,
      name: options.name,
    });
  } catch (error) {
    throw cloneError(error);
  }

  const thread = worker.threadId; // Node resets it to -1 once the worker has exited
  preRegister(endpoints, process.pid, thread, partyIdentity().start);
  const report = (crashed: boolean) => void reportPartyEnd(process.pid, thread, crashed);
  const state: ExitState = { terminating: false };
  let ended = false;
  worker.on("error", (error) => {
    // Node delivers the worker's error as a plain Error with its own fields: rebuild its sabre class by code
    state.failure = error instanceof Error ? (reviveError(error) as Error) : new WorkerCrashError(`worker ${label} threw ${String(error)}`, { cause: error });
  });
  const exited = new Promise<void>((resolve, reject) => {
    worker.once("exit", (code) => {
      ended = true;
      settleExit(code === 0, state, report, options.onCrash, () => new WorkerCrashError(
        `worker ${label} exited with code ${code}; the locks it held are recovered, and waits on its channels fail where no one is left on their other side`, { exitCode: code },
      ), resolve, reject);
    });
  });
  if (options.onCrash) exited.catch(() => {});
  const terminate = hostTerminate(state, () => ended, () => worker.terminate(), exited);
  return { worker, exited, terminate, [Symbol.asyncDispose]: terminate };
}

// ---- inside a worker thread -----------------------------------------------------------------

const spawned =
  !isMainThread && workerData !== null && typeof workerData === "object" && (workerData as Record<string, unknown>)[SPAWN_MARK] === 1;

// At load in a worker started by spawnWorker: attach the endpoints of its data (with a codec
// that never runs), so this thread is a party of their channels from its first instruction;
// a handle that cannot attach is skipped here and reported by attachWorkerData.
if (spawned) peerEndpoints((workerData as { data: unknown }).data);

/**
 * Inside a worker thread started by spawnWorker: the `data` it was given, attached on this
 * thread (fromWire). Pass { codecs } for channels made with a custom codec. Asynchronous like
 * the Web Worker version; the data is already there, so it settles at once.
 */
export async function attachWorkerData<Data = unknown>(options: FromWireOptions = {}): Promise<Attached<Data>> {
  if (isMainThread) {
    throw new SabreError("attachWorkerData is called inside a worker started by spawnWorker, not on the main thread");
  }
  if (!spawned) {
    throw new SabreError(
      "attachWorkerData: this worker was not started by spawnWorker (a worker started by startWorker reads its data with workerInput())",
    );
  }
  return fromWire((workerData as { data: Data }).data, options);
}
