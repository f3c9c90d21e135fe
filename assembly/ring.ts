// ring.ts — bounded MPMC ring of i32 values.
//
// Source: Dmitry Vyukov, "Bounded MPMC queue" (1024cores.net): a sequence word per slot tells
// which lap the slot is ready for; pushers and poppers claim positions with a CAS on their own
// free-running index. Two changes, both after crossbeam's ArrayQueue / array channel:
//   - linearizable try-ops: when a slot is "not ready", the other index is re-read; if it says
//     the ring is not empty (not full), a push (pop) on that slot is in progress and we spin on
//     it instead of reporting empty (full) — Vyukov's original reports "empty" while an earlier,
//     stalled producer holds the slot even though later pushes have completed;
//   - the closed mark is bit 31 of the enqueue word (crossbeam's mark bit), so a push can never
//     claim a position after close, and a pop reads "empty and closed" in one atomic load.
//
// Roles: any number of agents may push, pop, close and read the length concurrently.
// `ring_init` runs once, before the ring's address is published (handle).
//
//   offset              word               written by                      meaning
//   +0   RING_ENQ       enqueue pos|CLOSED push (cas), close (or)          next position to push
//   +64  RING_DEQ       dequeue pos        pop (cas)                       next position to pop
//   +128 RING_CAPACITY  slots              init only                       power of two, >= 2
//   +136 RING_PUSH_WAITERS  flag           pushers raise (store 1), wakers clear   a pusher may park
//   +140 RING_POP_WAITERS   flag           poppers raise (store 1), wakers clear   a popper may park
//   +144 RING_PUSH_SEQ  park word          pop/close, only if PUSH_WAITERS is raised   bumped
//   +148 RING_POP_SEQ   park word          push/close, only if POP_WAITERS is raised   bumped
//   +192 RING_SLOTS     [seq i32][value i32] x capacity, position order spread (slotOf)
//          seq: pusher of position p stores p+1 (publishes value); popper of p stores p+cap
//          value: plain i32, written by the pusher that claimed it, read by the claiming popper
//
// Positions are 31-bit (RING_POS_MASK) and compared with a sign-extended 31-bit difference
// (`dist`), so they may wrap. For position p and its slot s = p & (cap-1):
//   seq(s) == p        slot free for the push of p
//   seq(s) == p + 1    item of p published, ready for the pop of p
//   seq(s) == p + cap  popped; free for the push of p + cap
//
// Invariants:
//   - 0 <= ENQ.pos - DEQ.pos <= capacity at every instant (a pop claims p only once seq says
//     the push of p published; a push claims p only once seq says the pop of p - cap finished);
//   - each position is claimed by exactly one CAS, so each value is popped exactly once;
//   - once RING_CLOSED_BIT is set it stays set, and ENQ.pos never changes again: no push
//     succeeds after close; pops drain the items claimed before close, then return CLOSED;
//   - try-ops report WOULD_BLOCK ("empty"/"full") only when, at the instant they re-read the
//     other index, ENQ.pos == DEQ.pos (empty) or ENQ.pos == DEQ.pos + capacity (full);
//     otherwise an operation on the slot is in progress and they spin until it finishes.
//     The spin lasts as long as the other agent takes from its claim (CAS) to its publish
//     (seq store): a few instructions, unless that agent is descheduled in between.
//   - not robust to an agent that dies between its claim and its publish (a worker
//     terminated inside a call): its slot is never published and operations that reach it
//     spin. Terminate workers only after they leave the ring.
//
// Waking (no lost wake-ups; every atomic is SC): the flag form of wake.ts, where its proof is.
//   waiter (e.g. pop, the step convention of layout.ts; parking is the runtime's step machine,
//   src/queue/ring.ts):
//                       s = load(POP_SEQ); ring_pop_step: re-try pop; if empty: store(POP_WAITERS,
//                       1), re-try pop; if still empty: park while POP_SEQ == s; s =
//                       load(POP_SEQ); ring_pop_step again (raising the flag again);
//                       success and giving up (ring_pop_cancel) leave the flag as it is
//   notifier (push):    publish the slot's seq; if load(POP_WAITERS) != 0: store(POP_WAITERS, 0),
//                       add(POP_SEQ, 1), notify(POP_SEQ, all)
//   Either the notifier's load of the flag comes before the waiter's raise (then its publish
//   does too, and the waiter's re-try after the raise sees the item), or some notifier clears
//   that raise after it was made and bumps POP_SEQ after its clear, so after the waiter read s:
//   wait32 returns at once or is woken by the notify that follows the bump. Close sets the mark
//   bit and then does the same on both sides, so blocked pushers and poppers all wake and see
//   CLOSED. A waiter that leaves (timeout, abort) costs a later notifier one unneeded notify.
//   Notifiers that find the flag down touch no park word and make no notify call.
//   Counts: a wake-up wakes every agent parked on the word (the flag does not count them), and
//   is made once per raise, not once per notifier call: with a waiter count, every push made
//   while a popper was between its registration and its return from the park (a wake-up
//   takes tens of microseconds on a busy machine) bumped and notified again, which made a
//   stream of one-value calls pay a notify per value on both sides. A woken waiter always
//   re-tries before it gives up (even past its deadline).
//
// Pop results: a pop returns an f64, the value popped (an i32) or RING_POP_STATUS + status
// (WOULD_BLOCK, CLOSED, TIMED_OUT), so that no out-parameter in shared memory is needed.
//
// Spinning: before a blocking push (pop) registers, ring_push_spin (ring_pop_spin), a one-call
// fast path that never parks, spins slotSpinLimit() steps (time.ts); after
// the first attempt, a step re-tries only when a plain load of the slot of ENQ (DEQ) says it is free
// (published): the spin reads two words (its own index and that slot) and neither CASes nor
// reads the other side's index, which the other side writes on every operation. A spin
// iteration that skips the re-try decides nothing: the last word on the matter is always a
// full try-op (the registered re-check before parking), so no false empty/full is reported.
// A push spin stops skipping once it sees the closed bit; a pop spin on a closed, drained
// ring returns CLOSED at its first try.
//
// Batches (ring_push_many / ring_pop_many) count the run of consecutive ready slots from
// their index and claim the whole run with one CAS, then fill (drain) and publish the slots
// in order; they never wait, and return the count moved.
import { load32, store32, or32, cas32 } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, CLOSED, BAD_ARGUMENT, RING_POP_STATUS,
  RING_ENQ, RING_DEQ, RING_CAPACITY, RING_PUSH_WAITERS, RING_POP_WAITERS, RING_PUSH_SEQ,
  RING_POP_SEQ, RING_SLOTS, RING_SLOT_SIZE, RING_SLOT_SEQ, RING_SLOT_VALUE, RING_CLOSED_BIT,
  RING_POS_MASK, RING_MIN_CAPACITY, RING_MAX_CAPACITY, RING_SPREAD,
} from "./layout";
import { slotSpinLimit } from "./time";
import { DEBUG } from "./debug";
import { raiseFlag, wakeFlagged } from "./wake";

