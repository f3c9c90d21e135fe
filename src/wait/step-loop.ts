// step-loop.ts — the step machine of a core operation in the one step convention (the
// "step exports" block of assembly/layout.ts): step, park on the park word, step again;
// last step and cancel when giving up.
//
// Every waiting operation of Semaphore, Barrier, RwLock, RingBuffer and ByteRing is this loop
// over its own pair of core exports; the blocking, async and try drivers and the model
// harness run it (src/wait/steps.ts), so the protocol is written once.
//
// Contract:
//   - the park word is read (`load`) BEFORE each step, and the machine parks on exactly that
//     value (see the convention): a change after the read is never slept through;
//   - `mayPark(seen)` may forbid parking on a value for a primitive whose park word can come
//     back to it while the caller has what it waits for (the semaphore's count: ABA); the
//     machine then reads and steps again;
//   - a deadline that passes (WAIT_TIMED_OUT) gets one last step, then the cancel; an error
//     thrown at the park (abort) cancels too, and propagates unless the cancel reports that
//     the operation completed meanwhile (then that status is returned: it happened).
import * as L from "../../assembly/layout";
import { throwStatus } from "../errors";
import type { Deadline } from "./deadline";
import { type CallRequest, load, park, type Steps } from "./steps";

export interface StepLoop {
  /** The step export's call with `parked` (0 the first time, then 1). */
  step(parked: number): CallRequest;
  /** The cancel export's call. */
  cancel(): CallRequest;
  /** Byte address of the park word. */
  readonly parkAt: number;
  /** What the exports return for WOULD_BLOCK and TIMED_OUT when they encode statuses
   *  (-status for address results, RING_POP_STATUS + status for pop results); default the
   *  statuses themselves. */
  readonly blocked?: number;
  readonly timedOut?: number;
  /** Whether parking on `seen` is safe (default: always). */
  mayPark?(seen: number): boolean;
  /** Whether the blocking form spins in the core before it runs this machine, so that its
   *  parks skip the blocking driver's spin (a second spin, registered, only delays the park). */
  readonly spunInCore?: boolean;
}

const SPUN = { spun: true } as const;

/** Runs the convention's loop; returns the final result of the step or the cancel. */
export function* stepLoop(s: StepLoop): Steps<number> {
  const blocked = s.blocked ?? L.WOULD_BLOCK;
  const timedOut = s.timedOut ?? L.TIMED_OUT;
  let parked = 0;
  for (;;) {
    const seen = yield load(s.parkAt);
    const status = yield s.step(parked);
    if (status !== blocked) return status;
    parked = 1;
    if (s.mayPark && !s.mayPark(seen)) continue;
    let woke: number;
    try {
      woke = yield park(s.parkAt, seen, s.spunInCore ? SPUN : undefined);
    } catch (error) {
      const cancelled = yield s.cancel();
      if (cancelled !== timedOut) return cancelled;
      throw error;
    }
    if (woke === L.WAIT_TIMED_OUT) {
      const last = yield s.step(1);
      return last !== blocked ? last : yield s.cancel();
    }
  }
}

/** Returns for OK; throws the deadline's TimeoutError for TIMED_OUT and the status's error otherwise. */
export function settle(status: number, deadline: Deadline, what: string): void {
  if (status === L.OK) return;
  if (status === L.TIMED_OUT) throw deadline.error(what);
  throwStatus(status, what);
}
