// mutex.ts — the three-state futex mutex with an owner word.
//
// Source: Ulrich Drepper, "Futexes Are Tricky" (2011), mutex #3; the owner word is ours, for
// error checking (unlock by a non-holder, relock by the holder) and, later, robustness across
// processes (a dead owner's id can be recognised).
//
// Roles: any agent may lock; only the agent whose id is in MUTEX_OWNER may unlock. Agent ids
// are non-zero and unique per region (Region hands them out from RH_NEXT_AGENT), except
// ANONYMOUS_AGENT (-1), which every agent may use for a lock taken and released inside one
// core call (the allocator's): for it the relock check (WOULD_DEADLOCK) is skipped.
//
//   offset  word          written by                    meaning
//   +0      MUTEX_STATE   lock (cas/xchg), unlock (sub)  0 unlocked, 1 locked, 2 contended
//   +4      MUTEX_OWNER   the holder, after acquiring    agent id, 0 when unlocked
//
// Invariants:
//   - STATE != 0 exactly while some agent holds the lock (or between a holder's release of
//     OWNER and its release of STATE);
//   - an agent only parks on STATE while it reads MUTEX_CONTENDED there, and having parked
//     it always re-acquires with xchg(2), never with cas(0, 1), so that a release after it
//     still notifies the other parked agents (cas(0, 1) would lose their wake-up);
//   - unlock notifies iff STATE was CONTENDED: an uncontended lock+unlock makes no syscall.
//   - a timed-out waiter may leave STATE at CONTENDED with nobody parked: that only costs the
//     next unlock one spurious notify.
import { cas32, xchg32, load32, store32, sub32, wait32, notify, now } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, NOT_OWNER, WOULD_DEADLOCK, ANONYMOUS_AGENT,
  MUTEX_STATE, MUTEX_OWNER, MUTEX_UNLOCKED, MUTEX_LOCKED, MUTEX_CONTENDED,
} from "./layout";
import { deadlineOf, remainingNs, spinLimit } from "./time";
import { DEBUG } from "./debug";

/** Whether `agent` (a real agent id) already holds the lock: relocking would never return. */
// @ts-ignore: decorator
@inline function heldBy(m: usize, agent: i32): bool {
  // seeded bug (model-bug-alloc-anonymous-relock only): the relock check also for the
  // anonymous agent, so contention on the heap lock reads as "you hold it" (a real bug once)
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_ALLOC_ANONYMOUS_RELOCK)) return load32(m + MUTEX_OWNER) == agent;
  return agent != ANONYMOUS_AGENT && load32(m + MUTEX_OWNER) == agent;
}

export function mutex_init(m: usize): void {
  store32(m + MUTEX_OWNER, 0);
  store32(m + MUTEX_STATE, MUTEX_UNLOCKED);
}

/** One attempt, never parks: OK, WOULD_BLOCK, or WOULD_DEADLOCK if `agent` holds it. */
export function mutex_try_lock(m: usize, agent: i32): i32 {
  const seen = cas32(m + MUTEX_STATE, MUTEX_UNLOCKED, MUTEX_LOCKED);
  if (DEBUG) assert(<u32>seen <= <u32>MUTEX_CONTENDED, "mutex: STATE is not 0, 1 or 2");
  if (seen == MUTEX_UNLOCKED) {
    store32(m + MUTEX_OWNER, agent);
    return OK;
  }
  return heldBy(m, agent) ? WOULD_DEADLOCK : WOULD_BLOCK;
}

/**
 * One step of a parking lock, for callers that park elsewhere (async waits in TypeScript).
 * Returns OK when acquired; WOULD_BLOCK when the caller must park on MUTEX_STATE while it
 * equals MUTEX_CONTENDED and then call again with `parked` = 1.
 */
export function mutex_lock_step(m: usize, agent: i32, parked: i32): i32 {
  let seen: i32;
  if (!parked) {
    seen = cas32(m + MUTEX_STATE, MUTEX_UNLOCKED, MUTEX_LOCKED);
    if (seen == MUTEX_UNLOCKED) {
      store32(m + MUTEX_OWNER, agent);
      return OK;
    }
    if (heldBy(m, agent)) return WOULD_DEADLOCK;
    if (seen == MUTEX_CONTENDED) return WOULD_BLOCK;
  }
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_MUTEX_RELOCK_CAS)) {
    // Seeded bug, model bug build only (test/model/mutex.test.ts must find it): a woken
    // waiter re-acquires with cas(0, 1), so the state forgets the other parked waiters and
    // their wake-up is lost (Drepper, "Futexes Are Tricky", the bug of mutex #2).
    seen = parked ? cas32(m + MUTEX_STATE, MUTEX_UNLOCKED, MUTEX_LOCKED) : xchg32(m + MUTEX_STATE, MUTEX_CONTENDED);
  } else {
    seen = xchg32(m + MUTEX_STATE, MUTEX_CONTENDED);
  }
  if (DEBUG) assert(<u32>seen <= <u32>MUTEX_CONTENDED, "mutex: STATE is not 0, 1 or 2");
  if (seen == MUTEX_UNLOCKED) {
    store32(m + MUTEX_OWNER, agent);
    return OK;
  }
  return WOULD_BLOCK;
}

/**
 * Blocking lock that parks in the core: spin, then park. `timeoutMs` < 0 waits forever. OK /
 * TIMED_OUT / WOULD_DEADLOCK. For the core's short internal locks (the allocator's) and the
 * codec table's lock; Mutex runs the step machine over mutex_lock_step (src/sync/mutex.ts).
 */
export function mutex_lock(m: usize, agent: i32, timeoutMs: f64): i32 {
  for (let i = 0; i < spinLimit(); i++) {
    if (load32(m + MUTEX_STATE) == MUTEX_UNLOCKED) {
      const r = mutex_try_lock(m, agent);
      if (r == OK) return OK;
    }
  }
  let r = mutex_lock_step(m, agent, 0);
  if (r != WOULD_BLOCK) return r;
  const deadline = deadlineOf(timeoutMs);
  while (true) {
    const ns = remainingNs(deadline);
    if (ns == 0) return TIMED_OUT;
    wait32(m + MUTEX_STATE, MUTEX_CONTENDED, ns);
    r = mutex_lock_step(m, agent, 1);
    if (r == OK) return OK;
  }
}

/** Release: OK, or NOT_OWNER (nothing changed) when `agent` does not hold the lock. */
export function mutex_unlock(m: usize, agent: i32): i32 {
  if (load32(m + MUTEX_OWNER) != agent || load32(m + MUTEX_STATE) == MUTEX_UNLOCKED) return NOT_OWNER;
  store32(m + MUTEX_OWNER, 0);
  // publish: the holder's writes happen-before the next acquirer's cas/xchg that sees 0
  const held = sub32(m + MUTEX_STATE, 1);
  if (DEBUG) assert(held == MUTEX_LOCKED || held == MUTEX_CONTENDED, "mutex: unlocked a STATE that was not 1 or 2");
  if (held != MUTEX_LOCKED) {
    store32(m + MUTEX_STATE, MUTEX_UNLOCKED);
    // Seeded bug, model bug build only (test/model/mutex.test.ts must find it): an unlock
    // that forgets to wake the parked waiter. Never defined by the release target.
    if (!(isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_MUTEX_NO_WAKE))) {
      notify(m + MUTEX_STATE, 1);
    }
  }
  return OK;
}

/** The holder's agent id, 0 when unlocked (may be stale by the time it returns). */
export function mutex_owner(m: usize): i32 {
  return load32(m + MUTEX_OWNER);
}
