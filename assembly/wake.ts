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
import { add32, load32, notify } from "./atom";

// @ts-ignore: decorator
@inline export function wakeWaiters(waiters: usize, seq: usize, count: i32): void {
  if (load32(waiters) > 0) {
    add32(seq, 1);
    notify(seq, count);
  }
}
