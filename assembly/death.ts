// death.ts — what the region does when a party is reported ended (party.ts): party_report.
//
// Roles: the runtime of any party that learns of a death calls party_report(slot, crashed):
// spawnWorker's and spawnProcess's exit watchers, sabre/node's liveness sweep (pid + start
// time), the public threadDied call. Several may report the same death: only the first
// (party_end's cas) walks.
//
// The walk visits every live block of the heap (under the heap lock, taken with a bounded wait:
// a party killed inside an allocator call holds it for good, and the walk then runs without it,
// reading only blocks whose tag names their kind exactly) and, for the dead party:
//   Mutex     held by it: wakes the lock's waiters, who take it over (mutex_recover) at once
//             instead of at the end of their ROBUST_SLICE_MS slice;
//   Channel   its locks: the same; and, when it crashed and used the channel, CH_PARTY_DIED,
//             waking both sides to evaluate the side rules (assembly/channel-recover.ts, ch_party_died);
//   Mailbox   it was the reader (MB_READER, any end, clean or not): MB_READER_GONE, and its
//             channel CH_RECEIVERS_GONE (sends and requests to it fail with PeerGoneError).
//   Ring, ByteRing, SpscRing (and a channel's words, in ch_party_died): every park word is
//             bumped and notified, flag or no flag. Their wakers use the flag form of wake.ts
//             (clear the flag, then bump the park word): a party killed between the two leaves
//             waiters parked behind a cleared flag, which no later waker would wake.
// RwLock and Semaphore hold no per-party record of readers or permits: not recoverable
// (documented in README, "When a party dies").
import { load32, or32 } from "./atom";
import { wakeAll } from "./wake";
import {
  OK, TIMED_OUT, ANONYMOUS_AGENT, REGION_BASE, RH_ALLOC_LOCK, RH_HEAP_END, HEAP_START, BLOCK_MIN,
  BLOCK_USED, BLOCK_SIZE_MASK, BLOCK_TAG, BLOCK_HEADER, TAG_MAGIC, KIND_MUTEX, KIND_CHANNEL, KIND_MAILBOX,
  MUTEX_STATE, MUTEX_OWNER, MB_READER, MB_STATE, MB_CHANNEL, MB_READER_GONE, PARTY_SLOTS,
  KIND_RING, KIND_BYTERING, KIND_SPSC, RING_PUSH_SEQ, RING_POP_SEQ, BR_DATA_SEQ, BR_SPACE_SEQ,
  SPSC_DATA_SEQ, SPSC_SPACE_SEQ,
} from "./layout";
import { mutex_lock, mutex_unlock } from "./mutex";
import { agent_dead, party_end, party_wake } from "./party";
import { ch_party_died, ch_readers_gone } from "./channel-recover";

/** How long the walk waits for the heap lock before it walks without it (ms). */
const HEAP_LOCK_WAIT_MS: f64 = 200;

/**
 * Reports that the party in `slot` ended (`crashed` = 1: it crashed or was killed; 0: a clean
 * end) and runs the walk above. `mayBlock` = 0 where the thread may not block (the walk then
 * only tries the heap lock). Returns 1 if this call recorded the death, 0 if it was known.
 */
export function party_report(slot: i32, crashed: i32, mayBlock: i32): i32 {
  if (slot <= 0 || slot >= PARTY_SLOTS) return 0;
  if (!party_end(slot, crashed)) return 0;
  const lock = <usize>(REGION_BASE + RH_ALLOC_LOCK);
  const locked = mutex_lock(lock, ANONYMOUS_AGENT, mayBlock ? HEAP_LOCK_WAIT_MS : 0) == OK;
  const end = <usize>load32(REGION_BASE + RH_HEAP_END);
  let b = <usize>HEAP_START;
  while (b + <usize>BLOCK_MIN <= end) {
    const head = load<u32>(b);
    const size = <usize>(head & <u32>BLOCK_SIZE_MASK);
    if (size < <usize>BLOCK_MIN || b + size > end) break;
    if (head & BLOCK_USED) visit(b + BLOCK_HEADER, load<u32>(b + BLOCK_TAG), slot, crashed);
    b += size;
  }
  if (locked) mutex_unlock(lock, ANONYMOUS_AGENT);
  return 1;
}

function visit(p: usize, tag: u32, slot: i32, crashed: i32): void {
  if (tag == <u32>(TAG_MAGIC | KIND_MUTEX)) {
    if (agent_dead(load32(p + MUTEX_OWNER))) party_wake(p + MUTEX_STATE);
  } else if (tag == <u32>(TAG_MAGIC | KIND_CHANNEL)) {
    ch_party_died(p, slot, crashed);
  } else if (tag == <u32>(TAG_MAGIC | KIND_RING)) {
    wakeAll(p + RING_PUSH_SEQ);
    wakeAll(p + RING_POP_SEQ);
  } else if (tag == <u32>(TAG_MAGIC | KIND_BYTERING)) {
    wakeAll(p + BR_DATA_SEQ);
    wakeAll(p + BR_SPACE_SEQ);
  } else if (tag == <u32>(TAG_MAGIC | KIND_SPSC)) {
    wakeAll(p + SPSC_DATA_SEQ);
    wakeAll(p + SPSC_SPACE_SEQ);
  } else if (tag == <u32>(TAG_MAGIC | KIND_MAILBOX)) {
    const reader = load32(p + MB_READER);
    if (reader != 0 && agent_dead(reader)) {
      or32(p + MB_STATE, MB_READER_GONE);
      ch_readers_gone(<usize>load<u32>(p + MB_CHANNEL));
    }
  }
}
