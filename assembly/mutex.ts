// mutex.ts — the three-state futex mutex with an owner word.
//
// Source: Ulrich Drepper, "Futexes Are Tricky" (2011), mutex #3; the owner word is ours, for
// error checking (unlock by a non-holder, relock by the holder) and robustness: a holder that
// died is recognised by its agent id (party.ts) and the lock taken over (mutex_recover).
//
// Roles: any agent may lock; only the agent whose id is in MUTEX_OWNER may unlock. Agent ids
// are non-zero and unique per region (Region hands them out from RH_NEXT_AGENT), except
// ANONYMOUS_AGENT (-1), which every agent may use for a lock taken and released inside one
// core call (the allocator's): for it the relock check (WOULD_DEADLOCK) is skipped.
//
//   offset  word          written by                    meaning
//   +0      MUTEX_STATE   lock (cas), unlock (xchg)      0 unlocked, 1 locked, 2 contended
//   +4      MUTEX_OWNER   lock (the same cas), unlock,   agent id (0 when unlocked)
//                         a recoverer (cas)              | MUTEX_OWNER_DIED
//
// STATE and OWNER are the two halves of one 8-byte word (8-byte aligned) and every change of
// either is one 64-bit atomic (cas64 / xchg64) of the whole word: an acquisition records its
// holder in the same step, so an agent killed at any instruction either holds the lock with its
// id recorded (recoverable) or does not hold it; a release frees and clears the holder at once.
// Waiters park on the 32-bit STATE half (futex words are 32 bits).
//
// Owner died (POSIX robust mutexes, EOWNERDEAD). A locker that finds the lock held by an agent
// whose party is known dead (party.ts: reported, never guessed) takes it over with one cas on
// MUTEX_OWNER (dead id -> its own | MUTEX_OWNER_DIED): STATE stays held, so nobody else gets
// in, and of several recoverers exactly one wins. An acquisition that finds MUTEX_OWNER_DIED
// returns OWNER_DEAD instead of OK: the holder learns the protected state may be torn. It
// clears the bit with mutex_consistent once repaired; an unlock without it keeps the bit, so
// the next locker is told again (where POSIX makes the lock unusable, ENOTRECOVERABLE, and
// Boost.Interprocess too, sabre keeps it usable and keeps saying so). The allocator's lock
// (ANONYMOUS_AGENT) is never taken over: a process killed inside an allocator call leaves the
// heap locked (documented as not recoverable).
//
// Invariants:
//   - STATE != 0 exactly while some agent holds the lock, and then OWNER holds its id;
//   - an agent only parks on STATE while it reads MUTEX_CONTENDED there, and having parked
//     it always re-acquires as Drepper's xchg(2) does (a cas loop: STATE 0 -> 2 acquires, 1 -> 2
//     marks contention), never with cas(0, 1), so that a release after it still notifies the
//     other parked agents (cas(0, 1) would lose their wake-up);
//   - unlock notifies iff STATE was CONTENDED: an uncontended lock+unlock makes no syscall.
//   - a timed-out waiter may leave STATE at CONTENDED with nobody parked: that only costs the
//     next unlock one spurious notify;
//   - only the holder writes MUTEX_OWNER, except a recoverer's cas from an owner confirmed dead
//     (a dead agent never writes again); MUTEX_OWNER_DIED survives unlock until
//     mutex_consistent.
import { load32, load64, store64, cas64, xchg64, wait32, notify, now } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, NOT_OWNER, WOULD_DEADLOCK, ANONYMOUS_AGENT, OWNER_DEAD,
  MUTEX_STATE, MUTEX_OWNER, MUTEX_UNLOCKED, MUTEX_LOCKED, MUTEX_CONTENDED, MUTEX_OWNER_DIED, AGENT_MASK, PARTY_SLOT_MASK,
} from "./layout";
import { deadlineOf, remainingNs, spinLimit } from "./time";
import { DEBUG } from "./debug";
import { agent_dead } from "./party";

/** The agent id in an owner word (ANONYMOUS_AGENT as it is). */
// @ts-ignore: decorator
@inline function ownerId(word: i32): i32 {
  return word == ANONYMOUS_AGENT ? word : word & AGENT_MASK;
}

const HIGH: i64 = 32; // MUTEX_OWNER's shift in the 64-bit word
// @ts-ignore: decorator
@inline function stateOf(w: i64): i32 { return <i32>w; }
// @ts-ignore: decorator
@inline function ownerOf(w: i64): i32 { return <i32>(w >>> HIGH); }
// @ts-ignore: decorator
@inline function wordOf(state: i32, owner: i32): i64 { return (<i64>owner << HIGH) | <i64><u32>state; }

