// errors.ts — the pool's own named errors, in the convention of src/errors.ts: a literal
// `name` set in the class (minifiers rename classes) and a stable `code` (never match message
// text). An error a task throws in its worker is not wrapped: run() rejects with it rebuilt
// from its wire form (errorToWire / errorFromWire: a sabre error as its own class, any other
// with the same name, message, code, fields and stack).
//
//   class              code
//   PoolClosedError    ERR_SABRE_POOL_CLOSED
//   QueueFullError     ERR_SABRE_POOL_QUEUE_FULL
//   TaskWorkerError    ERR_SABRE_POOL_WORKER_DIED
//
// They are exported by 'sabre/node' with Pool. Not yet in src/errors.ts's table of classes, so
// one that crosses a thread inside data comes back as a plain Error with the same name and code.
import { SabreError } from "../errors";

/** The pool is closing or destroyed: no new task is accepted; `run` rejects with this, and
 *  destroy() rejects every unsettled task with it. */
export class PoolClosedError extends SabreError {
  override readonly name = "PoolClosedError" as const;
  override readonly code = "ERR_SABRE_POOL_CLOSED" as const;
}

/** `run` found the pool's queue at `maxQueue` (with queueFull "reject"): the task was not queued. */
export class QueueFullError extends SabreError {
  override readonly name = "QueueFullError" as const;
  override readonly code = "ERR_SABRE_POOL_QUEUE_FULL" as const;
}

/** A task's worker died while the task ran (an uncaught error, process.exit, out of memory), or
 *  was terminated because a cancelled task on it did not stop within the grace period. The
 *  worker's own error is the `cause`; the pool replaced the worker. */
export class TaskWorkerError extends SabreError {
  override readonly name = "TaskWorkerError" as const;
  override readonly code = "ERR_SABRE_POOL_WORKER_DIED" as const;
}