// notify's count is unsigned in wasm: -1 wakes every agent parked on the word.
const NOTIFY_ALL: i32 = -1;

/** Signed distance a - b of two 31-bit positions (sign-extends bit 30 of the difference). */
// @ts-ignore: decorator
@inline function dist(a: i32, b: i32): i32 { return ((a - b) << 1) >> 1; }

/** Position `pos` moved on by `n` (31-bit wrap). */
// @ts-ignore: decorator
@inline function advance(pos: i32, n: i32): i32 { return (pos + n) & RING_POS_MASK; }

/**
 * Address of the slot of position `pos`. Consecutive positions are spread RING_SPREAD slots
 * (128 bytes, two cache lines) apart: index i lives at ((i * RING_SPREAD) mod cap) + i / (cap /
 * RING_SPREAD), a transpose of the cap / RING_SPREAD rows of RING_SPREAD slots (a bijection
 * of 0 .. cap-1). So a pusher filling position p and a popper freeing p - 1 (or p + 1 - cap)
 * write different lines, and a spinning agent's reads of its own slot do not steal the line
 * of the neighbouring slot the other side is writing. Rings smaller than 2 * RING_SPREAD are
 * laid out in order (they hardly span two lines).
 */
// @ts-ignore: decorator
@inline function slotOf(r: usize, pos: i32, mask: i32): usize {
  let i = pos & mask;
  if (mask >= 2 * RING_SPREAD - 1) {
    i = ((i * RING_SPREAD) & mask) | (i >>> (<i32>ctz(mask + 1) - <i32>ctz(RING_SPREAD)));
  }
  return r + RING_SLOTS + <usize>(i * RING_SLOT_SIZE);
}

