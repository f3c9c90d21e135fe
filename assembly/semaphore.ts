// semaphore.ts — counting semaphore with a waiter count.
//
// Source: Dijkstra's P/V on one counter word, parked futex-style (the "counting semaphore with
// a waiter count" of DESIGN.md; the same split of value and waiter count as glibc's new
// semaphore, nptl/sem_waitcommon.c, without its 64-bit packing). Not FIFO: a releaser's
// permits go to whichever agent's CAS lands first (barging), like a futex mutex.
//
// Roles: any agent may acquire and release any number of permits (a semaphore has no owner).
// Acquiring n permits takes them all at once or none. A waiting acquire is the step pair
// sem_acquire_step / sem_acquire_cancel (the step convention of layout.ts), parked on SEM_COUNT
// by the runtime's step machine (src/sync/semaphore.ts; see "Waiting protocol").
//
//   offset  word              written by                              meaning
//   +0      SEM_COUNT         acquire (cas -n), release (cas +n)      permits available
//   +4      SEM_WAITERS       waiters (add on register, sub on leave) agents that may park
//   +8      SEM_MAX           sem_init only                           maximum permits
//   +12     SEM_BULK_WAITERS  waiters with n > 1 (add/sub)            subset of SEM_WAITERS
//
// Invariants:
//   - 0 <= SEM_COUNT <= SEM_MAX at every instant (release past SEM_MAX returns OVERFLOW and
//     changes nothing; acquire never takes more than it sees);
//   - an agent parks on SEM_COUNT only while registered in SEM_WAITERS (and in
//     SEM_BULK_WAITERS when it wants n > 1), and it registers BEFORE its last read of
//     SEM_COUNT; a release changes SEM_COUNT BEFORE it reads SEM_WAITERS. All atomics are SC,
//     so either the release sees the waiter or the waiter sees the new count: no lost wake-up;
//   - every release that finds SEM_WAITERS > 0 notifies (not only 0 -> 1: a release that
//     notifies only on 0 -> 1 loses wake-ups when a second release lands before the first
//     woken waiter has taken its permit). It wakes n agents when every waiter wants one
//     permit (n released permits can satisfy at most n of them), and all of them when some
//     waiter wants more than one (a woken bulk waiter that still finds too few permits parks
//     again, and must not have used up the wake-up a single-permit waiter needed);
//   - a release with no registered waiter makes no syscall; neither does an uncontended acquire;
//   - a woken agent always retries (step with parked = 1) before it may give up, so a
//     waiter never swallows a wake-up; an async waiter that is aborted hands its wake-up on
//     (src/wait/parker.ts).
//
// Waiting protocol (the step machine of src/sync/semaphore.ts):
//   v = load(SEM_COUNT); r = sem_acquire_step(s, n, parked)
//   OK -> acquired (deregistered);  WOULD_BLOCK -> registered: park while SEM_COUNT == v, then
//   repeat with parked = 1;  giving up (timeout, abort) -> sem_acquire_cancel(s, n).
//   Park only if v < n; if v >= n (the count moved between the read and the step, which saw
//   fewer than n), read again and step again instead. Reading v before the step makes the
//   park safe: a release after that read changes the word, so the park returns at once or is
//   notified (the waiter is registered). If the word came back to v meanwhile (a release,
//   then an acquire by someone else), v < n permits are there: sleeping on is right, and the
//   next release will notify. (Parking on a v >= n is NOT safe: 1 read, then 1 -> 2 -> 1 -> 0
//   by others, the step registers and sees 0, a release 0 -> 1 notifies before the park,
//   and the park on 1 sleeps with a permit available — found by test/model/semaphore.test.ts.)
import { load32, store32, add32, sub32, cas32, notify } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, OVERFLOW, BAD_ARGUMENT,
  SEM_COUNT, SEM_WAITERS, SEM_MAX, SEM_BULK_WAITERS,
} from "./layout";
import { DEBUG } from "./debug";

const WAKE_ALL: i32 = i32.MAX_VALUE;

/** Initialise: `initial` permits of at most `max`. OK, or BAD_ARGUMENT (nothing written). */
export function sem_init(s: usize, initial: i32, max: i32): i32 {
  if (max < 1 || initial < 0 || initial > max) return BAD_ARGUMENT;
  store32(s + SEM_MAX, max);
  store32(s + SEM_WAITERS, 0);
  store32(s + SEM_BULK_WAITERS, 0);
  // publish: the count is written last; the handle is published after this returns
  store32(s + SEM_COUNT, initial);
  return OK;
}

