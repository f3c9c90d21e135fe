// step-wait.ts — the async half of the core's "step" protocol, shared by Semaphore, Barrier,
// RwLock (and the CondVar's single park).
//
// A core `*_step(…, parked)` export either completes the operation (OK, or a final status)
// or registers the caller as a waiter and returns WOULD_BLOCK. The caller then parks on the
// primitive's park word while it still holds the value read BEFORE the step: every change
// the step could have missed comes after that read, so the park returns at once or is
// notified (the notifier sees the registration). The word may also come back to the value
// read (ABA) before the park: the pattern is only for words where that means "nothing for
// you": monotonic sequences (CondVar, RwLock), the barrier's generation|arrived word, the
// semaphore count (a permit released and taken again by another agent; it parks only on a
// count < n, see mayPark). Not for the mutex word, whose unlock returns it to 0 with one notify. After a wake-up the step runs again with
// parked = 1. Giving up (timeout after one last step, or abort) calls the primitive's cancel
// export, which deregisters; a cancel that finds the operation completed meanwhile (a barrier
// generation that passed) returns OK and the wait counts as a success.
//
// Keep-alive while parked (Node does not count a pending Atomics.waitAsync) is parkAsync's job.
import * as L from "../../assembly/layout";
import { parkAsync, timeoutError } from "./wait";

export interface StepWait {
  /** The memory as words and the index of the park word. */
  readonly words: Int32Array;
  readonly index: number;
  /** Runs the core step; `parked` is 0 the first time, then 1. */
  step(parked: number): number;
  /** Deregisters a waiter that gives up; returns OK if the operation completed meanwhile. */
  cancel(): number;
  /**
   * Whether parking on the value read before the step is safe (default: always). The
   * semaphore parks only on a count < n: a count >= n means it moved between the read and
   * the step, and could come back to that value with permits available (ABA) — read again.
   */
  mayPark?(seen: number): boolean;
  readonly what: string;
  readonly ms: number;
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

/** Runs step/park until the step returns something other than WOULD_BLOCK; returns that. */
export async function stepAndPark(w: StepWait): Promise<number> {
  let parked = 0;
  for (;;) {
    const seen = Atomics.load(w.words, w.index);
    const status = w.step(parked);
    if (status !== L.WOULD_BLOCK) return status;
    parked = 1;
    if (w.mayPark && !w.mayPark(seen)) continue;
    let woke: "woken" | "timed-out";
    try {
      woke = await parkAsync(w.words, w.index, seen, w.deadline, w.what, w.signal);
    } catch (error) {
      if (w.cancel() === L.OK) return L.OK;
      throw error;
    }
    if (woke === "timed-out") {
      const last = w.step(1);
      if (last !== L.WOULD_BLOCK) return last;
      if (w.cancel() === L.OK) return L.OK;
      throw timeoutError(w.what, w.ms);
    }
  }
}
