// node/spawn-process.ts — spawnProcess and attachProcessData: child Node processes that share
// regions, channels, mailboxes and primitives with their parent ('sabre/node').
//
// Parent:
//   const { process: child, exited, terminate } = spawnProcess(new URL("./child.mjs", import.meta.url), { data })
// runs `node child.mjs` with `data` as process wire (process-wire.ts): live sabre objects
// travel as handles, their regions as descriptors. Every region in `data` must be
// file-backed (createRegion): an anonymous region's sealed memfd is inherited as a file
// descriptor (4, 5, ...), a named region is opened by name. The wire itself comes on
// descriptor 3, a sealed memfd written before the child starts (so the parent may block at
// once); the environment variable SABRE_PROCESS_SPAWN says where (and who the parent is).
// In the child:
//   const data = await attachProcessData<typeof data>({ codecs })
// gives the data with every region mapped (header checked before mapping) and every handle
// attached, as attachWorkerData does for threads. Same options shape as spawnWorker, plus
// Node's process ones (env, argv, execArgv, stdio).
//
// Crash watching (the worker host contract of spawnWorker, for processes; README, "When a
// party dies"):
//   - Before the child runs, the parent records it (pid, main thread, start time) as a party of
//     every channel and mailbox passed in `data` (preRegister).
//   - A child that exits with a non-zero code or is killed by a signal (kill -9 included) is
//     reported DIED to every region attached in the parent (reportPartyEnd), a clean exit
//     EXITED: the locks it held are taken over by their next locker, the mailboxes it read
//     become reader-gone, and waits on its channels fail with PeerGoneError only where no one
//     is left on their other side. `onCrash(error)` runs and `exited` rejects with
//     WorkerCrashError (exitCode, or the signal in the message). terminate() sends SIGTERM and
//     waits; `exited` then resolves.
//   - The parent learns of the death from the child's 'exit' event when its event loop runs,
//     and, when it is blocked in a futex wait (recv on the main thread), from the liveness
//     check between the wait's slices (liveness.ts): within LIVENESS_INTERVAL_MS either way.
//     Every other process with the region attached learns it from its own party sweep.
//   - The child watches its parent the same way (pid + start time), and reports it when it is
//     gone (once the parent is reaped its exit status is not visible: reported DIED); when the
//     child itself exits it reports its own parties from its 'exit' event.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { closeSync, readFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SabreError, WorkerCrashError } from "../errors";
import { peerEndpoints, type Attached, type FromWireOptions } from "../wire/revive";
import { reportPartyEnd } from "../region/region";
import { hostTerminate, preRegister, settleExit, type ExitState } from "../wire/crash-watch";
import { watchPeer } from "./liveness";
import { nativeAddon } from "./native";
import { fromProcessWire, toProcessWire } from "./process-wire";

/**
 * Options of spawnProcess: the data the child receives (attachProcessData) and Node's
 * child-process options. Unknown keys are refused with TypeError.
 *
 * @typeParam Data - the type of `data`.
 */
export interface SpawnProcessOptions<Data> {
  /** Plain data, arrays, Maps, Sets and live sabre objects (or their handles) in file-backed regions. */
  data?: Data;
  /** Called once when the child crashes, after its end was reported to its regions (its locks recovered; waits fail where no one is left on their other side). */
  onCrash?: (error: Error) => void;
  /** A name for the child in error messages. */
  name?: string;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Arguments after the module path (process.argv.slice(2) in the child). */
  argv?: string[];
  /** Node options before the module path (default: none). */
  execArgv?: string[];
  /** The child's stdin, stdout and stderr (default "inherit"). */
  stdio?: "inherit" | "pipe" | "ignore";
}

/** A child process started by spawnProcess: the Node ChildProcess, a promise of its exit,
 *  and terminate(). A crash marks the endpoints passed in `data` peer-gone. */
export interface SpawnedProcess {
  /** The child process (node:child_process). */
  readonly process: ChildProcess;
  /** Resolves on a clean exit or terminate(); rejects with WorkerCrashError when the child crashes. */
  readonly exited: Promise<void>;
  /** Sends the child SIGTERM and waits until it has exited (its end reported to its regions). */
  terminate(): Promise<void>;
  /**
   * `await using child = spawnProcess(...)`: terminate() at the end of the scope. Sends SIGTERM
   * and waits for the exit (its end reported to its regions); never rejects: the error that
   * ending the child causes is swallowed (`exited` still reports a crash that came first).
   */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The environment variable that tells a child started by spawnProcess where its data is. */
export const SPAWN_ENV = "SABRE_PROCESS_SPAWN";
const DATA_FD = 3;
const FIRST_REGION_FD = 4;
const OPTIONS = ["data", "onCrash", "name", "env", "argv", "execArgv", "stdio"];

function checkOptions(options: object): void {
  if (options === null || typeof options !== "object") throw new TypeError("spawnProcess: options must be an object");
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new TypeError(`spawnProcess: unknown option "${key}" (known: ${OPTIONS.join(", ")})`);
  }
  const o = options as SpawnProcessOptions<unknown>;
  if (o.onCrash !== undefined && typeof o.onCrash !== "function") throw new TypeError("spawnProcess: onCrash must be a function");
  if (o.stdio !== undefined && !["inherit", "pipe", "ignore"].includes(o.stdio)) {
    throw new TypeError(`spawnProcess: stdio must be "inherit", "pipe" or "ignore", got ${String(o.stdio)}`);
  }
}

