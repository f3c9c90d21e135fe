// rwlock.ts — writer-preferring readers-writer lock.
//
// Source: the classic one-word reader/writer state with futex parking (the shape of Rust's
// std futex RwLock, library/std/src/sys/sync/rwlock/futex.rs, and of Go's sync.RWMutex
// writer preference), with the number of waiting writers kept IN the state word so that a
// reader's admission test and a writer's registration are one compare-and-swap.
//
// Roles: any agent may read-lock (shared) or write-lock (exclusive, owned by its agent id).
// Only the write holder may write-unlock (else NOT_OWNER). Read-unlock needs no owner (the
// TypeScript guard releases once); read-unlock with no reader returns NOT_OWNER. Waiting
// read and write locks are the step pairs rw_read_step / rw_read_cancel (parked on
// RW_READ_SEQ) and rw_write_step / rw_write_cancel (parked on RW_WRITE_SEQ), in the step
// convention of layout.ts, run by the runtime's step machines (src/sync/rwlock.ts).
// Writer preference: once a writer waits, new readers wait too, so writers never starve
// (readers can, under a continuous stream of writers). Read locks are not re-entrant: a
// reader that read-locks again while a writer waits deadlocks (undetectable without per-agent
// state). A write holder asking for a read or write lock gets WOULD_DEADLOCK.
//
//   offset  word                 written by                              meaning
//   +0      RW_STATE             lock/unlock/register (cas, add, sub)    bits below
//   +4      RW_OWNER             the write holder, after acquiring       agent id, 0 when no writer
//   +8      RW_READ_SEQ          wakeReaders (add 1)                     readers' park word
//   +12     RW_WRITE_SEQ         wakeWriter (add 1)                      writers' park word
//   +16     RW_READERS_WAITING   readers (add on register, sub on leave) readers that may park
//
//   RW_STATE:  bit 30 RW_WRITER | bits 16..29 waiting writers (RW_WRITER_WAITING_ONE each,
//              RW_WRITERS_WAITING_MASK) | bits 0..15 readers holding (RW_READERS_MASK)
//
// Invariants:
//   - RW_WRITER set => readers == 0; readers > 0 => RW_WRITER clear;
//   - a reader enters only when RW_WRITER is clear AND no writer waits (writer preference);
//   - waiting writers = writers registered to park on RW_WRITE_SEQ; a writer registers with a
//     cas that also saw the lock busy, so whoever frees the lock afterwards sees it counted;
//     the writer that acquires after registering removes itself in the same cas;
//   - whoever frees the lock while writers wait (last read-unlock, write-unlock) bumps
//     RW_WRITE_SEQ and wakes ONE writer; a write-unlock with no writer waiting, and the
//     cancellation of the last waiting writer, bump RW_READ_SEQ and wake ALL readers if
//     RW_READERS_WAITING > 0 (readers register before their last look at RW_STATE; the
//     waker changes RW_STATE before reading RW_READERS_WAITING; SC atomics);
//   - no wake syscall without a registered waiter: uncontended lock/unlock is one cas/sub;
//   - a woken agent always retries before it may give up; an aborted async waiter hands its
//     wake-up on (src/wait/parker.ts), and a cancelling writer wakes another writer if the lock is free;
//   - capacity: 65535 concurrent readers (more wait), 16383 registered writers (more spin).
import { load32, store32, add32, sub32, cas32, notify } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, NOT_OWNER, WOULD_DEADLOCK,
  RW_STATE, RW_OWNER, RW_READ_SEQ, RW_WRITE_SEQ, RW_READERS_WAITING,
  RW_READERS_MASK, RW_WRITER_WAITING_ONE, RW_WRITERS_WAITING_MASK, RW_WRITER,
} from "./layout";
import { DEBUG } from "./debug";

const WAKE_ALL: i32 = i32.MAX_VALUE;

export function rw_init(rw: usize): void {
  store32(rw + RW_OWNER, 0);
  store32(rw + RW_READ_SEQ, 0);
  store32(rw + RW_WRITE_SEQ, 0);
  store32(rw + RW_READERS_WAITING, 0);
  store32(rw + RW_STATE, 0);
}