/** The word of an unlocked lock `w` taken by `agent` with `state`: the holder is recorded,
 *  MUTEX_OWNER_DIED kept (ANONYMOUS_AGENT: as it is, the bit cleared). */
// @ts-ignore: decorator
@inline function takenBy(w: i64, agent: i32, state: i32): i64 {
  return wordOf(state, agent == ANONYMOUS_AGENT ? agent : agent | (ownerOf(w) & MUTEX_OWNER_DIED));
}

/** What an acquisition from `w` (the unlocked word it replaced) returns: OK or OWNER_DEAD. */
// @ts-ignore: decorator
@inline function acquired(w: i64, agent: i32): i32 {
  return agent != ANONYMOUS_AGENT && (ownerOf(w) & MUTEX_OWNER_DIED) != 0 ? OWNER_DEAD : OK;
}

/** One cas from unlocked to held by `agent` with `state`: OK / OWNER_DEAD, or WOULD_BLOCK when
 *  the lock is held (or the word changed under the cas). */
// @ts-ignore: decorator
@inline function tryAcquire(m: usize, agent: i32, state: i32): i32 {
  const w = load64(m);
  if (stateOf(w) != MUTEX_UNLOCKED) return WOULD_BLOCK;
  return cas64(m, w, takenBy(w, agent, state)) == w ? acquired(w, agent) : WOULD_BLOCK;
}

/** Whether `agent` (a real agent id) already holds the lock: relocking would never return. */
// @ts-ignore: decorator
@inline function heldBy(m: usize, agent: i32): bool {
  // seeded bug (model-bug-alloc-anonymous-relock only): the relock check also for the
  // anonymous agent, so contention on the heap lock reads as "you hold it" (a real bug once)
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_ALLOC_ANONYMOUS_RELOCK)) return ownerId(load32(m + MUTEX_OWNER)) == agent;
  return agent != ANONYMOUS_AGENT && ownerId(load32(m + MUTEX_OWNER)) == agent;
}

export function mutex_init(m: usize): void {
  store64(m, wordOf(MUTEX_UNLOCKED, 0));
}

/** One attempt, never parks: OK (or OWNER_DEAD: acquired, see the header), WOULD_BLOCK, or
 *  WOULD_DEADLOCK if `agent` holds it. */
export function mutex_try_lock(m: usize, agent: i32): i32 {
  const r = tryAcquire(m, agent, MUTEX_LOCKED);
  if (DEBUG) assert(<u32>load32(m + MUTEX_STATE) <= <u32>MUTEX_CONTENDED, "mutex: STATE is not 0, 1 or 2");
  if (r != WOULD_BLOCK) return r;
  return heldBy(m, agent) ? WOULD_DEADLOCK : WOULD_BLOCK;
}

/**
 * One step of a parking lock, for callers that park elsewhere (async waits in TypeScript).
 * Returns OK (or OWNER_DEAD) when acquired; WOULD_BLOCK when the caller must park on MUTEX_STATE while it
 * equals MUTEX_CONTENDED and then call again with `parked` = 1.
 */
export function mutex_lock_step(m: usize, agent: i32, parked: i32): i32 {
  if (!parked) {
    const r = tryAcquire(m, agent, MUTEX_LOCKED);
    if (r != WOULD_BLOCK) return r;
    if (heldBy(m, agent)) return WOULD_DEADLOCK;
    if (load32(m + MUTEX_STATE) == MUTEX_CONTENDED) return WOULD_BLOCK;
  }
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_MUTEX_RELOCK_CAS) && parked) {
    // Seeded bug, model bug build only (test/model/mutex.test.ts must find it): a woken
    // waiter re-acquires with cas(0, 1), so the state forgets the other parked waiters and
    // their wake-up is lost (Drepper, "Futexes Are Tricky", the bug of mutex #2).
    return tryAcquire(m, agent, MUTEX_LOCKED);
  }
  // Drepper's xchg(STATE, 2) as a cas loop on the whole word: 0 -> 2 acquires (the holder
  // recorded in the same step), 1 -> 2 marks contention, 2 stays
  while (true) {
    const w = load64(m);
    const seen = stateOf(w);
    if (DEBUG) assert(<u32>seen <= <u32>MUTEX_CONTENDED, "mutex: STATE is not 0, 1 or 2");
    if (seen == MUTEX_CONTENDED) return WOULD_BLOCK;
    const next = seen == MUTEX_UNLOCKED ? takenBy(w, agent, MUTEX_CONTENDED) : wordOf(MUTEX_CONTENDED, ownerOf(w));
    if (cas64(m, w, next) == w) return seen == MUTEX_UNLOCKED ? acquired(w, agent) : WOULD_BLOCK;
  }
}

