// wake.ts — the notifier's half of the core's "register, re-check, park" protocols (ring,
// byte ring, channel, the region's event word), written once.
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
import { add32, load32, notify, sub32 } from "./atom";

// @ts-ignore: decorator
@inline export function wakeWaiters(waiters: usize, seq: usize, count: i32): void {
  if (load32(waiters) > 0) {
    add32(seq, 1);
    notify(seq, count);
  }
}

// The waiter's half, for the steps of the step convention (layout.ts): a step attempts the
// operation; blocked on its first call (`parked` 0) it registers in the waiter count and
// attempts again (the re-check the proof above needs), leaving the count if that succeeded;
// on a later call (`parked` 1, still registered) it leaves the count once it is done. A step
// is written
//
//   let s = attempt();
//   if (enterIfBlocked(waiters, s == BLOCKED, parked)) {
//     s = attempt(); // re-check after registering
//     leaveIfDone(waiters, s == BLOCKED);
//   }
//   return s;
//
// and its cancel (a registered waiter gives up) is a sub32(waiters, 1).

/** Registers (and returns true: re-check now) when the first attempt blocked; leaves the
 *  count when a later attempt of a registered waiter did not block. */
// @ts-ignore: decorator
@inline export function enterIfBlocked(waiters: usize, blocked: bool, parked: i32): bool {
  if (blocked && !parked) {
    add32(waiters, 1);
    return true;
  }
  if (!blocked && parked) sub32(waiters, 1);
  return false;
}

/** After the re-check: leaves the count unless it blocked again (then the caller parks). */
// @ts-ignore: decorator
@inline export function leaveIfDone(waiters: usize, blocked: bool): void {
  if (!blocked) sub32(waiters, 1);
}