// capacity is written once by init, before the ring's address is published: plain reads.
// @ts-ignore: decorator
@inline function capacityOf(r: usize): i32 { return load<i32>(r + RING_CAPACITY); }

function validCapacity(capacity: i32): bool {
  return capacity >= RING_MIN_CAPACITY && capacity <= RING_MAX_CAPACITY && (capacity & (capacity - 1)) == 0;
}

/** Bytes a ring of `capacity` slots needs, or 0 if the capacity is not valid. */
export function ring_size_of(capacity: i32): i32 {
  return validCapacity(capacity) ? RING_SLOTS + capacity * RING_SLOT_SIZE : 0;
}

/** Initialises the ring at `r` (ring_size_of(capacity) bytes). OK or BAD_ARGUMENT. */
export function ring_init(r: usize, capacity: i32): i32 {
  if (!validCapacity(capacity)) return BAD_ARGUMENT;
  store<i32>(r + RING_CAPACITY, capacity);
  for (let i = 0; i < capacity; i++) {
    const slot = slotOf(r, i, capacity - 1);
    store<i32>(slot + RING_SLOT_VALUE, 0);
    store32(slot + RING_SLOT_SEQ, i);
  }
  store32(r + RING_PUSH_WAITERS, 0);
  store32(r + RING_POP_WAITERS, 0);
  store32(r + RING_PUSH_SEQ, 0);
  store32(r + RING_POP_SEQ, 0);
  store32(r + RING_DEQ, 0);
  store32(r + RING_ENQ, 0);
  return OK;
}

// ---- wake-ups ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function wakePoppers(r: usize): void {
  wakeFlagged(r + RING_POP_WAITERS, r + RING_POP_SEQ, NOTIFY_ALL);
}

// @ts-ignore: decorator
@inline function wakePushers(r: usize): void {
  wakeFlagged(r + RING_PUSH_WAITERS, r + RING_PUSH_SEQ, NOTIFY_ALL);
}

// ---- one attempt (no wake-ups) ------------------------------------------------------------

/** Claims up to `n` (>= 1) consecutive free positions with one CAS. Returns
 *  (first position << 32) | count when it claimed (count >= 1), 0 if full, -CLOSED if closed. */
// @ts-ignore: decorator
@inline function pushClaim(r: usize, n: i32, cap: i32): i64 {
  const mask = cap - 1;
  let e = load32(r + RING_ENQ);
  while (true) {
    if (e & RING_CLOSED_BIT) return -CLOSED;
    // count the consecutive slots free for positions e, e+1, ...
    let k = 0;
    const limit = n < cap ? n : cap;
    while (k < limit && load32(slotOf(r, advance(e, k), mask) + RING_SLOT_SEQ) == advance(e, k)) k++;
    if (k > 0) {
      const seen = cas32(r + RING_ENQ, e, advance(e, k));
      if (seen == e) return (<i64>e << 32) | <i64>k;
      e = seen;
      continue;
    }
    const seq = load32(slotOf(r, e, mask) + RING_SLOT_SEQ);
    if (dist(seq, e) < 0) {
      // the slot still holds the item of position e - cap, or its pop is in progress
      const d = load32(r + RING_DEQ);
      if (advance(d, cap) == e) return 0; // full at this instant: DEQ.pos + cap == ENQ.pos
      // not full: a pop of this slot has claimed it and not yet released it; spin on it
    }
    e = load32(r + RING_ENQ);
  }
}

