// task.ts — Task: one run() call of a Pool, as its core (core.ts) tracks it, and `settleTask`,
// the only way its promise settles. Lives on the caller's thread only.
//
// States (core.ts's header draws who moves a task between them):
//   QUEUED      in the core's TaskQueue, or waiting for room in it (`overflow`: queueFull "wait")
//   DISPATCHED  sent to `worker` in a batch, numbered `seq` in that worker's dispatch order
//   DONE        reported back (or given up); it holds no slot of any worker
//
// Contracts:
//   - `settled` goes false -> true once; settleTask is its only writer, and it resolves or
//     rejects the promise in the same step, so every run() promise settles exactly once (a
//     late reply for a settled task only frees its slot).
//   - Settling clears what only an unsettled task needs: its timeout, its abort listener and
//     its input (kept until then: a crashed worker's task that had not begun is sent again).
//   - `cancelled`: settled by a cancel while DISPATCHED; its worker's slot stays taken until
//     the worker reports the task (done or skipped) or dies.
import { errorFromWire, type ErrorWire } from "../errors";
import type { WireError } from "./protocol";
import type { PoolStream } from "./stream";
import type { WorkerSlot } from "./worker-slot";

export const QUEUED = 0;
export const DISPATCHED = 1;
export const DONE = 2;

export class Task {
  state = QUEUED;
  settled = false;
  /** Settled by a cancel while dispatched: the slot stays taken until the worker reports. */
  cancelled = false;
  /** Waiting for room in a full queue (queueFull "wait"), in the core's overflow, not in the queue. */
  overflow = false;
  worker: WorkerSlot | undefined = undefined;
  /** 1-based dispatch order on its worker. */
  seq = 0;
  stream: PoolStream<unknown> | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  grace: ReturnType<typeof setTimeout> | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly id: number,
    readonly name: string,
    public input: unknown,
    readonly priority: number,
    readonly signal: AbortSignal | undefined,
    readonly submitted: number,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

/** Settles `task` (once); the only place a task's promise is resolved or rejected. */
export function settleTask(task: Task, ok: boolean, value: unknown): void {
  if (task.settled) return;
  task.settled = true;
  if (task.timer !== undefined) clearTimeout(task.timer);
  if (task.onAbort) task.signal!.removeEventListener("abort", task.onAbort);
  task.input = undefined;
  if (ok) task.resolve(value);
  else task.reject(value);
}

/** An error from a worker: a sabre error as its own class, any other as an Error of the same
 *  name, message, code and fields, with the worker's stack. */
export function reviveError(w: WireError): Error {
  return errorFromWire(w as ErrorWire);
}
