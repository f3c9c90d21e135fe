// party.ts — the region's party table: who may hold a lock, and who has died.
//
// A party is one thread of one process attached to the region (Region: one per thread per
// region). It claims a slot of the table when it attaches, and every agent id it hands out
// (its own, and one per lockAsync) names that slot:
//
//   agent = (serial << PARTY_SLOT_BITS) | slot      slot 1..PARTY_SLOTS-1, serial 24 bits (wraps)
//
// so the holder of any lock (MUTEX_OWNER, a channel's send or recv lock) leads to a party, and
// a party's death leads to every lock it holds. Slot 0 is "untracked": agents from
// region_new_agent, or of parties that found the table full; they are never declared dead.
//
// Robust locks: the decision. The Linux robust-futex design keeps, per thread, a list of the
// locks it holds in shared memory plus a pending-op slot, walked at death by the kernel, which
// marks each lock OWNER_DIED and wakes a waiter. sabre has no kernel to walk the list of a
// thread killed with `worker.terminate()` or a process killed with SIGKILL at the moment of
// death, and keeping a list costs every lock and unlock two more shared writes. So sabre
// checks the OWNER instead, on the contended path only: a locker that finds the lock held
// parks in slices of at most ROBUST_SLICE_MS and, after each, asks this table whether the
// holder's party is dead (mutex_recover); only a death that was REPORTED (never a timeout,
// never a guess) lets it take the lock over, by one cas on MUTEX_OWNER, which also marks the
// lock MUTEX_OWNER_DIED. Deaths are reported by party_report (the runtime: spawnWorker's and
// spawnProcess's exit watchers, sabre/node's process liveness sweep, the public threadDied
// call), which also wakes the waiters of every lock the dead party holds and sets the
// channels' peer-gone sides (party_report walks the heap), so recovery is usually immediate;
// the slices are the bound when the walk could not run.
//
//   entry at REGION_BASE + RH_PARTIES + slot * PARTY_SIZE
//   +0   PARTY_STATE   FREE -> CLAIMING -> LIVE -> EXITED | DIED -> CLAIMING (reuse) ...
//   +4   PARTY_BORN    serial of the occupant's first agent (written while CLAIMING)
//   +8   PARTY_NEXT    next serial; never reset, so serials of successive occupants increase
//   +12  PARTY_PID     process id (0 unknown)          written while CLAIMING
//   +16  PARTY_THREAD  thread id in that process       written while CLAIMING
//   +24  PARTY_START   f64 process start time (0 unknown), pins the pid against reuse
//
// Invariants:
//   - an agent of slot s is dead iff slot s is EXITED or DIED, or it is LIVE with a younger
//     occupant (the agent's serial is below PARTY_BORN, mod 2^24, in a window of 2^23): a
//     slot is reused only once its occupant ended, so the older agents ended with it;
//   - FREE and CLAIMING slots say nothing (their agents count as alive): no lock is ever taken
//     over on a guess; an ANONYMOUS_AGENT or untracked holder is never taken over;
//   - a slot goes to DIED/EXITED only from LIVE (cas), and a serial wraps after 2^24 agents of
//     one party: an agent that lived that long while holding a lock is not told apart (limit).
import { load32, store32, add32, cas32, notify } from "./atom";
import {
  REGION_BASE, RH_PARTIES, RH_NEXT_AGENT, PARTY_SLOTS, PARTY_SIZE, PARTY_SLOT_BITS, PARTY_SLOT_MASK,
  PARTY_SERIAL_MASK, PARTY_STATE, PARTY_BORN, PARTY_NEXT, PARTY_PID, PARTY_THREAD, PARTY_START,
  PARTY_FREE, PARTY_CLAIMING, PARTY_LIVE, PARTY_EXITED, PARTY_DIED, ANONYMOUS_AGENT, AGENT_MASK,
} from "./layout";

// @ts-ignore: decorator
@inline function entry(slot: i32): usize {
  return <usize>(REGION_BASE + RH_PARTIES + slot * PARTY_SIZE);
}

/** The agent with `serial` in `slot` (never 0: serial 0 is skipped). */
// @ts-ignore: decorator
@inline function agentOf(slot: i32, serial: i32): i32 {
  let s = serial & PARTY_SERIAL_MASK;
  if (s == 0 && slot == 0) s = 1;
  return (s << PARTY_SLOT_BITS) | slot;
}

/** A new untracked agent id (slot 0): never 0, never -1, never declared dead. */
export function region_new_agent(): i32 {
  return agentOf(0, add32(REGION_BASE + RH_NEXT_AGENT, 1) + 1);
}

/**
 * Claims a slot for the calling thread (process `pid`, thread `thread`, process start time
 * `start`) and returns its first agent id; an agent of the LIVE slot of the same thread if
 * there is one; an untracked agent when every slot is LIVE. FREE
 * slots are taken first, then EXITED, then DIED ones (the last keep their peer-gone meaning
 * longest).
 */