/** Claims up to `n` (>= 1) consecutive published items with one CAS. Returns
 *  (first position << 32) | count (count >= 1), 0 if empty, -CLOSED if empty and closed. */
// @ts-ignore: decorator
@inline function popClaim(r: usize, n: i32, cap: i32): i64 {
  const mask = cap - 1;
  let p = load32(r + RING_DEQ);
  while (true) {
    let k = 0;
    const limit = n < cap ? n : cap;
    while (k < limit && load32(slotOf(r, advance(p, k), mask) + RING_SLOT_SEQ) == advance(p, k + 1)) k++;
    if (k > 0) {
      const seen = cas32(r + RING_DEQ, p, advance(p, k));
      if (seen == p) return (<i64>p << 32) | <i64>k;
      p = seen;
      continue;
    }
    const seq = load32(slotOf(r, p, mask) + RING_SLOT_SEQ);
    if (dist(seq, advance(p, 1)) < 0) {
      // the push of p has not published (or the pop of p - cap is still in progress)
      const e = load32(r + RING_ENQ);
      if ((e & RING_POS_MASK) == p) return (e & RING_CLOSED_BIT) ? -CLOSED : 0; // empty now
      // not empty: a push has claimed p and not yet published it; spin on it
    }
    p = load32(r + RING_DEQ);
  }
}

// ---- single values --------------------------------------------------------------------------

/** One push attempt, no wake-ups: OK, WOULD_BLOCK (full) or CLOSED. */
function pushOnce(r: usize, value: i32): i32 {
  const cap = capacityOf(r);
  const mask = cap - 1;
  let e = load32(r + RING_ENQ);
  while (true) {
    if (e & RING_CLOSED_BIT) return CLOSED;
    const slot = slotOf(r, e, mask);
    const d = dist(load32(slot + RING_SLOT_SEQ), e);
    if (d == 0) {
      const seen = cas32(r + RING_ENQ, e, advance(e, 1));
      if (seen == e) {
        if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_RING_PUBLISH_BEFORE_VALUE)) {
          // Seeded bug, model bug build only (test/model/ring.test.ts must find it): publish
          // the seq, then write the value (atomically here, so the model can pause between).
          store32(slot + RING_SLOT_SEQ, advance(e, 1));
          store32(slot + RING_SLOT_VALUE, value);
          return OK;
        }
        store<i32>(slot + RING_SLOT_VALUE, value);
        // publish: the value, to the popper that sees seq == e + 1
        store32(slot + RING_SLOT_SEQ, advance(e, 1));
        return OK;
      }
      e = seen;
      continue;
    }
    if (d < 0) {
      const dq = load32(r + RING_DEQ);
      if (advance(dq, cap) == e) return WOULD_BLOCK; // full
      // a pop of this slot is in progress: spin
    }
    e = load32(r + RING_ENQ);
  }
}

/** A pop result for `status` (see "Pop results"). */
// @ts-ignore: decorator
@inline function popStatus(status: i32): f64 { return RING_POP_STATUS + <f64>status; }

