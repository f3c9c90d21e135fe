// results.ts — ResultsLoop: the one async loop of a Pool (core.ts) that receives every worker's
// replies from the shared results channel (protocol.ts) and hands each batch to the core. Runs
// on the pool's thread; the channel's only receiver.
//
// One turn of the loop:
//   1. take what is there (tryRecv);
//   2. if nothing is, and the core says short tasks are out (`shouldPoll`), poll for up to the
//      AdaptiveSpin's budget (spin.ts: at most SPIN_MICROS, and only while polls keep paying);
//   3. if still nothing, park in recvAsync (a parked wake-up costs ~15-35 us; DESIGN.md,
//      "Waiting");
//   4. take up to 64 more batches already waiting, let the core dispatch (`pump`), then yield
//      a macrotask (setImmediate in Node; a MessageChannel round in a browser) so that the
//      callers' continuations submit their next tasks, and timers and I/O run.
//
// Contracts:
//   - Every batch received goes to `onReplies` exactly once, in channel order.
//   - run() returns when the channel is closed (the pool shut down); it rejects when a batch
//     cannot be read (the core then destroys the pool with that error as the cause).
//   - drain() takes every batch waiting now, synchronously (a worker just died: what it
//     finished before is taken first); a batch it cannot read is left for run() to meet.
import { ClosedError } from "../errors";
import type { Channel } from "../channel/channel";
import type { ResultBatch } from "./protocol";
import { AdaptiveSpin } from "./spin";

/** Most microseconds the results loop polls before it parks, while short tasks are out. */
const SPIN_MICROS = 50;
/** Batches taken without parking after one that woke the loop. */
const MORE_PER_TURN = 64;

/** What the loop needs of the pool's core. */
export interface ResultsSink {
  /** Handles one batch of replies. */
  onReplies(batch: ResultBatch): void;
  /** Whether to poll before parking (tasks are out and they are short). */
  shouldPoll(): boolean;
  /** Dispatches queued tasks (after the replies freed room). */
  pump(): void;
}

/** A macrotask turn: setImmediate in Node; in a browser a MessageChannel round (setTimeout 0
 *  is clamped to 4 ms once nested). */
function makeMacrotask(): () => Promise<void> {
  if (typeof setImmediate === "function") return () => new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel !== "function") return () => new Promise((resolve) => setTimeout(resolve, 0));
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () => new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

type TryRecv = ReturnType<Channel<ResultBatch>["tryRecv"]>;

export class ResultsLoop {
  readonly #spin = new AdaptiveSpin(SPIN_MICROS);
  readonly #macrotask = makeMacrotask();

  constructor(readonly results: Channel<ResultBatch>, readonly sink: ResultsSink) {}

  /** Takes every reply batch waiting in the results channel now (see the header). */
  drain(): void {
    try {
      for (;;) {
        const r = this.results.tryRecv();
        if (!r.ok) return;
        this.sink.onReplies(r.value);
      }
    } catch {
      // a reply that cannot be read: the results loop meets it and destroys the pool
    }
  }

  /** The loop (see the header); one per pool. */
  async run(): Promise<void> {
    const { results, sink } = this;
    for (;;) {
      let r = results.tryRecv();
      if (!r.ok && !r.closed && sink.shouldPoll()) {
        const budget = this.#spin.budget();
        if (budget > 0) {
          const t0 = performance.now();
          r = this.#poll(budget);
          this.#spin.record(r.ok, (performance.now() - t0) * 1000);
        }
      }
      if (!r.ok) {
        if (r.closed) return;
        try {
          sink.onReplies(await results.recvAsync());
        } catch (error) {
          if (error instanceof ClosedError || (error as Error)?.name === "ClosedError") return;
          throw error;
        }
      } else sink.onReplies(r.value);
      for (let i = 0; i < MORE_PER_TURN; i++) {
        const more = results.tryRecv();
        if (!more.ok) break;
        sink.onReplies(more.value);
      }
      sink.pump();
      await this.#macrotask(); // the callers' continuations run (and submit), timers and I/O too
    }
  }

  #poll(micros: number): TryRecv {
    const end = performance.now() + micros / 1000;
    let n = 0;
    for (;;) {
      const r = this.results.tryRecv();
      if (r.ok || r.closed) return r;
      if ((++n & 15) === 0 && performance.now() > end) return r;
    }
  }
}