// @ts-ignore: decorator
@inline function readerMayEnter(s: i32): bool {
  return (s & (RW_WRITER | RW_WRITERS_WAITING_MASK)) == 0 && (s & RW_READERS_MASK) != RW_READERS_MASK;
}

// @ts-ignore: decorator
@inline function heldBy(rw: usize, s: i32, agent: i32): bool {
  return (s & RW_WRITER) != 0 && load32(rw + RW_OWNER) == agent;
}

function wakeReaders(rw: usize): void {
  if (load32(rw + RW_READERS_WAITING) > 0) {
    add32(rw + RW_READ_SEQ, 1);
    notify(rw + RW_READ_SEQ, WAKE_ALL);
  }
}

function wakeWriter(rw: usize): void {
  add32(rw + RW_WRITE_SEQ, 1);
  notify(rw + RW_WRITE_SEQ, 1);
}

// ---- read side ---------------------------------------------------------------------------

/** One attempt at a read lock: OK, WOULD_BLOCK, WOULD_DEADLOCK (`agent` holds the write lock). */
export function rw_try_read(rw: usize, agent: i32): i32 {
  while (true) {
    const s = load32(rw + RW_STATE);
    if (DEBUG) assert((s & RW_WRITER) == 0 || (s & RW_READERS_MASK) == 0, "rwlock: RW_WRITER set while readers hold the lock");
    if (!readerMayEnter(s)) return heldBy(rw, s, agent) ? WOULD_DEADLOCK : WOULD_BLOCK;
    // publish: the cas synchronises with the write-unlock that cleared RW_WRITER
    if (cas32(rw + RW_STATE, s, s + 1) == s) return OK;
  }
}

/**
 * One step of a parking read lock. `parked` = 0 first (registers before its last look),
 * 1 after parking. OK (deregistered) / WOULD_DEADLOCK / WOULD_BLOCK: registered; park on
 * RW_READ_SEQ while it holds the value read before this call.
 */
export function rw_read_step(rw: usize, agent: i32, parked: i32): i32 {
  let registered = parked != 0;
  while (true) {
    const s = load32(rw + RW_STATE);
    if (readerMayEnter(s)) {
      if (cas32(rw + RW_STATE, s, s + 1) != s) continue;
      if (registered) sub32(rw + RW_READERS_WAITING, 1);
      return OK;
    }
    if (registered) return WOULD_BLOCK;
    if (heldBy(rw, s, agent)) return WOULD_DEADLOCK;
    add32(rw + RW_READERS_WAITING, 1);
    registered = true;
  }
}

/** A registered reader gives up (timeout, abort). Returns TIMED_OUT. */
export function rw_read_cancel(rw: usize): i32 {
  sub32(rw + RW_READERS_WAITING, 1);
  return TIMED_OUT;
}

/** Releases one read lock: OK, or NOT_OWNER when no reader holds it (nothing changed). */
export function rw_read_unlock(rw: usize): i32 {
  let s: i32;
  while (true) {
    s = load32(rw + RW_STATE);
    if (DEBUG) assert((s & RW_WRITER) == 0 || (s & RW_READERS_MASK) == 0, "rwlock: RW_WRITER set while readers hold the lock");
    if ((s & RW_READERS_MASK) == 0) return NOT_OWNER;
    // publish: nothing (readers write nothing the lock protects), but order stays SC
    if (cas32(rw + RW_STATE, s, s - 1) == s) break;
  }
  const readers = s & RW_READERS_MASK;
  if (readers == 1 && (s & RW_WRITERS_WAITING_MASK) != 0) wakeWriter(rw);
  else if (readers == RW_READERS_MASK) wakeReaders(rw); // a reader slot freed up
  return OK;
}

// ---- write side --------------------------------------------------------------------------

