// errors.ts — the pool's own named errors. Each has a literal `name` and a stable string `code`
// (an error may cross a thread and still be recognised; never match message text). An error a
// task throws in its worker is not wrapped: run() rejects with a copy of it (same name,
// message, code, fields and stack; reviveError in core.ts).
import { SabreError } from "../index";

/** The pool is closing or destroyed: no new task is accepted; `run` rejects with this, and
 *  destroy() rejects every unsettled task with it. */
export class PoolClosedError extends SabreError {
  readonly code = "POOL_CLOSED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PoolClosedError";
  }
}

/** `run` found the pool's queue at `maxQueue`: the task was not queued. */
export class QueueFullError extends SabreError {
  readonly code = "POOL_QUEUE_FULL";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QueueFullError";
  }
}

/** A task's worker died while the task ran (an uncaught error, process.exit, out of memory), or
 *  was terminated because a cancelled task on it did not stop within the grace period. The
 *  worker's own error is the `cause`; the pool replaced the worker. */
export class TaskWorkerError extends SabreError {
  readonly code = "POOL_WORKER_DIED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TaskWorkerError";
  }
}
