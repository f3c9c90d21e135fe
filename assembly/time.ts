// time.ts — deadlines and spin budgets for the core's blocking loops.
//
// A deadline is an absolute time in milliseconds on the host's monotonic clock (`now`, imported
// through atom.ts), or +Infinity for "no timeout". The clock is read only on slow paths (about
// to park), never on an uncontended operation. No shared memory is touched here.
import { now } from "./atom";
import { SPIN_LIMIT, MODEL_SPIN_LIMIT, SLOT_SPINS_PER_RECHECK } from "./layout";

/** `timeoutMs` < 0 or non-finite means forever. */
export function deadlineOf(timeoutMs: f64): f64 {
  if (timeoutMs < 0 || !isFinite(timeoutMs)) return Infinity;
  return now() + timeoutMs;
}

/** Nanoseconds left before `deadline` for wait32: -1 forever, 0 when it has passed. */
export function remainingNs(deadline: f64): i64 {
  if (deadline == Infinity) return -1;
  const left = deadline - now();
  if (left <= 0) return 0;
  const ns = <i64>(left * 1e6);
  return ns > 0 ? ns : 1;
}

/**
 * Re-checks a blocking operation makes before it parks. The model build (test/model) spins only
 * MODEL_SPIN_LIMIT times: each re-check is a scheduling point there, and a spin only repeats the
 * same check, so a short one explores the same protocol in far fewer steps.
 */
// @ts-ignore: decorator
@inline export function spinLimit(): i32 {
  if (isDefined(SABRE_MODEL)) return MODEL_SPIN_LIMIT;
  return SPIN_LIMIT;
}

/**
 * Steps of a spin that only loads a slot's sequence word (ring.ts) before it parks: such a step
 * is several times cheaper than a re-check, so it gets SLOT_SPINS_PER_RECHECK steps per
 * re-check of spinLimit() to spin for about as long (a shorter spin parks the waiter of a
 * ping-pong between messages). The model build keeps MODEL_SPIN_LIMIT.
 */
// @ts-ignore: decorator
@inline export function slotSpinLimit(): i32 {
  if (isDefined(SABRE_MODEL)) return MODEL_SPIN_LIMIT;
  return SPIN_LIMIT * SLOT_SPINS_PER_RECHECK;
}
