// core.ts — PoolCore: the private core behind Pool (pool.ts). Platform-neutral: it reaches
// workers only through a WorkerHost, one per runtime (node/pool.ts: worker threads and child
// processes; browser/pool.ts: Web Workers), and tasks and results only through sabre Channels
// in the pool's own Region (protocol.ts), never postMessage. The host makes that region (a
// file-backed one for processes), so the protocol and this core are the same on every runtime.
//
// Where a task is, and who may move it (all on the caller's thread):
//
//   (waiting: queue full, queueFull "wait") ──room──> queued
//   queued ──dispatch──> dispatched ──reply──> done
//     │                    │   └─worker died─> queued again (not begun) | rejected (begun)
//     └─cancel─> rejected  └─cancel─> rejected at once; the worker is told on its control
//                                channel and has cancelGracePeriod to report the task's end,
//                                else, if the task has begun there, it is terminated and
//                                replaced (not begun: the grace period starts again)
//
// Contracts:
//   - Every promise run() returns settles exactly once (task.ts: `settleTask` is the only way;
//     a late reply for a settled task only frees its slot).
//   - Dispatch keeps at most `concurrentTasksPerWorker + prefetch` tasks on a worker; queued
//     tasks stay here, highest priority first, until a worker has room. run() calls in one
//     tick are sent as one batch (the dispatch runs in a microtask); one message per batch.
//   - One async loop (results.ts) receives every worker's replies from the shared results
//     channel; it polls briefly only while short tasks are out (SPIN_IF_RUN_BELOW_MICROS), and
//     lets the event loop turn after each round so the callers' continuations submit their
//     next tasks.
//   - A worker that dies: the replies it sent before are taken first (a task that finished
//     is not reported as killed); then its tasks that had begun (protocol.ts, word `started`)
//     reject with TaskWorkerError carrying the cause (its own report of an uncaught error,
//     R_FATAL, when it sent one; else the host's); the others are queued again in their order; a
//     replacement starts when there is work or fewer than minThreads live. A worker that dies
//     before it loaded the task module rejects its tasks and the queue with that error (every
//     worker would fail the same way; no restart loop).
//   - close(): no new task; queued and running ones finish; then workers end and the
//     resources are freed. destroy(): every unsettled task rejects with PoolClosedError, its
//     streams end with it, workers are terminated.
//
// The pieces: task.ts (a task and its settling), worker-slot.ts (the platform seam and what is
// kept per worker), results.ts (the replies loop), task-queue.ts, stats.ts, stream.ts.
import { AbortError, PoolClosedError, QueueFullError, TaskWorkerError, TimeoutError } from "../errors";
import { Channel } from "../channel/channel";
import type { Region } from "../region/region";
import { resolveOptions, pickRuntime, type PoolOptions, type ResolvedOptions, type RunOptions } from "./options";
import {
  R_ERROR, R_FATAL, R_OK, R_READY, R_SKIPPED, R_STREAM, STATE_PARKED, type ResultBatch, type TaskBatch,
} from "./protocol";
import { StatsRecorder, type PoolStats } from "./stats";
import { TaskQueue } from "./task-queue";
import { PoolStream } from "./stream";
import { DISPATCHED, DONE, QUEUED, Task, reviveError, settleTask } from "./task";
import { TASK_CHANNEL_BYTES, WorkerSlot, freeWorkerSlot, openWorkerSlot, type WorkerHost } from "./worker-slot";
import { ResultsLoop } from "./results";

export type { SpawnedPoolWorker, WorkerHost } from "./worker-slot";

/** Tasks whose mean run time is below this are short enough to poll for (us). */
const SPIN_IF_RUN_BELOW_MICROS = 200;
/** Auto prefetch keeps about this much work (us) waiting in each worker. */
const PREFETCH_TARGET_MICROS = 1000;
const PREFETCH_MAX = 1024;
const RESULT_CHANNEL_BYTES = 1024 * 1024;
/** Milliseconds a killed or crashed worker's channels stay allocated (#quarantine). */
const QUARANTINE_MS = 1000;
/** Room for stream channels (64 KiB rings): about 250 streams open at once. */
const STREAM_RESERVE_BYTES = 16 * 1024 * 1024;

function unref(timer: unknown): void {
  (timer as { unref?: () => void })?.unref?.();
}