export function party_join(pid: i32, thread: i32, start: f64): i32 {
  // the same thread joined already (a host registered it before it started): share its slot
  for (let slot = 1; slot < PARTY_SLOTS; slot++) {
    const e = entry(slot);
    if (load32(e + PARTY_STATE) == PARTY_LIVE && load32(e + PARTY_PID) == pid && load32(e + PARTY_THREAD) == thread &&
        load<f64>(e + PARTY_START) == start) {
      return agentOf(slot, add32(e + PARTY_NEXT, 1));
    }
  }
  for (let want = PARTY_FREE; want <= PARTY_DIED; want++) {
    if (want == PARTY_CLAIMING || want == PARTY_LIVE) continue;
    for (let slot = 1; slot < PARTY_SLOTS; slot++) {
      const e = entry(slot);
      if (load32(e + PARTY_STATE) != want || cas32(e + PARTY_STATE, want, PARTY_CLAIMING) != want) continue;
      const born = add32(e + PARTY_NEXT, 1) & PARTY_SERIAL_MASK;
      store32(e + PARTY_BORN, born);
      store32(e + PARTY_PID, pid);
      store32(e + PARTY_THREAD, thread);
      store<f64>(e + PARTY_START, start);
      // publish: the occupant's fields before LIVE
      store32(e + PARTY_STATE, PARTY_LIVE);
      return agentOf(slot, born);
    }
  }
  return region_new_agent();
}

/** A fresh agent of the party of `agent` (lockAsync's per-call owners). */
export function party_new_agent(agent: i32): i32 {
  const slot = agent & PARTY_SLOT_MASK;
  if (slot == 0 || agent == ANONYMOUS_AGENT) return region_new_agent();
  return agentOf(slot, add32(entry(slot) + PARTY_NEXT, 1));
}

/** Whether the holder `owner` (an agent id, possibly with MUTEX_OWNER_DIED) is known dead. */
export function agent_dead(owner: i32): bool {
  if (owner == ANONYMOUS_AGENT) return false;
  const id = owner & AGENT_MASK;
  const slot = id & PARTY_SLOT_MASK;
  if (id == 0 || slot == 0) return false;
  const e = entry(slot);
  const st = load32(e + PARTY_STATE);
  if (st == PARTY_EXITED || st == PARTY_DIED) return true;
  if (st != PARTY_LIVE) return false;
  const age = ((id >>> PARTY_SLOT_BITS) - load32(e + PARTY_BORN)) & PARTY_SERIAL_MASK;
  return age >= (PARTY_SERIAL_MASK + 1) >> 1; // older than the occupant
}

/** 1 if agent_dead(owner), else 0 (exported form). */
export function party_agent_dead(owner: i32): i32 {
  return agent_dead(owner) ? 1 : 0;
}

/** The slot of `agent` (0: untracked). */
export function party_slot(agent: i32): i32 {
  return agent == ANONYMOUS_AGENT ? 0 : agent & PARTY_SLOT_MASK;
}

/** Whether `agent` is one of the current, LIVE occupant's agents (a party_report target). */
export function party_is_current(agent: i32): i32 {
  const slot = agent & PARTY_SLOT_MASK;
  if (slot == 0 || agent == ANONYMOUS_AGENT) return 0;
  return load32(entry(slot) + PARTY_STATE) == PARTY_LIVE && !agent_dead(agent) ? 1 : 0;
}

export function party_state(slot: i32): i32 { return load32(entry(slot) + PARTY_STATE); }
export function party_pid(slot: i32): i32 { return load32(entry(slot) + PARTY_PID); }
export function party_thread(slot: i32): i32 { return load32(entry(slot) + PARTY_THREAD); }
export function party_start(slot: i32): f64 { return load<f64>(entry(slot) + PARTY_START); }

/**
 * Marks the LIVE party in `slot` ended: PARTY_DIED (`crashed` = 1) or PARTY_EXITED. Returns 1
 * if this call changed it (the caller then runs the walk, party_walk), 0 if it was not LIVE.
 */
export function party_end(slot: i32, crashed: i32): i32 {
  if (slot <= 0 || slot >= PARTY_SLOTS) return 0;
  const e = entry(slot);
  const to = crashed ? PARTY_DIED : PARTY_EXITED;
  if (cas32(e + PARTY_STATE, PARTY_LIVE, to) == PARTY_LIVE) return 1;
  // an EXITED party later found to have crashed (a process's status read late) is DIED
  return crashed && cas32(e + PARTY_STATE, PARTY_EXITED, PARTY_DIED) == PARTY_EXITED ? 1 : 0;
}

/** Wakes every agent parked on the lock word at `m` (a dead holder was found). */
export function party_wake(word: usize): void {
  notify(word, -1);
}
