// protocol.ts — the wire protocol between a Pool (src/pool/core.ts) and its workers
// (workers/pool-serve.mjs, started by the entry script of each runtime). Types and constants
// only; the worker script, plain JavaScript that imports nothing (its entry hands it sabre),
// repeats the constants below with the same values.
//
// Channels (all in the pool's region, msgpack codec):
//
//   channel   direction      readers / writers           one message is
//   tasks     pool -> worker one per worker: pool / it    TaskBatch: tasks in dispatch order
//   control   pool -> worker one per worker: pool / it    CancelBatch: ids to cancel
//   results   workers -> pool one for all: workers / pool  ResultBatch: replies in any order
//   stream    worker -> consumer, one per streamed task   the items, then close()
//
// Words (one Int32 pair per worker, allocated in the region by the pool, written by the worker):
//   [0] state: STATE_BUSY (running or about to), STATE_SPINNING (idle, polling its channels),
//       STATE_PARKED (idle, asleep in recvAsync: a send wakes it at a cost of ~15-35 us)
//   [1] started: how many tasks of its task channel the worker has taken out of its inbox, in
//       dispatch order (run, or skipped as cancelled). A task whose per-worker sequence number
//       (1-based) is <= started has begun; after a crash the pool rejects those and queues the
//       others again. publish: the worker stores `started` before it calls the task function.
//
// Ordering: the worker starts tasks in the order it received them (FIFO inbox); the pool
// counts dispatches per worker in the same order. Results come back in completion order.
import type { ErrorWire } from "../errors";

/** One task as dispatched: [id, export name, input]. */
export type TaskTuple = [id: number, name: string, input: unknown];
export type TaskBatch = TaskTuple[];
export type CancelBatch = number[];

export const R_OK = 0;
export const R_ERROR = 1;
export const R_STREAM = 2;
export const R_READY = 3;
export const R_SKIPPED = 4;
export const R_FATAL = 5;

/** A task's value: [R_OK, id, value, run time in us]. A stream's end is an R_OK too. */
export type OkReply = [typeof R_OK, number, unknown, number];
/** A task threw or rejected: [R_ERROR, id, error, run time in us]. */
export type ErrorReply = [typeof R_ERROR, number, WireError, number];
/** A task returned an (async) iterator: its items follow on the stream channel described by
 *  the handle fields (a ChannelHandle without `region`: the consumer attaches it to the pool's
 *  region, which is the same memory). */
export type StreamReply = [typeof R_STREAM, number, Record<string, unknown>];
/** The worker loaded the task module and is serving: [R_READY, worker id]. */
export type ReadyReply = [typeof R_READY, number];
/** A task cancelled before it started was dropped: [R_SKIPPED, id]. */
export type SkippedReply = [typeof R_SKIPPED, number];
/** The worker met an uncaught error and is about to end: [R_FATAL, worker id, error]. Sent
 *  where the platform's crash report carries no error (a child process's exit code). */
export type FatalReply = [typeof R_FATAL, number, WireError];
export type Reply = OkReply | ErrorReply | StreamReply | ReadyReply | SkippedReply | FatalReply;
export type ResultBatch = Reply[];

/** An error as it crosses: errorToWire's form (src/errors.ts). */
export type WireError = ErrorWire;

export const STATE_BUSY = 0;
export const STATE_SPINNING = 1;
export const STATE_PARKED = 2;

/** What a worker is given at start (spawnWorker's data). */
export interface WorkerInit {
  /** This worker's id in the pool (for messages and names). */
  id: number;
  /** The task module, as a URL string. */
  filename: string;
  tasks: unknown;
  control: unknown;
  /** The results channel's handle WITHOUT its `__sabre` tag and region (the worker uses its
   *  task channel's region, the same memory): spawnWorker records the worker as a party of
   *  every tagged channel in the data, whose side rules its death then decides, and the results
   *  channel is shared by every worker of the pool, replaced ones included (it keeps Go's
   *  semantics: README, "When a party dies"). The worker puts the tag back. */
  results: Record<string, unknown>;
  /** Byte offset of this worker's two words (see above). */
  words: number;
  concurrency: number;
  /** Items a stream channel buffers (its capacity). */
  streamCapacity: number;
  /** Microseconds an idle worker polls its task channel before it parks. */
  spinMicros: number;
  /** The pool's `workerData`, revived (regions, channels, ... attached). */
  workerData: unknown;
}
