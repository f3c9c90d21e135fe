// wake.ts — the core's "register, re-check, park" protocols, written once: the count form
// (wakeWaiters, for the region's event word, whose waiters register and leave by count) and the
// flag form below (raiseFlag / wakeFlagged, for the ring, byte ring, channel and SpscRing), and
// wakeAll for a party's death report.
//
//   wakeWaiters(waiters, seq, count)   if the waiter count at `waiters` is > 0: bump the park
//                                      word at `seq` by one, then notify up to `count` agents
//                                      parked on it
//
// Contract: the caller changed the state the waiters wait for BEFORE this call (its read of
// the waiter count comes after that change; all atomics are SC), and a waiter registers in
// `waiters` before its last look at the state and parks on `seq` with the value it read
// before that look. Then either the waiter's look sees the change, or this read sees the
// waiter and the bump changes `seq` after the waiter read it: no lost wake-up (the proof in
// full is in the header of ring.ts). With no waiter registered nothing is written and no
// notify is made. Inlined: the release build is the code each caller had by hand.
import { add32, load32, notify, store32 } from "./atom";

// @ts-ignore: decorator
@inline export function wakeWaiters(waiters: usize, seq: usize, count: i32): void {
  if (load32(waiters) > 0) {
    add32(seq, 1);
    notify(seq, count);
  }
}

// ---- the flag form: one wake-up per park, not one per notifier call -----------------------
// With a waiter count, every notifier call between a waiter's registration and its return
// from the park (the whole wake-up latency, tens of microseconds on a busy machine) finds the
// count > 0 and bumps and notifies again: a producer pushing one element per call then pays a
// notify per element. The flag form (spsc.ts, ring.ts) clears the registration as it wakes:
//
//   waiter     s = load(seq) (the step machine, before the step); raiseFlag(flag); re-check;
//              if still blocked: park while seq == s
//   notifier   change the state; wakeFlagged(flag, seq, count): if load(flag) != 0:
//              store(flag, 0), add(seq, 1), notify(seq, count)
//
// No lost wake-up (all SC): if the notifier's load of the flag comes before the waiter's
// raise, its state change does too, and the waiter's re-check sees it. Otherwise the flag the
// notifier loads is the waiter's raise or a later one, or the raise was cleared meanwhile by
// another notifier; either way some notifier clears it after it was made and bumps `seq`
// after that clear, so after the waiter read s: the park returns at once or is notified. A
// waiter that gives up leaves the flag raised (one spare wake-up later); a woken waiter that
// is still blocked raises it again.
// `count` should wake every agent that may be parked (the flag does not count them).

/** The waiter's registration in the flag form: raise `flag` (then re-check, then park). */
// @ts-ignore: decorator
@inline export function raiseFlag(flag: usize): void {
  store32(flag, 1);
}

/** The notifier's half of the flag form: wakes and clears only when `flag` is raised. */
// @ts-ignore: decorator
@inline export function wakeFlagged(flag: usize, seq: usize, count: i32): void {
  if (load32(flag) != 0) {
    store32(flag, 0);
    add32(seq, 1);
    notify(seq, count);
  }
}

/** Bumps a park word and wakes every agent parked on it, flag or no flag (they re-check and
 *  park again): what a party's death report does (death.ts), since a waker killed between
 *  clearing a flag and bumping its word would leave the waiters parked. */
export function wakeAll(seq: usize): void {
  add32(seq, 1);
  notify(seq, -1);
}