/**
 * Whether a worker that died never loaded its task module: it began no task (`started`, word 1,
 * published before a task function is called) and its R_READY was not seen. R_READY alone is
 * not enough: a worker that loaded and died on its first task may have its R_READY still behind
 * another worker's unfinished reply in the results channel, where drain() cannot reach it, and
 * the pool would then fail its whole queue as a load failure.
 */
function failedToLoad(w: WorkerSlot): boolean {
  return !w.ready && !w.killedFor && w.words[1] === 0;
}

export class PoolCore {
  readonly options: ResolvedOptions;
  readonly #host: WorkerHost;
  readonly #region: Region;
  readonly #results: Channel<ResultBatch>;
  readonly #queue = new TaskQueue<Task>();
  /** Tasks waiting for room in the queue (queueFull "wait"), in arrival order. */
  #overflow: Task[] = [];
  readonly #dispatched = new Map<number, Task>();
  readonly #workers: WorkerSlot[] = [];
  readonly #stats = new StatsRecorder();
  #nextTask = 1;
  #nextWorker = 1;
  #pumpQueued = false;
  #closing = false;
  #destroyed = false;
  #closed: Promise<void> | undefined;
  #idleWaiters: (() => void)[] = [];
  /** Killed or crashed workers whose memory is not yet free (#quarantine). */
  readonly #quarantined = new Set<WorkerSlot>();
  /** Mean run time (us, exponentially weighted), for prefetch and polling decisions. */
  #meanRunMicros = 1000;
  readonly #replies: ResultsLoop;
  #loop: Promise<void>;