/** Starts `module` (a path or file: URL of a script) as a child Node process with `data` (see the header). */
export function spawnProcess<Data>(module: string | URL, options: SpawnProcessOptions<Data> = {}): SpawnedProcess {
  checkOptions(options);
  const addon = nativeAddon("spawnProcess");
  const file = module instanceof URL || module.startsWith("file:") ? fileURLToPath(module) : module;
  const fds: number[] = [];
  const wire = toProcessWire(options.data, (fd) => {
    let i = fds.indexOf(fd);
    if (i < 0) i = fds.push(fd) - 1;
    return FIRST_REGION_FD + i;
  }, "spawnProcess");
  const endpoints = peerEndpoints(options.data);
  const label = options.name ?? file;
  const self = addon.processStart(process.pid);
  const env = {
    ...(options.env ?? process.env),
    [SPAWN_ENV]: JSON.stringify({ data: DATA_FD, parent: { pid: process.pid, start: self?.start } }),
  };
  const io = options.stdio ?? "inherit";
  // The wire goes in a memfd written now (not a pipe): the parent may block its thread right
  // after spawnProcess returns (a recv), and a pipe would be written only by its event loop.
  const dataFd = addon.memfdCreate("sabre-spawn-data", wire.length);
  let child: ChildProcess;
  try {
    writeSync(dataFd, wire, 0, wire.length, 0);
    const stdio: StdioOptions = [io, io, io, dataFd, ...fds];
    child = spawn(process.execPath, [...(options.execArgv ?? []), file, ...(options.argv ?? [])], { stdio, env });
  } finally {
    addon.close(dataFd);
  }

  const state: ExitState = { terminating: false };
  let ended = false;
  let unwatch = () => {};
  const pid = child.pid;
  if (pid !== undefined) {
    const start = addon.processStart(pid)?.start;
    preRegister(endpoints, pid, 0, start ?? 0);
    if (start !== undefined) unwatch = watchPeer(pid, undefined, start);
  }
  const report = (crashed: boolean) => {
    if (pid !== undefined) reportPartyEnd(pid, undefined, crashed);
  };
  const exited = new Promise<void>((resolve, reject) => {
    child.once("error", (error) => {
      state.failure = error;
      if (child.pid === undefined) {
        ended = true;
        reject(error); // never started
      }
    });
    child.once("exit", (code, signal) => {
      ended = true;
      unwatch();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      settleExit(code === 0, state, report, options.onCrash, () => new WorkerCrashError(
        `process ${label} ${how}; the locks it held are recovered, and waits on its channels fail where no one is left on their other side`, { exitCode: code ?? undefined },
      ), resolve, reject);
    });
  });
  if (options.onCrash) exited.catch(() => {});
  const terminate = hostTerminate(state, () => ended, () => child.kill("SIGTERM"), exited);
  return { process: child, exited, terminate, [Symbol.asyncDispose]: terminate };
}

// ---- in the child ---------------------------------------------------------------------------

let attached: Promise<unknown> | undefined;

/**
 * In a process started by spawnProcess: its `data`, with every region mapped and every handle
 * attached in this process. Pass { codecs } for channels made with a custom codec. Called
 * again, it returns the same data.
 */
export function attachProcessData<Data = unknown>(options: FromWireOptions = {}): Promise<Attached<Data>> {
  attached ??= new Promise((resolve) => {
    const spec = process.env[SPAWN_ENV];
    if (!spec) {
      throw new SabreError(`attachProcessData: this process was not started by spawnProcess (no ${SPAWN_ENV} in its environment)`);
    }
    delete process.env[SPAWN_ENV]; // not inherited by this process's own children
    const { data: fd, parent } = JSON.parse(spec) as { data: number; parent: { pid: number; start?: number } };
    const bytes = readFileSync(fd);
    closeSync(fd);
    const data = fromProcessWire<Data>(bytes, options);
    process.on("exit", (code) => reportPartyEnd(process.pid, undefined, code !== 0));
    if (parent.start !== undefined) watchPeer(parent.pid, undefined, parent.start);
    resolve(data);
  });
  return attached as Promise<Attached<Data>>;
}
