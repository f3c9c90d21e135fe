// worker-slot.ts — the platform seam of a Pool (WorkerHost: how a runtime starts a worker) and
// WorkerSlot: what the pool's core (core.ts) keeps per worker it started — the worker's two
// inbound channels and its pair of shared words (protocol.ts), in the pool's region, with the
// bookkeeping of dispatch. Slots live on the pool's thread only; the worker sees its channels
// and words, never the slot.
//
// Per worker, in the pool's region (openWorkerSlot allocates, freeWorkerSlot frees; channel
// sizes as messages / ring bytes):
//
//   what       size                     written by            read by
//   tasks      Channel: 1024 / 256 KiB  pool (TaskBatch)       the worker
//   control    Channel: 256 / 8 KiB     pool (cancel ids)      the worker
//   words[0]   state (STATE_*)          the worker             pool (#pick prefers a non-parked one)
//   words[1]   started                  the worker             pool (which tasks had begun at a crash)
//
// Contracts:
//   - `inflight` counts the slot's tasks dispatched and not yet reported back; dispatch never
//     lets it pass the core's limit (concurrentTasksPerWorker + prefetch).
//   - `seq` numbers dispatches in channel order: while `sending` (a batch waits in sendAsync
//     for room) nothing else is sent to this worker.
//   - A slot's memory is freed once: at a clean exit at once; after a kill or a crash only
//     after the core's quarantine (a terminated thread may still touch it).
//   - WorkerHost.spawn may throw (the platform refused: bad execArgv...); the slot's memory is
//     then freed by the caller at once.
import { Channel } from "../channel/channel";
import type { Region } from "../region/region";
import type { PoolRuntime, ResolvedOptions } from "./options";
import type { ResultBatch, TaskBatch, WorkerInit } from "./protocol";

/** What the core needs of a platform: the pool's shared region, and starting one worker. */
export interface WorkerHost {
  /** The runtime this host implements (PoolOptions.runtime). */
  readonly runtime: PoolRuntime;
  /** A region of at least `size` heap bytes that this host's workers can attach (a
   *  file-backed region for child processes). */
  createRegion(size: number): Region;
  /** The machine's parallelism (defaults of min/maxThreads). */
  readonly cores: number;
  /** A task module path as a URL string the worker can import (absolute paths only). May
   *  throw InvalidArgumentError. */
  toURL(filename: string): string;
  /** Starts the pool's worker script with `data` (carried as spawnWorker carries it). */
  spawn(data: WorkerInit, options: ResolvedOptions, label: string): SpawnedPoolWorker;
}

export interface SpawnedPoolWorker {
  /** Resolves on a clean exit; rejects with the worker's error or a WorkerCrashError. */
  readonly exited: Promise<void>;
  /** Stops the worker now; resolves once it has stopped. */
  terminate(): Promise<void>;
}

/** Bytes of a worker's task channel ring. */
export const TASK_CHANNEL_BYTES = 256 * 1024;
/** Bytes of a worker's control channel ring. */
const CONTROL_CHANNEL_BYTES = 8 * 1024;
/** Microseconds an idle worker polls its task channel before it parks. */
const WORKER_SPIN_MICROS = 100;

export class WorkerSlot {
  /** Tasks dispatched and not reported back. */
  inflight = 0;
  seq = 0;
  /** A batch is on its way through sendAsync (the channel was full): no other dispatch. */
  sending = false;
  ready = false;
  dead = false;
  retiring = false;
  /** Why the pool is terminating it (a cancelled task that did not stop), if it is. */
  killedFor: Error | undefined = undefined;
  /** The uncaught error it reported before it ended (R_FATAL), if any. */
  fatal: Error | undefined = undefined;
  idleTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  spawned!: SpawnedPoolWorker;
  constructor(
    readonly id: number,
    readonly tasks: Channel<TaskBatch>,
    readonly control: Channel<number[]>,
    readonly wordsOffset: number,
    readonly words: Int32Array,
  ) {}
}

/** Allocates worker `id`'s channels and words in `region`, and the WorkerInit its worker
 *  script starts from (`results`: the pool's results channel, which every worker shares). */
export function openWorkerSlot(
  region: Region, id: number, results: Channel<ResultBatch>, o: ResolvedOptions,
): { slot: WorkerSlot; init: WorkerInit } {
  const tasks = Channel.create<TaskBatch>(region, { capacity: 1024, bufferBytes: TASK_CHANNEL_BYTES, name: `pool worker ${id} tasks` });
  const control = Channel.create<number[]>(region, { capacity: 256, bufferBytes: CONTROL_CHANNEL_BYTES, name: `pool worker ${id} control` });
  const wordsOffset = region.alloc(8);
  const words = new Int32Array(region.memory.buffer, wordsOffset, 2);
  words[0] = 0;
  words[1] = 0;
  const slot = new WorkerSlot(id, tasks, control, wordsOffset, words);
  const { __sabre: _tag, region: _region, ...resultsHandle } = results.handle as unknown as Record<string, unknown>;
  const init: WorkerInit = {
    id, filename: o.filename, tasks, control, results: resultsHandle, words: wordsOffset,
    concurrency: o.concurrentTasksPerWorker, streamCapacity: o.streamCapacity, spinMicros: WORKER_SPIN_MICROS,
    workerData: o.workerData,
  };
  return { slot, init };
}

/** Frees `slot`'s channels and words; a second call (destroy after a quarantine) is a no-op. */
export function freeWorkerSlot(region: Region, slot: WorkerSlot): void {
  try {
    slot.tasks.free();
    slot.control.free();
    region.free(slot.wordsOffset);
  } catch {
    // already freed (destroy)
  }
}