  /** `hosts`: the runtimes of this platform, the default first. */
  constructor(options: PoolOptions, hosts: readonly WorkerHost[]) {
    const host = pickRuntime(options, hosts);
    this.options = resolveOptions(options, host.runtime, host.cores, (f) => host.toURL(f));
    this.#host = host;
    const o = this.options;
    const size = RESULT_CHANNEL_BYTES + o.maxThreads * (TASK_CHANNEL_BYTES + 64 * 1024) + STREAM_RESERVE_BYTES + (1 << 20);
    this.#region = host.createRegion(size);
    this.#results = Channel.create<ResultBatch>(this.#region, {
      capacity: 4096, bufferBytes: RESULT_CHANNEL_BYTES, name: "pool results",
    });
    for (let i = 0; i < o.minThreads; i++) this.#spawn();
    // the results loop ends only when the pool closes; if it fails (a corrupt reply), nothing
    // would ever settle again: destroy the pool with that error as the cause
    this.#replies = new ResultsLoop(this.#results, {
      onReplies: (batch) => this.#onReplies(batch),
      shouldPoll: () => this.#dispatched.size > 0 && this.#meanRunMicros < SPIN_IF_RUN_BELOW_MICROS,
      pump: () => this.#pump(),
    });
    this.#loop = this.#replies.run().catch((error) => {
      void this.destroy(error);
    });
  }

  // ---- submitting ---------------------------------------------------------------------------

  run(input: unknown, options: RunOptions): Promise<unknown> {
    if (this.#closing) {
      return Promise.reject(new PoolClosedError(`Pool.run: the pool is ${this.#destroyed ? "destroyed" : "closing"}; no new task is accepted`));
    }
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(new AbortError("Pool.run: the task's AbortSignal was already aborted; the task was not queued", { cause: signal.reason }));
    }
    const full = this.#queue.length + this.#overflow.length >= this.#queueRoom();
    if (full && this.options.queueFull === "reject") {
      return Promise.reject(new QueueFullError(
        `Pool.run: the queue holds maxQueue (${this.options.maxQueue}) tasks; wait for some to finish, or raise maxQueue`,
      ));
    }
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const task = new Task(this.#nextTask++, options.name ?? this.options.name, input, options.priority ?? 0, signal, performance.now(), resolve, reject);
    if (signal) {
      task.onAbort = () => this.cancel(task, new AbortError(`Pool task "${task.name}" was aborted by its AbortSignal`, { cause: signal.reason }));
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    if (options.timeout !== undefined && options.timeout !== Infinity) {
      task.timer = setTimeout(
        () => this.cancel(task, new TimeoutError(`Pool task "${task.name}" timed out after ${options.timeout} ms`)),
        options.timeout,
      );
    }
    if (full) {
      task.overflow = true;
      this.#overflow.push(task);
    } else this.#queue.push(task);
    this.#schedulePump();
    return promise;
  }

  /** Cancels `task` with `error` (its signal fired or its timeout ran out; or a stream's
   *  consumer stopped early): see the header. */
  cancel(task: Task, error: Error): void {
    if (task.state === DONE) return;
    if (task.state === QUEUED) {
      if (task.overflow) this.#overflow.splice(this.#overflow.indexOf(task), 1);
      else this.#queue.remove(task);
      task.state = DONE;
      this.#stats.cancelled++;
      settleTask(task, false, error);
      this.#checkIdle();
      return;
    }
    // dispatched: reject now, tell the worker, and give it the grace period
    if (task.cancelled) return;
    task.cancelled = true;
    if (!task.settled) this.#stats.cancelled++;
    settleTask(task, false, error);
    task.stream?.fail(error);
    const w = task.worker!;
    if (w.dead) return;
    try {
      if (!w.control.trySend([task.id])) void w.control.sendAsync([task.id]).catch(() => {});
    } catch {
      // the worker is gone; its exit handling settles the slot
    }
    const expire = () => {
      if (task.state === DONE || w.dead) return;
      if (task.seq > w.words[1]) {
        // not begun yet (a worker still starting, or busy before it): it will be skipped, or
        // begin and see its signal aborted; only a task that began and ignores it costs a worker
        task.grace = setTimeout(expire, this.options.cancelGracePeriod);
        unref(task.grace);
        return;
      }
      this.#terminate(w, new TaskWorkerError(
        `pool worker ${w.id} was terminated: task ${task.id} ("${task.name}") was cancelled and did not stop within cancelGracePeriod (${this.options.cancelGracePeriod} ms)`,
        { cause: error },
      ));
    };
    task.grace = setTimeout(expire, this.options.cancelGracePeriod);
    unref(task.grace);
  }

  // ---- dispatching --------------------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => this.#pump());
  }

  #limit(): number {
    const o = this.options;
    let prefetch: number;
    if (o.prefetch === "auto") {
      prefetch = Math.ceil(PREFETCH_TARGET_MICROS / Math.max(this.#meanRunMicros, 0.5));
      prefetch = Math.max(1, Math.min(PREFETCH_MAX, prefetch));
    } else prefetch = o.prefetch;
    return o.concurrentTasksPerWorker + prefetch;
  }

  /** The worker to give tasks to: one that can start a task now (not parked first), else,
   *  growing the pool if it may, else one with room to hold more. */
  #pick(): WorkerSlot | undefined {
    const c = this.options.concurrentTasksPerWorker;
    let best: WorkerSlot | undefined;
    let bestParked = true;
    for (const w of this.#workers) {
      if (w.dead || w.retiring || w.sending || w.inflight >= c) continue;
      const parked = w.words[0] === STATE_PARKED;
      if (best === undefined || (bestParked && !parked) || (parked === bestParked && w.inflight < best.inflight)) {
        best = w;
        bestParked = parked;
      }
    }
    if (best) return best;
    if (this.#live() < this.options.maxThreads && !this.#destroyed) {
      try {
        return this.#spawn();
      } catch {
        return undefined; // #spawn rejects the queue with the platform's error
      }
    }
    const limit = this.#limit();
    for (const w of this.#workers) {
      if (w.dead || w.retiring || w.sending || w.inflight >= limit) continue;
      if (best === undefined || w.inflight < best.inflight) best = w;
    }
    return best;
  }

  /** Tasks the queue may hold: maxQueue waiting ones, plus one per task a worker (live or yet
   *  to be started, up to maxThreads) could begin now — maxQueue counts only tasks that must
   *  wait, so maxQueue 0 still runs a task whenever a worker is free. */
  #queueRoom(): number {
    const o = this.options;
    if (o.maxQueue === Infinity) return Infinity;
    const c = o.concurrentTasksPerWorker;
    let free = 0;
    let live = 0;
    for (const w of this.#workers) {
      if (w.dead || w.retiring) continue;
      live++;
      free += Math.max(0, c - w.inflight);
    }
    if (!this.#destroyed) free += Math.max(0, o.maxThreads - live) * c;
    return o.maxQueue + free;
  }

  /** Moves waiting tasks into the queue while it has room. */
  #admit(): void {
    let n = 0;
    const room = this.#queueRoom();
    while (n < this.#overflow.length && this.#queue.length < room) {
      const task = this.#overflow[n++];
      task.overflow = false;
      this.#queue.push(task);
    }
    if (n > 0) this.#overflow.splice(0, n);
  }

  #pump(): void {
    this.#pumpQueued = false;
    if (this.#destroyed) return;
    const limit = this.#limit();
    this.#admit();
    while (this.#queue.length > 0) {
      const w = this.#pick();
      if (w === undefined) break;
      const batch: TaskBatch = [];
      const sent: Task[] = [];
      const now = performance.now();
      const room = limit - w.inflight;
      while (batch.length < room) {
        const task = this.#queue.shift();
        if (task === undefined) break;
        task.state = DISPATCHED;
        task.worker = w;
        w.inflight++;
        this.#dispatched.set(task.id, task);
        this.#stats.recordWait((now - task.submitted) * 1000);
        batch.push([task.id, task.name, task.input]); // input kept until settled: a crash may requeue it
        sent.push(task);
      }
      if (w.idleTimer !== undefined) {
        clearTimeout(w.idleTimer);
        w.idleTimer = undefined;
      }
      this.#send(w, batch, sent);
      this.#admit();
    }
  }

  /** Sends `batch` (the tasks `sent`, in order) to `w`, numbering them in w's dispatch order
   *  (protocol.ts, `started`) as they go into its channel. */
  #send(w: WorkerSlot, batch: TaskBatch, sent: Task[]): void {
    const number = () => {
      for (const t of sent) t.seq = ++w.seq;
    };
    try {
      if (w.tasks.trySend(batch)) return number();
    } catch (error) {
      this.#sendFailed(w, batch, sent, error);
      return;
    }
    // the ring is short of room (large inputs): send without blocking this thread; nothing
    // else goes to w meanwhile, so the numbering stays in channel order
    w.sending = true;
    number();
    w.tasks.sendAsync(batch).then(
      () => {
        w.sending = false;
        this.#schedulePump();
      },
      (error) => {
        w.sending = false;
        w.seq -= sent.length;
        this.#sendFailed(w, batch, sent, error);
      },
    );
  }

  /** A batch that was not sent. To a gone worker: numbered past anything it began, so its
   *  exit queues them again. Refused by the codec (an input it cannot encode; nothing of the
   *  batch was sent): alone, the task rejects with the CodecError; in a batch, each is sent on
   *  its own so that only the culprit fails. */
  #sendFailed(w: WorkerSlot, batch: TaskBatch, sent: Task[], error: unknown): void {
    const name = (error as Error)?.name;
    if (w.dead || name === "PeerGoneError" || name === "ClosedError") {
      for (const t of sent) t.seq = ++w.seq;
      return;
    }
    if (sent.length === 1) {
      this.#stats.failed++;
      this.#done(sent[0]);
      settleTask(sent[0], false, error);
    } else {
      for (let i = 0; i < sent.length; i++) this.#send(w, [batch[i]], [sent[i]]);
    }
    this.#schedulePump();
  }

  /** Takes a dispatched task back from its worker (not begun there). */
  #undispatch(task: Task): void {
    const w = task.worker!;
    w.inflight--;
    this.#dispatched.delete(task.id);
    task.state = QUEUED;
    task.worker = undefined;
  }

  #done(task: Task): void {
    task.state = DONE;
    if (task.grace !== undefined) clearTimeout(task.grace);
    task.stream?.workerDone();
    const w = task.worker;
    if (w) {
      w.inflight--;
      this.#dispatched.delete(task.id);
      if (w.inflight === 0) this.#idle(w);
    }
  }

  // ---- workers ------------------------------------------------------------------------------

  #live(): number {
    let n = 0;
    for (const w of this.#workers) if (!w.dead && !w.retiring) n++;
    return n;
  }

  #spawn(): WorkerSlot {
    const o = this.options;
    const id = this.#nextWorker++;
    const { slot: w, init } = openWorkerSlot(this.#region, id, this.#results, o);
    this.#workers.push(w);
    this.#stats.setThreads(this.#live());
    try {
      w.spawned = this.#host.spawn(init, o, `pool worker ${id}`);
    } catch (error) {
      // the platform refused to start it (bad execArgv, ...): fail the work that needs it
      w.dead = true;
      this.#workers.splice(this.#workers.indexOf(w), 1);
      this.#stats.setThreads(this.#live());
      freeWorkerSlot(this.#region, w);
      queueMicrotask(() => this.#failAll(error));
      throw error;
    }
    w.spawned.exited.then(
      () => this.#exited(w, undefined),
      (error) => this.#exited(w, error ?? new Error("pool worker exited")),
    );
    return w;
  }

  #idle(w: WorkerSlot): void {
    if (this.#closing) return this.#checkIdle();
    const o = this.options;
    if (o.idleTimeout === Infinity || w.retiring || w.dead) return;
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
    w.idleTimer = setTimeout(() => {
      w.idleTimer = undefined;
      if (w.inflight === 0 && !w.dead && this.#live() > o.minThreads) this.#retire(w);
    }, o.idleTimeout);
    unref(w.idleTimer);
  }

  /** Lets `w` finish and end: closing its task channel ends it once its tasks settled. */
  #retire(w: WorkerSlot): void {
    w.retiring = true;
    this.#stats.setThreads(this.#live());
    w.tasks.close();
  }

  #terminate(w: WorkerSlot, reason: Error): void {
    if (w.dead || w.killedFor) return;
    w.killedFor = reason;
    void w.spawned.terminate();
  }

  #exited(w: WorkerSlot, error: unknown): void {
    if (!this.#destroyed) this.#replies.drain(); // what it finished before it died is not lost
    w.dead = true;
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
    this.#workers.splice(this.#workers.indexOf(w), 1);
    this.#stats.setThreads(this.#live());
    let reason = w.killedFor ?? error;
    if (reason !== undefined && w.fatal !== undefined && !w.killedFor) {
      // the worker's own report of its uncaught error is the cause; the exit is the cause's cause
      if (w.fatal.cause === undefined) Object.defineProperty(w.fatal, "cause", { value: reason, configurable: true, writable: true });
      reason = w.fatal;
    }
    if (reason !== undefined && !this.#destroyed) {
      const started = w.words[1];
      const mine = [...this.#dispatched.values()].filter((t) => t.worker === w).sort((a, b) => a.seq - b.seq);
      const loadFailure = failedToLoad(w);
      const cause = reason instanceof Error ? reason : new Error(String(reason));
      for (let i = mine.length - 1; i >= 0; i--) {
        const t = mine[i];
        if (t.seq > started && !loadFailure && !t.cancelled) {
          this.#undispatch(t);
          this.#queue.unshift(t);
          continue;
        }
        const failed = !t.settled;
        this.#done(t);
        const message = loadFailure
          ? `pool worker ${w.id} failed to start (loading ${this.options.filename}): ${cause.message}`
          : w.killedFor
            ? w.killedFor.message
            : `pool worker ${w.id} died while running task ${t.id} ("${t.name}"): ${cause.message}`;
        const err = new TaskWorkerError(message, { cause: w.killedFor ? w.killedFor.cause ?? cause : cause });
        if (failed) this.#stats.failed++;
        settleTask(t, false, err);
        t.stream?.fail(err);
      }
      if (loadFailure) {
        this.#failAll(new TaskWorkerError(`pool worker ${w.id} failed to start (loading ${this.options.filename}): ${cause.message}`, { cause }));
      } else if (!this.#closing) {
        this.#stats.replacedWorkers++;
      }
    } else {
      // a clean exit (retired, or closing) or destroy: nothing of its work is left, except
      // tasks a destroyed pool has already rejected
      for (const t of [...this.#dispatched.values()]) if (t.worker === w) this.#done(t);
    }
    if (reason === undefined) freeWorkerSlot(this.#region, w);
    else this.#quarantine(w);
    if (!this.#destroyed) {
      const needed = this.#queue.length > 0 || this.#live() < this.options.minThreads;
      if (needed && (!this.#closing || this.#queue.length > 0) && !(reason !== undefined && failedToLoad(w))) {
        if (this.#live() < this.options.maxThreads) {
          try {
            this.#spawn();
          } catch {
            // the platform refused it: #spawn rejected the queue with its error
          }
        }
      }
      this.#schedulePump();
    }
    this.#checkIdle();
  }

  /** Frees the channels and words of a worker that was killed or crashed only after
   *  QUARANTINE_MS (or at shutdown): a Web Worker's terminate() returns before its thread has
   *  stopped, and memory reused at once could still be touched by it (a stale mark of its
   *  channel's peer as gone would land on the replacement's channel). */
  #quarantine(w: WorkerSlot): void {
    this.#quarantined.add(w);
    unref(setTimeout(() => {
      if (this.#quarantined.delete(w)) freeWorkerSlot(this.#region, w);
    }, QUARANTINE_MS));
  }

  /** Rejects every queued task with `error` (the task module cannot load). */
  #failAll(error: unknown): void {
    for (const t of this.#takeWaiting()) {
      t.state = DONE;
      this.#stats.failed++;
      settleTask(t, false, error);
    }
    this.#checkIdle();
  }

  // ---- replies ------------------------------------------------------------------------------

  #onReplies(batch: ResultBatch): void {
    for (const reply of batch) {
      switch (reply[0]) {
        case R_OK: {
          const task = this.#dispatched.get(reply[1]);
          if (task === undefined) break;
          this.#ran(reply[3]);
          if (!task.cancelled) this.#stats.completed++;
          this.#done(task);
          if (task.stream) task.stream.end();
          else settleTask(task, true, reply[2]);
          break;
        }
        case R_ERROR: {
          const task = this.#dispatched.get(reply[1]);
          if (task === undefined) break;
          this.#ran(reply[3]);
          if (!task.cancelled) this.#stats.failed++;
          this.#done(task);
          const error = reviveError(reply[2]);
          if (task.stream) task.stream.fail(error);
          settleTask(task, false, error);
          break;
        }
        case R_STREAM: {
          const task = this.#dispatched.get(reply[1]);
          if (task === undefined) break;
          const channel = Channel.from<unknown>({ ...(reply[2] as object), region: this.#region.handle } as never);
          task.stream = new PoolStream(channel, () => this.cancel(task, new AbortError(`Pool task "${task.name}": its stream's consumer stopped early`)));
          if (task.cancelled) task.stream.fail(new AbortError(`Pool task "${task.name}" was cancelled`));
          settleTask(task, true, task.stream);
          break;
        }
        case R_READY: {
          const w = this.#workers.find((x) => x.id === reply[1]);
          if (w) w.ready = true;
          break;
        }
        case R_FATAL: {
          const w = this.#workers.find((x) => x.id === reply[1]);
          if (w) w.fatal = reviveError(reply[2]);
          break;
        }
        case R_SKIPPED: {
          const task = this.#dispatched.get(reply[1]);
          if (task) this.#done(task);
          break;
        }
      }
    }
    this.#checkIdle();
  }

  #ran(micros: number): void {
    this.#stats.recordRun(micros);
    this.#meanRunMicros += (micros - this.#meanRunMicros) * 0.1;
  }

  // ---- ending -------------------------------------------------------------------------------

  get stats(): PoolStats {
    return this.#stats.snapshot(this.#queue.length + this.#overflow.length, this.#dispatched.size, this.#live());
  }

  get threads(): number {
    return this.#live();
  }

  get queueSize(): number {
    return this.#queue.length + this.#overflow.length;
  }

  /** Removes and returns every task not dispatched: the queue's, then the waiting ones. */
  #takeWaiting(): Task[] {
    const all = this.#queue.drain().concat(this.#overflow);
    this.#overflow = [];
    for (const t of all) t.overflow = false;
    return all;
  }

  #checkIdle(): void {
    if (this.#queue.length > 0 || this.#overflow.length > 0 || this.#dispatched.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #whenIdle(): Promise<void> {
    if (this.#queue.length === 0 && this.#overflow.length === 0 && this.#dispatched.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      await this.#whenIdle();
      await this.#shutdown(false);
    })();
    return this.#closed;
  }

  /** `cause`: why the pool destroys itself (its results loop failed), if it does. */
  destroy(cause?: unknown): Promise<void> {
    if (this.#destroyed) return this.#closed!;
    this.#closing = true;
    this.#destroyed = true;
    const error = cause === undefined
      ? new PoolClosedError("Pool.destroy: the pool was destroyed before this task finished")
      : new PoolClosedError("Pool: the pool failed and was destroyed before this task finished; see the cause", { cause });
    for (const t of this.#takeWaiting()) {
      t.state = DONE;
      settleTask(t, false, error);
    }
    for (const t of [...this.#dispatched.values()]) {
      settleTask(t, false, error);
      t.stream?.fail(error);
    }
    this.#closed = this.#shutdown(true);
    return this.#closed;
  }

  async #shutdown(force: boolean): Promise<void> {
    const workers = [...this.#workers];
    for (const w of workers) {
      if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
      if (force) void w.spawned.terminate();
      else if (!w.retiring) {
        w.retiring = true;
        w.tasks.close();
      }
    }
    await Promise.all(workers.map((w) => w.spawned.exited.catch(() => {})));
    // #exited ran for each (its handlers were attached first): slots freed
    for (const t of [...this.#dispatched.values()]) this.#done(t);
    this.#results.close();
    for (const w of this.#quarantined) freeWorkerSlot(this.#region, w);
    this.#quarantined.clear();
    await this.#loop.catch(() => {});
    this.#idleWaiters.splice(0).forEach((wake) => wake());
  }
}

