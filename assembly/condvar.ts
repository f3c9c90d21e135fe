// condvar.ts — condition variable on a sequence counter, used with the core mutex (mutex.ts).
//
// Source: the futex condition variable of Rust's std (library/std/src/sys/sync/condvar/
// futex.rs) and Drepper's "Futexes Are Tricky" discussion of sequence-number condvars; here
// with a waiter count so that a signal nobody waits for makes no syscall.
//
// Roles: a waiter must hold the mutex it passes (else NOT_OWNER, nothing changed); signal and
// broadcast may be called by anyone, holding the mutex or not. Every state change a waiter
// waits for must be made under that mutex before the signal (the usual condvar contract).
//
//   offset  word        written by                               meaning
//   +0      CV_SEQ      signal, broadcast (add 1, wraps)         sequence; the park word
//   +4      CV_WAITERS  waiters (add on begin, sub on end)       agents that may be parked
//
// Wait (the runtime's step machine, src/sync/condvar.ts: seq = load(CV_SEQ) under the mutex;
// cv_wait_begin; park; cv_wait_end; relock with the mutex's own step machine):
//   seq = load(CV_SEQ) (under the mutex); register in CV_WAITERS and unlock the mutex
//   (cv_wait_begin); park while CV_SEQ == seq; deregister (cv_wait_end); relock the mutex
//   (also after a timeout or an abort).
// Signal: add(CV_SEQ, 1); if CV_WAITERS > 0 notify 1.   Broadcast: the same, notify all.
//
// Invariants:
//   - no lost signal: a waiter reads CV_SEQ while holding the mutex, before unlocking it; a
//     signal after that read (in particular any signal made after the state change the waiter
//     saw under the mutex) changes CV_SEQ, so the park returns at once or is notified: the
//     waiter registers before it parks and the signaller bumps CV_SEQ before reading
//     CV_WAITERS (SC atomics: a signaller that sees no waiter bumped before the park's read);
//   - a signal or broadcast with CV_WAITERS == 0 makes no syscall (the bump is one atomic add);
//   - SPURIOUS WAKE-UPS ARE ALLOWED: a wait may return although no signal was meant for it
//     (a signal between its read of CV_SEQ and its park, a signal's notify taken by a newer
//     waiter, a broadcast-sized wake, CV_SEQ wrapping after 2^32 signals). Callers re-check
//     their predicate under the mutex in a loop (CondVar.waitUntil does). A notify taken by a
//     newer waiter is harmless because that waiter returns and re-checks the predicate under
//     the mutex, after the signaller's change;
//   - whatever the outcome (woken, timed out, aborted), the wait ends with the mutex held again
//     (the runtime relocks with no deadline).
import { load32, store32, add32, sub32, notify } from "./atom";
import { OK, NOT_OWNER, MUTEX_STATE, MUTEX_OWNER, MUTEX_UNLOCKED, CV_SEQ, CV_WAITERS } from "./layout";
import { mutex_unlock } from "./mutex";
import { DEBUG } from "./debug";

const WAKE_ALL: i32 = i32.MAX_VALUE;

export function cv_init(cv: usize): void {
  store32(cv + CV_WAITERS, 0);
  store32(cv + CV_SEQ, 0);
}

// @ts-ignore: decorator
@inline function holds(m: usize, agent: i32): bool {
  return load32(m + MUTEX_OWNER) == agent && load32(m + MUTEX_STATE) != MUTEX_UNLOCKED;
}

/**
 * Wait, first half: registers the caller and releases `m`. The caller must have read
 * CV_SEQ (while holding `m`) just before, and then parks on CV_SEQ while it holds that value,
 * calls cv_wait_end and relocks `m` (whatever the outcome). OK, or NOT_OWNER (nothing changed).
 */
export function cv_wait_begin(cv: usize, m: usize, agent: i32): i32 {
  if (!holds(m, agent)) return NOT_OWNER;
  add32(cv + CV_WAITERS, 1);
  mutex_unlock(m, agent);
  return OK;
}

/** Wait, second half: deregisters (after the park, before relocking the mutex). */
export function cv_wait_end(cv: usize): void {
  const waiters = sub32(cv + CV_WAITERS, 1);
  if (DEBUG) assert(waiters > 0, "condvar: CV_WAITERS went below 0");
}

/** Wakes one waiter (or, spuriously, more); no syscall when nobody waits. */
export function cv_signal(cv: usize): void {
  // Seeded bug, model bug build only (test/model/condvar.test.ts must find it): a signal
  // that notifies without bumping CV_SEQ is lost by a waiter that has read CV_SEQ and
  // unlocked the mutex but not parked yet.
  if (!(isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CV_SIGNAL_NO_SEQ))) {
    // publish: the bump comes after the signaller's state change (made under the mutex)
    add32(cv + CV_SEQ, 1);
  }
  if (load32(cv + CV_WAITERS) > 0) notify(cv + CV_SEQ, 1);
}

/** Wakes every waiter; no syscall when nobody waits. */
export function cv_broadcast(cv: usize): void {
  add32(cv + CV_SEQ, 1);
  if (load32(cv + CV_WAITERS) > 0) notify(cv + CV_SEQ, WAKE_ALL);
}

/** Agents registered as waiting (racy snapshot; tests and diagnostics). */
export function cv_waiters(cv: usize): i32 {
  return load32(cv + CV_WAITERS);
}