// @ts-ignore: decorator
@inline function badCount(s: usize, n: i32): bool {
  return n < 1 || n > load32(s + SEM_MAX);
}

// @ts-ignore: decorator
@inline function register(s: usize, n: i32): void {
  add32(s + SEM_WAITERS, 1);
  if (n > 1) add32(s + SEM_BULK_WAITERS, 1);
}

// @ts-ignore: decorator
@inline function deregister(s: usize, n: i32): void {
  if (n > 1) {
    const bulk = sub32(s + SEM_BULK_WAITERS, 1);
    if (DEBUG) assert(bulk > 0, "semaphore: SEM_BULK_WAITERS went below 0");
  }
  const waiters = sub32(s + SEM_WAITERS, 1);
  if (DEBUG) assert(waiters > 0, "semaphore: SEM_WAITERS went below 0");
}

/** Takes `n` permits if available: OK, WOULD_BLOCK (nothing taken), BAD_ARGUMENT. */
export function sem_try_acquire(s: usize, n: i32): i32 {
  if (badCount(s, n)) return BAD_ARGUMENT;
  while (true) {
    const c = load32(s + SEM_COUNT);
    if (DEBUG) assert(c >= 0, "semaphore: SEM_COUNT below 0");
    if (c < n) return WOULD_BLOCK;
    // publish: a successful cas synchronises with the release that added these permits
    if (cas32(s + SEM_COUNT, c, c - n) == c) return OK;
  }
}

/**
 * One step of a parking acquire (the step convention of layout.ts).
 * `parked` = 0 on the first call, 1 after the caller registered (a WOULD_BLOCK) and parked.
 * OK: acquired, no longer registered. WOULD_BLOCK: registered; park on SEM_COUNT (header).
 */
export function sem_acquire_step(s: usize, n: i32, parked: i32): i32 {
  if (badCount(s, n)) {
    if (parked) deregister(s, n);
    return BAD_ARGUMENT;
  }
  let registered = parked != 0;
  while (true) {
    const c = load32(s + SEM_COUNT);
    if (c >= n) {
      if (cas32(s + SEM_COUNT, c, c - n) == c) {
        if (registered) deregister(s, n);
        return OK;
      }
      continue;
    }
    if (registered) return WOULD_BLOCK;
    // register, then read the count again (the order the invariant needs)
    register(s, n);
    registered = true;
  }
}

/** A registered waiter gives up (timeout, abort): leaves SEM_WAITERS. Returns TIMED_OUT. */
export function sem_acquire_cancel(s: usize, n: i32): i32 {
  deregister(s, n);
  return TIMED_OUT;
}

/**
 * Adds `n` permits and wakes waiters that they may satisfy. OK; OVERFLOW when the count
 * would pass SEM_MAX (nothing changed); BAD_ARGUMENT for n < 1.
 */
export function sem_release(s: usize, n: i32): i32 {
  if (n < 1) return BAD_ARGUMENT;
  const max = load32(s + SEM_MAX);
  let c: i32;
  while (true) {
    c = load32(s + SEM_COUNT);
    if (DEBUG) assert(c >= 0 && c <= max, "semaphore: SEM_COUNT outside 0..SEM_MAX");
    if (n > max - c) return OVERFLOW;
    // publish: the releaser's writes happen-before the acquire that takes these permits
    if (cas32(s + SEM_COUNT, c, c + n) == c) break;
  }
  // Seeded bug, model bug build only (test/model/semaphore.test.ts must find it): notify
  // only on the 0 -> n transition (the lost wake-up the Invariants warn about).
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_SEM_NOTIFY_ON_ZERO)) {
    if (c != 0) return OK;
  }
  // the count changed BEFORE this read of the waiter count (see Invariants)
  if (load32(s + SEM_WAITERS) > 0) {
    notify(s + SEM_COUNT, load32(s + SEM_BULK_WAITERS) > 0 ? WAKE_ALL : n);
  }
  return OK;
}

/** Permits available now (may be stale by the time it returns). */
export function sem_count(s: usize): i32 {
  return load32(s + SEM_COUNT);
}

/** The maximum set by sem_init (read-only). */
export function sem_max(s: usize): i32 {
  return load32(s + SEM_MAX);
}

/** Agents registered as waiting (racy snapshot; for tests and diagnostics). */
export function sem_waiters(s: usize): i32 {
  return load32(s + SEM_WAITERS);
}
