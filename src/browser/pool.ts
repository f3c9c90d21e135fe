// browser/pool.ts — the Pool of 'sabre' (browsers): src/pool's Pool bound to one runtime, "web"
// (the default): the pool's worker script runs in module Web Workers started with this
// entry's spawnWorker; tasks and results go through the same shared-memory channels as in Node
// (the page only ever waits asynchronously: recvAsync, sendAsync). Platform-neutral code: no
// node: import.
//
// The worker script is dist/browser/pool-worker.js beside dist/browser/sabre.js (and
// dist/pool-worker.js beside the neutral build, for bundlers): `new URL("./pool-worker.js",
// import.meta.url)`. The build makes it from workers/pool-web-worker.mjs; it imports the sabre
// module file next to it. The task module is a URL the worker can import (absolute, or
// relative to the page's location), served with the page's isolation headers.
//
// A Web Worker's own end is invisible to its parent, so the worker script posts one
// POOL_EXIT_MARK message when it has finished serving; the host then ends it (terminate), which
// settles `exited`. That message is the only postMessage of the pool: tasks, results, cancels
// and streams never use it. A worker that throws is a crash (spawnWorker's rule): its running
// tasks reject with TaskWorkerError, whose cause is spawnWorker's WorkerCrashError.
import { SabreError, InvalidArgumentError } from "../errors";
import { PoolBase } from "../pool/pool";
import type { WorkerHost } from "../pool/core";
import type { PoolOptions } from "../pool/options";
import { Region } from "../region/region";
import { spawnWorker } from "./spawn";

/** The message a pool worker script posts when it has finished serving (see the header). */
export const POOL_EXIT_MARK = "__sabrePoolExit";

function toURL(filename: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(filename, base).href;
  } catch {
    throw new InvalidArgumentError(`Pool: filename must be a URL of the task module (absolute, or relative to the page), got ${JSON.stringify(filename)}`);
  }
}

const webHost: WorkerHost = {
  runtime: "web",
  get cores() {
    return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 2;
  },
  toURL,
  createRegion: (size) => Region.create({ size }),
  spawn(data, _options, label) {
    if (typeof (globalThis as { Worker?: unknown }).Worker !== "function") {
      throw new SabreError("Pool from 'sabre' runs tasks in Web Workers, and this environment has none; in Node, import Pool from 'sabre/node'");
    }
    const spawned = spawnWorker(new URL("./pool-worker.js", import.meta.url), { data, name: label, type: "module" });
    spawned.worker.addEventListener("message", (event: { data?: unknown }) => {
      const d = event.data as Record<string, unknown> | null;
      if (d !== null && typeof d === "object" && d[POOL_EXIT_MARK] === true) void spawned.terminate();
    });
    return { exited: spawned.exited, terminate: () => spawned.terminate() };
  },
};

/**
 * A pool of Web Workers running the exports of a task module (src/pool/pool.ts has the
 * contract; runtime "web"): `new Pool({ filename: new URL("./tasks.js", import.meta.url) })`,
 * `run`, `map`, `close`. The page must be cross-origin isolated (shared memory). In Node,
 * 'sabre/node' exports the Pool of worker threads and child processes under the same name.
 */
export class Pool extends PoolBase {
  constructor(options: PoolOptions) {
    super(options, [webHost]);
  }
}
