// barrier.ts — reusable barrier with a generation counter.
//
// Source: the sense-reversing / generation barrier (Mellor-Crummey & Scott, "Algorithms for
// scalable synchronization on shared-memory multiprocessors", 1991, the centralized barrier),
// with the generation and the arrival count packed into ONE word so that every arrival is
// counted in exactly the generation its compare-and-swap saw.
//
// Roles: any agent may wait; `parties` arrivals complete a generation. The last arrival (the
// "leader") starts the next generation and wakes the others. A wait is barrier_arrive, then
// (unless it was the leader) the step pair barrier_wait_step / barrier_wait_cancel (the step
// convention of layout.ts), parked on BARRIER_STATE by the runtime's step machine
// (src/sync/barrier.ts).
//
//   offset  word             written by                            meaning
//   +0      BARRIER_STATE    arrivals (cas +1), the leader (cas     generation << 16 | arrived;
//                            to next generation, arrived 0),        the park word
//                            a withdrawing waiter (cas -1)
//   +4      BARRIER_PARTIES  barrier_init only                      parties per generation
//   +8      BARRIER_WAITERS  waiters (add on register, sub on leave) agents that may park
//
// Invariants:
//   - 0 <= arrived < parties between operations: the arrival that would make it `parties`
//     instead moves BARRIER_STATE to (generation + 1, 0) in the same cas;
//   - generations never mix: an arrival is counted in the generation its successful cas saw,
//     and a thread that already passed generation g can only cas a state of generation > g;
//     nothing ever resets `arrived` separately from bumping the generation (a separate reset
//     could erase a fast thread's arrival in g + 1);
//   - a waiter of generation g has passed iff the generation in BARRIER_STATE differs from g
//     (the 16-bit generation wraps; a waiter would have to sleep through 65536 generations,
//     which cannot happen while it is one of the parties of the next one);
//   - the leader notifies iff BARRIER_WAITERS > 0 after its cas (waiters register before
//     their last read of BARRIER_STATE; SC atomics): a barrier whose waiters never park makes
//     no syscall. Non-leader arrivals notify nobody; a parked waiter whose expected value
//     went stale through a later arrival simply keeps sleeping until the leader's notify;
//   - TIMEOUT: a waiter that gives up withdraws its arrival (cas arrived - 1) only if its
//     generation is still current; then the barrier is as if it never arrived (TIMED_OUT). If
//     the generation advanced meanwhile, the wait succeeded (OK): it was counted and released.
//
// Status encoding: barrier_wait_step and barrier_wait_cancel return OK for a party that
// passed, BARRIER_LEADER for the last arrival (also success), TIMED_OUT (cancel only),
// WOULD_BLOCK (step only).
// barrier_arrive returns a non-negative ticket: the generation joined
// (& BARRIER_TICKET_GENERATION), | BARRIER_TICKET_LEADER if this arrival completed it.
import { load32, store32, add32, sub32, cas32, notify } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, BAD_ARGUMENT,
  BARRIER_STATE, BARRIER_PARTIES, BARRIER_WAITERS, BARRIER_ARRIVED_MASK, BARRIER_GENERATION_ONE,
  BARRIER_GENERATION_SHIFT, BARRIER_PARTIES_MAX, BARRIER_LEADER, BARRIER_TICKET_GENERATION,
  BARRIER_TICKET_LEADER,
} from "./layout";
import { DEBUG } from "./debug";

const WAKE_ALL: i32 = i32.MAX_VALUE;

/** Initialise for `parties` (1..BARRIER_PARTIES_MAX). OK or BAD_ARGUMENT (nothing written). */
export function barrier_init(b: usize, parties: i32): i32 {
  if (parties < 1 || parties > BARRIER_PARTIES_MAX) return BAD_ARGUMENT;
  store32(b + BARRIER_PARTIES, parties);
  store32(b + BARRIER_WAITERS, 0);
  store32(b + BARRIER_STATE, 0);
  return OK;
}

// @ts-ignore: decorator
@inline function generationOf(state: i32): i32 {
  return <i32>(<u32>state >> BARRIER_GENERATION_SHIFT);
}

