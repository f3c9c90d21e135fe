// pool.ts — Pool: the public facade of the worker pool (over PoolCore, core.ts, as piscina's
// Piscina over its private core). The platform comes from its WorkerHosts, one per runtime:
// 'sabre/node' exports the Pool bound to worker threads and child processes (src/node/pool.ts),
// 'sabre' the Pool bound to Web Workers (src/browser/pool.ts).
//
//   const pool = new Pool({ filename: new URL("./tasks.mjs", import.meta.url) });
//   await pool.run(21, { name: "double" })          // 42: tasks.mjs exports double(x)
//   for await (const r of pool.map(inputs, { name: "double" })) ...
//   for await (const item of await pool.run(n, { name: "count" })) ...   // count returns a generator
//   await pool.close()                               // or `await using pool = new Pool(...)`
//
// Contract (see core.ts for the task life cycle):
//   - run(input, { name, signal, priority, timeout }) -> the task function's value (awaited),
//     or a PoolStream when it returned an (async) iterator; rejects with the task's error
//     (same name, message, code and stack), AbortError, TimeoutError, QueueFullError,
//     PoolClosedError or TaskWorkerError (the worker died; `cause` says why).
//   - A task function is called as fn(input, { id, name, signal, workerData }).
//   - map() pulls its input only while fewer than `concurrency` of its tasks are unfinished
//     (ordered: not yet yielded), so a slow consumer holds back the input.
import { AbortError } from "../errors";
import { PoolCore, type WorkerHost } from "./core";
import { checkKeys, checkRunOptions, type PoolOptions, type ResolvedOptions, type RunOptions } from "./options";
import type { PoolStats } from "./stats";
import { InvalidArgumentError } from "../errors";

/** Options of `pool.map(inputs, options)`: the run options of its tasks, plus how many may be
 *  unfinished at once and in which order the results come. */
export interface MapOptions {
  /** The export to call (default: the pool's `name`). */
  name?: string;
  /** Tasks of this map that may be unfinished at once (default: twice the pool's capacity,
   *  maxThreads x concurrentTasksPerWorker x 2). */
  concurrency?: number;
  /** Yield results in input order (default true); false yields each as it completes. */
  ordered?: boolean;
  /** Cancels the map: its running tasks are cancelled, the iteration throws AbortError. */
  signal?: AbortSignal;
  /** Priority of its tasks. */
  priority?: number;
}

const MAP_KEYS = ["name", "concurrency", "ordered", "signal", "priority"];

/**
 * The platform-neutral worker pool: runs the exports of a task module in workers, with a
 * priority queue, cancellation, timeouts, streamed results and statistics. It needs a
 * platform to start workers, so it is not constructed directly: 'sabre/node' exports `Pool`,
 * this class bound to Node worker threads and child processes (`new Pool({ filename, runtime,
 * ... })`), and 'sabre' exports `Pool` bound to Web Workers; this type is the common shape of
 * such pools.
 *
 * `run(input, { name })` calls the task module's export `name` with
 * `(input, { id, name, signal, workerData })` and resolves to its value, or to a
 * {@link PoolStream} when it returned an (async) iterable; it rejects with the task's error
 * (same name, message, code and stack), AbortError, TimeoutError, QueueFullError,
 * PoolClosedError or TaskWorkerError (the worker died). `map()` runs a task per input,
 * pulling its input only while fewer than `concurrency` tasks are unfinished.
 */
export class PoolBase {
  readonly #core: PoolCore;

  /** @internal use the Pool that 'sabre/node' (threads, processes) or 'sabre' (Web Workers)
   *  exports. `hosts`: the platform's runtimes, the default first. */
  constructor(options: PoolOptions, hosts: readonly WorkerHost[]) {
    this.#core = new PoolCore(options, hosts);
  }