/** One pop attempt, no wake-ups: the value, or popStatus(WOULD_BLOCK) (empty) / popStatus(CLOSED). */
function popOnce(r: usize): f64 {
  const cap = capacityOf(r);
  const mask = cap - 1;
  let p = load32(r + RING_DEQ);
  while (true) {
    const slot = slotOf(r, p, mask);
    const d = dist(load32(slot + RING_SLOT_SEQ), advance(p, 1));
    if (d == 0) {
      const seen = cas32(r + RING_DEQ, p, advance(p, 1));
      if (seen == p) {
        const value = load<i32>(slot + RING_SLOT_VALUE);
        // publish: the slot is free for the push of p + cap (value read before this store)
        store32(slot + RING_SLOT_SEQ, advance(p, cap));
        return <f64>value;
      }
      p = seen;
      continue;
    }
    if (d < 0) {
      const e = load32(r + RING_ENQ);
      // ENQ, read after DEQ was p, is never behind p (0 <= ENQ.pos - DEQ.pos <= capacity)
      if (DEBUG) assert(dist(e & RING_POS_MASK, p) >= 0, "ring: ENQ.pos behind DEQ.pos");
      if ((e & RING_POS_MASK) == p) return popStatus((e & RING_CLOSED_BIT) ? CLOSED : WOULD_BLOCK);
      // Seeded bug, model bug build only (test/model/ring.test.ts must find it): Vyukov's
      // original try-pop, "empty" whenever the slot is not published, although ENQ != DEQ.
      if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_RING_VYUKOV_EMPTY)) {
        if (!(e & RING_CLOSED_BIT)) return popStatus(WOULD_BLOCK);
      }
      // a push of this slot is in progress (claimed, not yet published): spin
    }
    p = load32(r + RING_DEQ);
  }
}

/** Non-blocking push: OK, WOULD_BLOCK (full, nothing changed) or CLOSED. */
export function ring_try_push(r: usize, value: i32): i32 {
  const s = pushOnce(r, value);
  if (s == OK) wakePoppers(r);
  return s;
}

/** Non-blocking pop: the value, popStatus(WOULD_BLOCK) (empty) or popStatus(CLOSED) (closed
 *  and drained). */
export function ring_try_pop(r: usize): f64 {
  const v = popOnce(r);
  // Seeded bug, model bug build only (test/model/ring.test.ts): a pop that frees a slot
  // without waking a parked pusher.
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_RING_POP_NO_WAKE)) return v;
  if (v < RING_POP_STATUS) wakePushers(r);
  return v;
}

/**
 * One step of a waiting push (the step convention of layout.ts; park word RING_PUSH_SEQ;
 * `parked` is the convention's and unused: the flag needs no deregistration). OK / CLOSED:
 * done. WOULD_BLOCK: RING_PUSH_WAITERS raised; park.
 */
export function ring_push_step(r: usize, value: i32, parked: i32): i32 {
  const s = ring_try_push(r, value);
  if (s != WOULD_BLOCK) return s;
  raiseFlag(r + RING_PUSH_WAITERS);
  return ring_try_push(r, value); // re-check after raising: see "Waking" above
}

/** A waiting pusher gives up (timeout, abort): TIMED_OUT (the flag stays raised: one spare wake-up). */
export function ring_push_cancel(r: usize): i32 {
  return TIMED_OUT;
}

/** As ring_push_step, for pops (park word RING_POP_SEQ); a pop result (see "Pop results"). */
export function ring_pop_step(r: usize, parked: i32): f64 {
  const v = ring_try_pop(r);
  if (v != popStatus(WOULD_BLOCK)) return v;
  raiseFlag(r + RING_POP_WAITERS);
  return ring_try_pop(r); // re-check after raising
}

/** A waiting popper gives up: popStatus(TIMED_OUT) (the flag stays raised). */
export function ring_pop_cancel(r: usize): f64 {
  return popStatus(TIMED_OUT);
}

/**
 * The fast path of a blocking push: spins (see "Spinning") and never parks or registers.
 * OK, CLOSED, or WOULD_BLOCK (still full: run the step machine).
 */
export function ring_push_spin(r: usize, value: i32): i32 {
  const mask = capacityOf(r) - 1;
  let s = WOULD_BLOCK;
  for (let i = 0; i < slotSpinLimit(); i++) {
    if (i > 0) {
      // spin cheaply: re-try only once the slot of ENQ is free (see "Spinning" above)
      const e = load32(r + RING_ENQ);
      if ((e & RING_CLOSED_BIT) == 0 && load32(slotOf(r, e, mask) + RING_SLOT_SEQ) != e) continue;
    }
    s = ring_try_push(r, value);
    if (s != WOULD_BLOCK) return s;
  }
  return s;
}