/** One attempt at the write lock: OK, WOULD_BLOCK, WOULD_DEADLOCK (`agent` holds it). */
export function rw_try_write(rw: usize, agent: i32): i32 {
  while (true) {
    const s = load32(rw + RW_STATE);
    if ((s & (RW_WRITER | RW_READERS_MASK)) != 0) return heldBy(rw, s, agent) ? WOULD_DEADLOCK : WOULD_BLOCK;
    if (cas32(rw + RW_STATE, s, s | RW_WRITER) == s) {
      store32(rw + RW_OWNER, agent);
      return OK;
    }
  }
}

/**
 * One step of a parking write lock. `parked` = 0 first (registers as a waiting writer in
 * RW_STATE when the lock is busy), 1 after parking. OK (deregistered in the same cas) /
 * WOULD_DEADLOCK / WOULD_BLOCK: registered; park on RW_WRITE_SEQ while it holds the value
 * read before this call.
 */
export function rw_write_step(rw: usize, agent: i32, parked: i32): i32 {
  const registered = parked != 0;
  while (true) {
    const s = load32(rw + RW_STATE);
    if ((s & (RW_WRITER | RW_READERS_MASK)) == 0) {
      const next = (s | RW_WRITER) - (registered ? RW_WRITER_WAITING_ONE : 0);
      if (cas32(rw + RW_STATE, s, next) != s) continue;
      store32(rw + RW_OWNER, agent);
      return OK;
    }
    if (registered) return WOULD_BLOCK;
    if (heldBy(rw, s, agent)) return WOULD_DEADLOCK;
    if ((s & RW_WRITERS_WAITING_MASK) == RW_WRITERS_WAITING_MASK) continue; // full: spin
    // register with a cas that also saw the lock busy (see Invariants)
    if (cas32(rw + RW_STATE, s, s + RW_WRITER_WAITING_ONE) == s) return WOULD_BLOCK;
  }
}

/** A registered writer gives up (timeout, abort): deregisters, wakes whoever it held back. */
export function rw_write_cancel(rw: usize): i32 {
  const s = sub32(rw + RW_STATE, RW_WRITER_WAITING_ONE) - RW_WRITER_WAITING_ONE;
  if ((s & RW_WRITER) == 0) {
    if ((s & RW_WRITERS_WAITING_MASK) == 0) wakeReaders(rw); // readers were held back by us
    else if ((s & RW_READERS_MASK) == 0) wakeWriter(rw);     // free lock: pass a wake-up on
  }
  return TIMED_OUT;
}

/** Releases the write lock: OK, or NOT_OWNER when `agent` does not hold it (nothing changed). */
export function rw_write_unlock(rw: usize, agent: i32): i32 {
  if ((load32(rw + RW_STATE) & RW_WRITER) == 0 || load32(rw + RW_OWNER) != agent) return NOT_OWNER;
  store32(rw + RW_OWNER, 0);
  // publish: the writer's writes happen-before the next reader's or writer's cas
  const s = sub32(rw + RW_STATE, RW_WRITER);
  if ((s & RW_WRITERS_WAITING_MASK) != 0) wakeWriter(rw); // writer preference
  // Seeded bug, model bug build only (test/model/rwlock.test.ts must find it): a
  // write-unlock that forgets the parked readers.
  else if (!(isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_RW_UNLOCK_NO_WAKE_READERS))) wakeReaders(rw);
  return OK;
}

/** Readers holding the lock now (racy snapshot). */
export function rw_readers(rw: usize): i32 {
  return load32(rw + RW_STATE) & RW_READERS_MASK;
}

/** Agent id of the write holder, 0 if none (racy snapshot). */
export function rw_writer(rw: usize): i32 {
  return (load32(rw + RW_STATE) & RW_WRITER) != 0 ? load32(rw + RW_OWNER) : 0;
}

/** Agents registered as waiting: readers plus writers (racy snapshot; tests and diagnostics). */
export function rw_waiters(rw: usize): i32 {
  const writers = (load32(rw + RW_STATE) & RW_WRITERS_WAITING_MASK) / RW_WRITER_WAITING_ONE;
  return load32(rw + RW_READERS_WAITING) + writers;
}