/**
 * Takes the lock over from a holder whose party is known dead (see the header): OWNER_DEAD when
 * `agent` now holds it, WOULD_BLOCK when the holder is not known dead (or the lock is free, or
 * another recoverer won: lock again). For a waiter between its parks (lockSteps).
 */
export function mutex_recover(m: usize, agent: i32): i32 {
  while (true) {
    const w = load64(m);
    const owner = ownerOf(w);
    if (stateOf(w) == MUTEX_UNLOCKED || !agent_dead(owner)) return WOULD_BLOCK;
    // STATE stays held; a waiter marking contention meanwhile makes the cas fail: try again
    if (cas64(m, w, wordOf(stateOf(w), agent | MUTEX_OWNER_DIED)) == w) return OWNER_DEAD;
  }
}

/**
 * 1 if a waiter must park in slices to re-check the holder (lockSteps): the holder is a tracked
 * party's agent (party.ts), whose death can be reported between the waiter's check and its park
 * (the report's wake-up would find nobody parked yet), or there is no holder (owner 0: the lock
 * was released meanwhile; a held lock always records its holder). 0 for an untracked or anonymous
 * holder: nothing can recover from it, and a plain park keeps a lost wake-up a deadlock the
 * model finds.
 */
export function mutex_holder_tracked(m: usize): i32 {
  const owner = load32(m + MUTEX_OWNER);
  if (owner == ANONYMOUS_AGENT) return 0;
  const id = owner & AGENT_MASK;
  return id == 0 || (id & PARTY_SLOT_MASK) != 0 ? 1 : 0;
}

/** The holder marks the state the lock protects consistent again: clears MUTEX_OWNER_DIED. OK
 *  or NOT_OWNER. */
export function mutex_consistent(m: usize, agent: i32): i32 {
  while (true) {
    const w = load64(m);
    const owner = ownerOf(w);
    if (ownerId(owner) != agent || stateOf(w) == MUTEX_UNLOCKED) return NOT_OWNER;
    if ((owner & MUTEX_OWNER_DIED) == 0 || cas64(m, w, wordOf(stateOf(w), agent)) == w) return OK;
  }
}

/** 1 if the lock carries MUTEX_OWNER_DIED (a holder died; not yet marked consistent). */
export function mutex_owner_died(m: usize): i32 {
  return (load32(m + MUTEX_OWNER) & MUTEX_OWNER_DIED) != 0 ? 1 : 0;
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
      if (r == OK || r == OWNER_DEAD) return r;
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
    if (r == OK || r == OWNER_DEAD) return r;
  }
}

/** Release: OK, or NOT_OWNER (nothing changed) when `agent` does not hold the lock. Keeps
 *  MUTEX_OWNER_DIED (see the header). */
export function mutex_unlock(m: usize, agent: i32): i32 {
  const owner = load32(m + MUTEX_OWNER);
  if (ownerId(owner) != agent || load32(m + MUTEX_STATE) == MUTEX_UNLOCKED) return NOT_OWNER;
  release(m, agent == ANONYMOUS_AGENT ? 0 : owner & MUTEX_OWNER_DIED);
  return OK;
}

/** Unlock of a lock taken over by ANONYMOUS_AGENT (mutex_recover): MUTEX_OWNER_DIED cleared
 *  when `consistent`, else kept for the next locker. The caller holds it. */
export function mutex_unlock_recovered(m: usize, consistent: bool): void {
  release(m, consistent ? 0 : MUTEX_OWNER_DIED);
}

// @ts-ignore: decorator
@inline function release(m: usize, ownerAfter: i32): void {
  // publish: the holder's writes happen-before the next acquirer's cas that sees 0; STATE and
  // OWNER change in this one step (Drepper's "if (dec(val) != 1) val = 0, wake" as one xchg)
  const held = stateOf(xchg64(m, wordOf(MUTEX_UNLOCKED, ownerAfter)));
  if (DEBUG) assert(held == MUTEX_LOCKED || held == MUTEX_CONTENDED, "mutex: unlocked a STATE that was not 1 or 2");
  if (held != MUTEX_LOCKED) {
    // Seeded bug, model bug build only (test/model/mutex.test.ts must find it): an unlock
    // that forgets to wake the parked waiter. Never defined by the release target.
    if (!(isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_MUTEX_NO_WAKE))) {
      notify(m + MUTEX_STATE, 1);
    }
  }
}

/** The holder's agent id, 0 when unlocked (may be stale by the time it returns). */
export function mutex_owner(m: usize): i32 {
  return ownerId(load32(m + MUTEX_OWNER));
}