/**
 * Arrives at the barrier. Returns the ticket (header); when it carries BARRIER_TICKET_LEADER
 * this arrival completed the generation and has woken the waiters. Never blocks.
 */
export function barrier_arrive(b: usize): i32 {
  const parties = load32(b + BARRIER_PARTIES);
  while (true) {
    const s = load32(b + BARRIER_STATE);
    if (DEBUG) assert((s & BARRIER_ARRIVED_MASK) < parties, "barrier: arrived >= parties between operations");
    const generation = generationOf(s);
    if ((s & BARRIER_ARRIVED_MASK) + 1 >= parties) {
      // publish: every party's writes before its arrival happen-before this cas, and this cas
      // happens-before every waiter's read of the new generation
      const next = (s & ~BARRIER_ARRIVED_MASK) + BARRIER_GENERATION_ONE;
      if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_BARRIER_WAKE_BEFORE_BUMP)) {
        // Seeded bug, model bug build only (test/model/barrier.test.ts must find it): the
        // leader wakes the waiters before it bumps the generation; a waiter that re-parks
        // on the old state in between sleeps forever.
        if (load32(b + BARRIER_WAITERS) > 0) notify(b + BARRIER_STATE, WAKE_ALL);
        if (cas32(b + BARRIER_STATE, s, next) != s) continue;
        return generation | BARRIER_TICKET_LEADER;
      }
      if (cas32(b + BARRIER_STATE, s, next) != s) continue;
      if (load32(b + BARRIER_WAITERS) > 0) notify(b + BARRIER_STATE, WAKE_ALL);
      return generation | BARRIER_TICKET_LEADER;
    }
    if (cas32(b + BARRIER_STATE, s, s + 1) == s) return generation;
  }
}

/**
 * One step of waiting for the generation of `ticket` to complete. `parked` = 0 the first
 * time (registers the caller before it looks), 1 after parking. OK / BARRIER_LEADER: passed
 * (deregistered). WOULD_BLOCK: registered; park on BARRIER_STATE while it holds the value read
 * before this call, then step again or barrier_wait_cancel.
 */
export function barrier_wait_step(b: usize, ticket: i32, parked: i32): i32 {
  if (ticket & BARRIER_TICKET_LEADER) {
    if (parked) sub32(b + BARRIER_WAITERS, 1);
    return BARRIER_LEADER;
  }
  if (!parked) add32(b + BARRIER_WAITERS, 1);
  if (generationOf(load32(b + BARRIER_STATE)) != (ticket & BARRIER_TICKET_GENERATION)) {
    sub32(b + BARRIER_WAITERS, 1);
    return OK;
  }
  return WOULD_BLOCK;
}

/**
 * A registered waiter gives up: deregisters and withdraws its arrival if its generation is
 * still current (TIMED_OUT); if the generation completed meanwhile the wait succeeded (OK).
 */
export function barrier_wait_cancel(b: usize, ticket: i32): i32 {
  sub32(b + BARRIER_WAITERS, 1);
  if (ticket & BARRIER_TICKET_LEADER) return BARRIER_LEADER;
  return withdraw(b, ticket & BARRIER_TICKET_GENERATION);
}

function withdraw(b: usize, generation: i32): i32 {
  while (true) {
    const s = load32(b + BARRIER_STATE);
    if (generationOf(s) != generation) return OK;
    // arrived >= 1 here: this caller's own arrival is still counted in this generation
    if (cas32(b + BARRIER_STATE, s, s - 1) == s) return TIMED_OUT;
  }
}

export function barrier_parties(b: usize): i32 {
  return load32(b + BARRIER_PARTIES);
}

/** Arrivals in the current generation (racy snapshot). */
export function barrier_arrived(b: usize): i32 {
  return load32(b + BARRIER_STATE) & BARRIER_ARRIVED_MASK;
}

/** The current generation, 0..65535, wrapping (racy snapshot). */
export function barrier_generation(b: usize): i32 {
  return generationOf(load32(b + BARRIER_STATE));
}

/** Agents registered as waiting (racy snapshot; tests and diagnostics). */
export function barrier_waiters(b: usize): i32 {
  return load32(b + BARRIER_WAITERS);
}