  /** Runs the task module's export `name` on `input` in a worker (see the header). */
  run<R = unknown>(input?: unknown, options: RunOptions = {}): Promise<R> {
    try {
      checkRunOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#core.run(input, options) as Promise<R>;
  }

  /** Runs a task per item of `inputs`, yielding their results (see the header). */
  async *map<R = unknown>(inputs: Iterable<unknown> | AsyncIterable<unknown>, options: MapOptions = {}): AsyncGenerator<R, void, undefined> {
    checkKeys("map option", options, MAP_KEYS);
    const o = this.#core.options;
    const concurrency = options.concurrency ?? o.maxThreads * o.concurrentTasksPerWorker * 2;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError(`Pool: map option concurrency must be an integer >= 1, got ${String(options.concurrency)}`);
    }
    const ordered = options.ordered ?? true;
    // one controller per unfinished task (one shared signal would collect a listener per task)
    const running = new Set<AbortController>();
    const cancelAll = (reason: unknown) => {
      for (const c of running) c.abort(reason);
    };
    const outer = options.signal;
    const onOuter = () => cancelAll(outer!.reason);
    if (outer?.aborted) throw new AbortError("Pool.map was aborted by its AbortSignal", { cause: outer.reason });
    outer?.addEventListener("abort", onOuter, { once: true });

    const iterable = inputs as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null | undefined;
    if (typeof iterable?.[Symbol.asyncIterator] !== "function" && typeof iterable?.[Symbol.iterator] !== "function") {
      throw new InvalidArgumentError(`Pool: map inputs must be an iterable or an async iterable (an array, a generator...), got ${inputs === null ? "null" : typeof inputs}`);
    }
    const source = iterable[Symbol.asyncIterator]?.() ?? iterable[Symbol.iterator]!();
    type Slot = { settled: boolean; ok: boolean; value: unknown };
    const pending: { slot: Slot; promise: Promise<Slot> }[] = []; // ordered: in input order
    const completed: Slot[] = []; // unordered: in completion order
    let wake: (() => void) | undefined;
    let unfinished = 0;
    let exhausted = false;
    const launch = (input: unknown) => {
      const slot: Slot = { settled: false, ok: false, value: undefined };
      const controller = new AbortController();
      running.add(controller);
      const runOptions: RunOptions = { signal: controller.signal };
      if (options.name !== undefined) runOptions.name = options.name;
      if (options.priority !== undefined) runOptions.priority = options.priority;
      const promise = this.run(input, runOptions).finally(() => running.delete(controller)).then(
        (value) => Object.assign(slot, { settled: true, ok: true, value }),
        (error) => Object.assign(slot, { settled: true, ok: false, value: error }),
      ).then((s) => {
        if (!ordered) {
          completed.push(s);
          wake?.();
        }
        return s;
      });
      unfinished++;
      if (ordered) pending.push({ slot, promise });
    };
    try {
      for (;;) {
        while (!exhausted && unfinished < concurrency) {
          const next = await source.next();
          if (next.done) exhausted = true;
          else launch(next.value);
        }
        if (unfinished === 0) return;
        let slot: Slot;
        if (ordered) {
          slot = await pending.shift()!.promise;
        } else {
          while (completed.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          slot = completed.shift()!;
        }
        unfinished--;
        if (!slot.ok) throw slot.value;
        yield slot.value as R;
      }
    } finally {
      outer?.removeEventListener("abort", onOuter);
      if (running.size > 0) cancelAll(new AbortError("Pool.map ended before its tasks finished"));
      if (!exhausted) await source.return?.();
    }
  }

  /** Counters and latency percentiles (run time, wait time) since the pool started. */
  get stats(): PoolStats {
    return this.#core.stats;
  }

  /** Live workers. */
  get threads(): number {
    return this.#core.threads;
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.#core.queueSize;
  }

  /** The options in effect: the constructor's {@link PoolOptions}, validated, with every
   *  default filled in (filename as a URL string, the runtime chosen, maxQueue a number). */
  get options(): Readonly<ResolvedOptions> {
    return this.#core.options;
  }

  /** Accepts no new task, finishes the queued and running ones, then ends the workers. */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Rejects every unfinished task with PoolClosedError and terminates the workers now. */
  destroy(): Promise<void> {
    return this.#core.destroy();
  }

  /** `await using pool = new Pool(...)`: close() at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