/** The fast path of a blocking pop: spins and never parks. A pop result (WOULD_BLOCK: still empty). */
export function ring_pop_spin(r: usize): f64 {
  const mask = capacityOf(r) - 1;
  let v = popStatus(WOULD_BLOCK);
  for (let i = 0; i < slotSpinLimit(); i++) {
    if (i > 0) {
      // spin cheaply: re-try only once the slot of DEQ is published (see "Spinning" above)
      const p = load32(r + RING_DEQ);
      if (load32(slotOf(r, p, mask) + RING_SLOT_SEQ) != advance(p, 1)) continue;
    }
    v = ring_try_pop(r);
    if (v != popStatus(WOULD_BLOCK)) return v;
  }
  return v;
}

// ---- batches ----------------------------------------------------------------------------------

/**
 * Non-blocking batch push of up to `n` i32 values from `src` (4-byte aligned, in memory):
 * claims as many consecutive free slots as it finds (one CAS), fills and publishes them in
 * order. Returns the count pushed (0 when full or n <= 0), or -CLOSED when closed.
 */
export function ring_push_many(r: usize, src: usize, n: i32): i32 {
  return moveMany(r, src, n, true);
}

/**
 * Non-blocking batch pop of up to `max` values into `dst` (4-byte aligned, in memory).
 * Returns the count popped (0 when empty or max <= 0), or -CLOSED when closed and drained.
 */
export function ring_pop_many(r: usize, dst: usize, max: i32): i32 {
  return moveMany(r, dst, max, false);
}

/** Both batches (`push` is a constant at each call, so each export inlines its own half):
 *  claim a run of k slots with one CAS, move the values between the slots and `mem`, publish
 *  each slot in order, wake up to k agents of the other side. */
// @ts-ignore: decorator
@inline function moveMany(r: usize, mem: usize, n: i32, push: bool): i32 {
  if (n <= 0) return 0;
  const cap = capacityOf(r);
  const mask = cap - 1;
  const claim = push ? pushClaim(r, n, cap) : popClaim(r, n, cap);
  if (claim <= 0) return <i32>claim;
  const first = <i32>(claim >> 32);
  const k = <i32>(claim & 0xffffffff);
  for (let i = 0; i < k; i++) {
    const pos = advance(first, i);
    const slot = slotOf(r, pos, mask);
    if (push) {
      store<i32>(slot + RING_SLOT_VALUE, load<i32>(mem + <usize>(i << 2)));
      // publish: item i of the batch
      store32(slot + RING_SLOT_SEQ, advance(pos, 1));
    } else {
      store<i32>(mem + <usize>(i << 2), load<i32>(slot + RING_SLOT_VALUE));
      // publish: slot free for the push of pos + cap (value read before)
      store32(slot + RING_SLOT_SEQ, advance(pos, cap));
    }
  }
  if (push) wakePoppers(r);
  else wakePushers(r);
  return k;
}

// ---- close and observers ------------------------------------------------------------------------

/** Closes the ring (idempotent) and wakes every parked pusher and popper. OK. */
export function ring_close(r: usize): i32 {
  or32(r + RING_ENQ, RING_CLOSED_BIT);
  wakePushers(r);
  wakePoppers(r);
  return OK;
}

/** 1 if closed, else 0. */
export function ring_closed(r: usize): i32 {
  return (load32(r + RING_ENQ) & RING_CLOSED_BIT) != 0 ? 1 : 0;
}

/** Items in the ring (a racy snapshot, clamped to 0 .. capacity). */
export function ring_len(r: usize): i32 {
  const d = load32(r + RING_DEQ);
  const e = load32(r + RING_ENQ) & RING_POS_MASK;
  const n = dist(e, d);
  const cap = capacityOf(r);
  return n < 0 ? 0 : n > cap ? cap : n;
}

/** Slots in the ring. */
export function ring_capacity(r: usize): i32 {
  return capacityOf(r);
}
