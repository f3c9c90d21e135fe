// spsc.ts — SPSC ring of fixed-size elements (int8 .. float64), moved one at a time or in batches.
//
// Sources: Erik Rigtorp's SPSCQueue (head and tail on their own cache lines, each side caching
// the other's index and re-reading it only when the cache says full / empty) and Paul Adenot's
// ringbuf.js (free-running indices over a power-of-two buffer of typed elements, a whole batch
// published with one store of the index). Ours: the closed mark in bit 31 of the tail (as in
// bytering.ts), the element type recorded in the header, claim / commit so that the runtime
// copies a batch straight between a caller's typed array and the ring, and the waiting steps.
//
// Roles: ONE producer (claim/commit, push) and ONE consumer (claim/release, pop) at a time.
// Nothing detects a second one (detection costs a read-modify-write per call on the path this
// ring exists to make cheap): two producers (consumers) at once lose or repeat elements. Either
// side, or a third agent, may close and read the sizes. A role may pass to another thread
// after a happens-before edge (a message, a lock) from its last call. `spsc_init` runs once,
// before the ring's address is published (handle).
//
//   offset                  word            written by                   meaning
//   +0   SPSC_TAIL          pos|CLOSED      producer (cas), close (or)   elements published
//   +4   SPSC_HEAD_CACHE    pos             producer only (plain)        last SPSC_HEAD it read
//   +64  SPSC_HEAD          pos             consumer (store)             elements consumed
//   +68  SPSC_TAIL_CACHE    pos             consumer only (plain)        last SPSC_TAIL pos it read
//   +72  SPSC_POP_STATUS    status          consumer only (plain)        result of the last spsc_try_pop
//   +128 SPSC_CAPACITY      elements        init only                    power of two, >= 2
//   +132 SPSC_TYPE          SPSC_INT8..     init only                    element type
//   +136 SPSC_DATA_WAITING  flag            consumer raises, waker clears   a consumer may park
//   +140 SPSC_SPACE_WAITING flag            producer raises, waker clears   a producer may park
//   +144 SPSC_DATA_SEQ      park word       commit/push/close if DATA_WAITING    bumped
//   +148 SPSC_SPACE_SEQ     park word       release/pop/close if SPACE_WAITING   bumped
//   +192 SPSC_DATA          capacity elements; position p lives at (p & (capacity - 1))
//
// Positions are 31-bit free-running element counters (SPSC_POS_MASK). The producer's line
// (+0) and the consumer's line (+64) are each written by one side only; the line at +128 is
// read by both and written only when a waiter raises its flag or a waker clears it.
//
// Batches: the producer claims k free elements (spsc_write_claim: k from the cached head, the
// real head read only when the cache is short), fills positions TAIL .. TAIL+k-1 (the runtime
// copies with TypedArray.set, or spsc_push_many with memory.copy), then publishes all k with
// one CAS of the tail (spsc_write_commit; CAS rather than a store only so that a concurrent
// close is never overwritten). The consumer mirrors it: spsc_read_claim, copy out, one store
// of the head (spsc_read_release). A claim starts at the side's own index: the runtime reads
// TAIL.pos (HEAD) to know where to copy, a word only its side's calls move. A single element
// is one call each way (spsc_try_push, spsc_try_pop: the same claim, copy and publish inside
// the core).
//
// Invariants:
//   - 0 <= TAIL.pos - HEAD <= capacity (31-bit difference) at every instant;
//   - elements at positions [HEAD, TAIL.pos) are published: the producer wrote them before its
//     CAS of the tail, and writes none of them again until the consumer's store of the head
//     moves past them; the consumer reads only below the TAIL.pos it loaded;
//   - once SPSC_CLOSED_BIT is set it stays set and TAIL.pos never changes again: claims and
//     commits return CLOSED (claimed, uncommitted elements are dropped); the consumer drains
//     every element committed before close, then gets CLOSED (one atomic load gives "empty
//     and closed");
//   - the cache words are hints: a stale cache only makes its owner re-read the other index
//     (the other index only moves towards more room / more data).
//
// Waking: the flag form of wake.ts (the proof is there; every atomic is SC). A waiter raises
// *_WAITING, re-checks, and parks on *_SEQ with the value it read before the step; the other
// side publishes its index, then, only if the flag is raised, clears it, bumps the park word
// and notifies. Clearing as it wakes is what makes a stream of one-element calls cheap: with
// a waiter count, every push between a consumer's registration and its return from the park
// (a wake-up takes tens of microseconds on a busy machine) would bump and notify again.
// Giving up (cancel) leaves the flag raised: one spare wake-up later. Waits are in the step
// convention of layout.ts (a step's registration is the raise; nothing to deregister), run by the
// runtime's step machines (src/queue/spsc.ts): the producer waits for `want` free elements
// with spsc_space_step / spsc_space_cancel (park word SPSC_SPACE_SEQ), the consumer for `want`
// elements (or close) with spsc_data_step / spsc_data_cancel (park word SPSC_DATA_SEQ).
// Results are counts (> 0) or -status. Before a blocking wait registers, spsc_space_spin /
// spsc_data_spin re-check for slotSpinLimit() loads of the other side's index.
//
// Values of single elements cross as f64: every int8 .. uint32 and float32 value is exact in
// an f64. The caller passes only values the type holds (src/queue/spsc.ts checks them). A pop
// returns the value, or NaN with the status in SPSC_POP_STATUS (spsc_pop_status): a float ring
// may hold NaN itself, so NaN alone is not a status.
import { load32, store32, or32, cas32 } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, CLOSED, BAD_ARGUMENT,
  SPSC_TAIL, SPSC_HEAD_CACHE, SPSC_HEAD, SPSC_TAIL_CACHE, SPSC_POP_STATUS, SPSC_CAPACITY,
  SPSC_TYPE, SPSC_DATA_WAITING, SPSC_SPACE_WAITING, SPSC_DATA_SEQ, SPSC_SPACE_SEQ, SPSC_DATA,
  SPSC_CLOSED_BIT, SPSC_POS_MASK, SPSC_MIN_CAPACITY, SPSC_MAX_CAPACITY,
  SPSC_INT8, SPSC_UINT8, SPSC_INT16, SPSC_UINT16, SPSC_INT32, SPSC_UINT32, SPSC_FLOAT32, SPSC_FLOAT64,
} from "./layout";
import { slotSpinLimit } from "./time";
import { raiseFlag, wakeFlagged } from "./wake";

const NOTIFY_ALL: i32 = -1;

/** Elements from `from` to `to` (31-bit positions, to at or after from). */
// @ts-ignore: decorator
@inline function span(to: i32, from: i32): i32 { return (to - from) & SPSC_POS_MASK; }
// @ts-ignore: decorator
@inline function advance(pos: i32, n: i32): i32 { return (pos + n) & SPSC_POS_MASK; }
// capacity and type are written once by init, before the ring's address is published: plain reads.
// @ts-ignore: decorator
@inline function capacityOf(r: usize): i32 { return load<i32>(r + SPSC_CAPACITY); }
// @ts-ignore: decorator
@inline function typeOf(r: usize): i32 { return load<i32>(r + SPSC_TYPE); }

/** log2 of the element size of `type`, or -1 for an unknown type. */
function shiftOf(type: i32): i32 {
  switch (type) {
    case SPSC_INT8: case SPSC_UINT8: return 0;
    case SPSC_INT16: case SPSC_UINT16: return 1;
    case SPSC_INT32: case SPSC_UINT32: case SPSC_FLOAT32: return 2;
    case SPSC_FLOAT64: return 3;
    default: return -1;
  }
}

/** Address of the element of position `pos`. */
// @ts-ignore: decorator
@inline function slotAt(r: usize, pos: i32, cap: i32, shift: i32): usize {
  return r + SPSC_DATA + (<usize>(pos & (cap - 1)) << <usize>shift);
}

function validCapacity(capacity: i32): bool {
  return capacity >= SPSC_MIN_CAPACITY && capacity <= SPSC_MAX_CAPACITY && (capacity & (capacity - 1)) == 0;
}

/** Bytes a ring of `capacity` elements of `type` needs, or 0 if either is not valid. */
export function spsc_size_of(capacity: i32, type: i32): i32 {
  const shift = shiftOf(type);
  return validCapacity(capacity) && shift >= 0 ? SPSC_DATA + (capacity << shift) : 0;
}

/** Initialises the ring at `r` (spsc_size_of(capacity, type) bytes). OK or BAD_ARGUMENT. */
export function spsc_init(r: usize, capacity: i32, type: i32): i32 {
  if (spsc_size_of(capacity, type) == 0) return BAD_ARGUMENT;
  store<i32>(r + SPSC_CAPACITY, capacity);
  store<i32>(r + SPSC_TYPE, type);
  store<i32>(r + SPSC_HEAD_CACHE, 0);
  store<i32>(r + SPSC_TAIL_CACHE, 0);
  store<i32>(r + SPSC_POP_STATUS, OK);
  store32(r + SPSC_DATA_WAITING, 0);
  store32(r + SPSC_SPACE_WAITING, 0);
  store32(r + SPSC_DATA_SEQ, 0);
  store32(r + SPSC_SPACE_SEQ, 0);
  store32(r + SPSC_HEAD, 0);
  store32(r + SPSC_TAIL, 0);
  return OK;
}

// ---- wake-ups ---------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function wakeConsumer(r: usize): void {
  wakeFlagged(r + SPSC_DATA_WAITING, r + SPSC_DATA_SEQ, NOTIFY_ALL);
}

// @ts-ignore: decorator
@inline function wakeProducer(r: usize): void {
  wakeFlagged(r + SPSC_SPACE_WAITING, r + SPSC_SPACE_SEQ, NOTIFY_ALL);
}

// ---- producer ---------------------------------------------------------------------------------

/** Free elements after producer position `tail`, at least `want` if the cache allows, else
 *  after re-reading the head (which then refreshes the cache). */
// @ts-ignore: decorator
@inline function freeAfter(r: usize, tail: i32, want: i32, cap: i32): i32 {
  let free = cap - span(tail, load<i32>(r + SPSC_HEAD_CACHE));
  if (free >= want) return free;
  const head = load32(r + SPSC_HEAD);
  store<i32>(r + SPSC_HEAD_CACHE, head);
  free = cap - span(tail, head);
  return free;
}

/**
 * Claims up to `n` free elements at the tail (producer only): the count k (>= 1) to fill at
 * positions TAIL.pos .. TAIL.pos + k - 1, then spsc_write_commit(k); -WOULD_BLOCK (full),
 * -CLOSED; 0 when n <= 0. Claiming changes no shared word (the cache aside).
 */
export function spsc_write_claim(r: usize, n: i32): i32 {
  if (n <= 0) return 0;
  const w = load32(r + SPSC_TAIL);
  if (w & SPSC_CLOSED_BIT) return -CLOSED;
  const cap = capacityOf(r);
  const want = n < cap ? n : cap;
  const free = freeAfter(r, w, want, cap);
  if (free == 0) return -WOULD_BLOCK;
  return free < n ? free : n;
}

/** Publishes `k` claimed, filled elements (producer only): OK, or CLOSED (they are dropped). */
export function spsc_write_commit(r: usize, k: i32): i32 {
  const w = load32(r + SPSC_TAIL);
  if (w & SPSC_CLOSED_BIT) return CLOSED;
  if (k <= 0) return OK;
  // publish: the k elements written since the claim (only close races this cas)
  if (cas32(r + SPSC_TAIL, w, advance(w, k)) != w) return CLOSED;
  wakeConsumer(r);
  return OK;
}

/**
 * Non-blocking batch push of up to `n` elements from `src` (in memory, element-aligned): one
 * claim, one or two memory.copy (the ring's end), one publish. The count pushed (>= 1),
 * -WOULD_BLOCK (full), -CLOSED; 0 when n <= 0.
 */
export function spsc_push_many(r: usize, src: usize, n: i32): i32 {
  const k = spsc_write_claim(r, n);
  if (k <= 0) return k;
  const cap = capacityOf(r);
  const shift = shiftOf(typeOf(r));
  const w = load32(r + SPSC_TAIL) & SPSC_POS_MASK;
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_SPSC_PUBLISH_BEFORE_COPY)) {
    // Seeded bug, model bug build only (test/model/spsc.test.ts must find it): the batch is
    // published before its elements are copied in.
    const s = spsc_write_commit(r, k);
    copyIn(r, w, src, k, cap, shift);
    return s == OK ? k : -s;
  }
  copyIn(r, w, src, k, cap, shift);
  const s = spsc_write_commit(r, k);
  return s == OK ? k : -s;
}

/** Copies k elements from `src` into positions w .. w + k - 1 (in at most two runs). */
function copyIn(r: usize, w: i32, src: usize, k: i32, cap: i32, shift: i32): void {
  const first = w & (cap - 1);
  const run = k < cap - first ? k : cap - first;
  memory.copy(slotAt(r, w, cap, shift), src, <usize>run << <usize>shift);
  if (run < k) memory.copy(r + SPSC_DATA, src + (<usize>run << <usize>shift), <usize>(k - run) << <usize>shift);
}

/** Non-blocking push of one element: OK, WOULD_BLOCK (full) or CLOSED. */
export function spsc_try_push(r: usize, value: f64): i32 {
  const w = load32(r + SPSC_TAIL);
  if (w & SPSC_CLOSED_BIT) return CLOSED;
  const cap = capacityOf(r);
  if (freeAfter(r, w, 1, cap) == 0) return WOULD_BLOCK;
  const type = typeOf(r);
  storeValue(slotAt(r, w, cap, shiftOf(type)), type, value);
  // publish: the element (only close races this cas)
  if (cas32(r + SPSC_TAIL, w, advance(w, 1)) != w) return CLOSED;
  wakeConsumer(r);
  return OK;
}

// @ts-ignore: decorator
@inline function storeValue(at: usize, type: i32, v: f64): void {
  switch (type) {
    case SPSC_INT8: case SPSC_UINT8: store<u8>(at, <u8><i32>v); break;
    case SPSC_INT16: case SPSC_UINT16: store<u16>(at, <u16><i32>v); break;
    case SPSC_INT32: store<i32>(at, <i32>v); break;
    case SPSC_UINT32: store<u32>(at, <u32>v); break;
    case SPSC_FLOAT32: store<f32>(at, <f32>v); break;
    default: store<f64>(at, v);
  }
}

/** Free elements (>= min(want, capacity)) or -WOULD_BLOCK / -CLOSED, without claiming. */
function spaceFor(r: usize, want: i32): i32 {
  const w = load32(r + SPSC_TAIL);
  if (w & SPSC_CLOSED_BIT) return -CLOSED;
  const cap = capacityOf(r);
  const need = want < 1 ? 1 : want < cap ? want : cap;
  const free = freeAfter(r, w, need, cap);
  return free >= need ? free : -WOULD_BLOCK;
}

/**
 * One step of a producer waiting for `want` free elements (clamped to 1 .. capacity; the
 * step convention of layout.ts, park word SPSC_SPACE_SEQ; `parked` is the convention's and
 * unused: the flag needs no deregistration). The free count or -CLOSED: done,
 * not registered. -WOULD_BLOCK: SPSC_SPACE_WAITING raised; park.
 */
export function spsc_space_step(r: usize, want: i32, parked: i32): i32 {
  const s = spaceFor(r, want);
  if (s != -WOULD_BLOCK) return s;
  raiseFlag(r + SPSC_SPACE_WAITING);
  return spaceFor(r, want); // re-check after raising: see "Waking" above
}

/** A waiting producer gives up: -TIMED_OUT (the flag stays raised: one spare wake-up). */
export function spsc_space_cancel(r: usize): i32 {
  return -TIMED_OUT;
}

/** The fast path of a blocking wait for space: re-checks slotSpinLimit() times, never
 *  registers. As spaceFor: the free count, -WOULD_BLOCK (run the step machine) or -CLOSED. */
export function spsc_space_spin(r: usize, want: i32): i32 {
  let s = -WOULD_BLOCK;
  for (let i = 0; i < slotSpinLimit() && s == -WOULD_BLOCK; i++) s = spaceFor(r, want);
  return s;
}

// ---- consumer ---------------------------------------------------------------------------------

/** Published elements from consumer position `head`, at least `want` if the cache allows, else
 *  after re-reading the tail; -CLOSED when there are none and the ring is closed. */
// @ts-ignore: decorator
@inline function availableFrom(r: usize, head: i32, want: i32): i32 {
  let n = span(load<i32>(r + SPSC_TAIL_CACHE), head);
  if (n >= want) return n;
  const word = load32(r + SPSC_TAIL);
  const w = word & SPSC_POS_MASK;
  store<i32>(r + SPSC_TAIL_CACHE, w);
  n = span(w, head);
  if (n == 0 && (word & SPSC_CLOSED_BIT)) return -CLOSED;
  return n;
}

/**
 * Claims up to `n` published elements at the head (consumer only): the count k (>= 1) to read
 * at positions HEAD .. HEAD + k - 1, then spsc_read_release(k); -WOULD_BLOCK (empty), -CLOSED
 * (empty and closed); 0 when n <= 0.
 */
export function spsc_read_claim(r: usize, n: i32): i32 {
  if (n <= 0) return 0;
  const head = load32(r + SPSC_HEAD);
  const cap = capacityOf(r);
  const a = availableFrom(r, head, n < cap ? n : cap);
  if (a == 0) return -WOULD_BLOCK;
  if (a < 0) return a;
  return a < n ? a : n;
}

/** Frees `k` claimed, read elements for the producer (consumer only). OK. */
export function spsc_read_release(r: usize, k: i32): i32 {
  if (k <= 0) return OK;
  const head = load32(r + SPSC_HEAD);
  // publish: the k elements are read (their loads come before this store)
  store32(r + SPSC_HEAD, advance(head, k));
  // Seeded bug, model bug build only (test/model/spsc.test.ts must find it): a release that
  // frees space without waking a parked producer.
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_SPSC_RELEASE_NO_WAKE)) return OK;
  wakeProducer(r);
  return OK;
}

/**
 * Non-blocking batch pop of up to `n` elements into `dst` (in memory, element-aligned). The
 * count popped (>= 1), -WOULD_BLOCK (empty), -CLOSED (empty and closed); 0 when n <= 0.
 */
export function spsc_pop_many(r: usize, dst: usize, n: i32): i32 {
  const k = spsc_read_claim(r, n);
  if (k <= 0) return k;
  const cap = capacityOf(r);
  const shift = shiftOf(typeOf(r));
  const head = load32(r + SPSC_HEAD);
  const first = head & (cap - 1);
  const run = k < cap - first ? k : cap - first;
  memory.copy(dst, slotAt(r, head, cap, shift), <usize>run << <usize>shift);
  if (run < k) memory.copy(dst + (<usize>run << <usize>shift), r + SPSC_DATA, <usize>(k - run) << <usize>shift);
  spsc_read_release(r, k);
  return k;
}

/** Non-blocking pop of one element: its value; or NaN with spsc_pop_status WOULD_BLOCK (empty)
 *  or CLOSED (empty and closed). A value NaN (float rings) leaves the status OK. */
export function spsc_try_pop(r: usize): f64 {
  const head = load32(r + SPSC_HEAD);
  const a = availableFrom(r, head, 1);
  if (a <= 0) {
    store<i32>(r + SPSC_POP_STATUS, a == 0 ? WOULD_BLOCK : CLOSED);
    return NaN;
  }
  const type = typeOf(r);
  const v = loadValue(slotAt(r, head, capacityOf(r), shiftOf(type)), type);
  // publish: the element is read
  store32(r + SPSC_HEAD, advance(head, 1));
  wakeProducer(r);
  store<i32>(r + SPSC_POP_STATUS, OK);
  return v;
}

/** The status of the last spsc_try_pop that returned NaN: OK (the value was NaN), WOULD_BLOCK, CLOSED. */
export function spsc_pop_status(r: usize): i32 {
  return load<i32>(r + SPSC_POP_STATUS);
}

// @ts-ignore: decorator
@inline function loadValue(at: usize, type: i32): f64 {
  switch (type) {
    case SPSC_INT8: return <f64>load<i8>(at);
    case SPSC_UINT8: return <f64>load<u8>(at);
    case SPSC_INT16: return <f64>load<i16>(at);
    case SPSC_UINT16: return <f64>load<u16>(at);
    case SPSC_INT32: return <f64>load<i32>(at);
    case SPSC_UINT32: return <f64>load<u32>(at);
    case SPSC_FLOAT32: return <f64>load<f32>(at);
    default: return load<f64>(at);
  }
}

/** Published elements (>= min(want, capacity)), -WOULD_BLOCK or -CLOSED (empty and closed). */
function dataFor(r: usize, want: i32): i32 {
  const cap = capacityOf(r);
  const need = want < 1 ? 1 : want < cap ? want : cap;
  const a = availableFrom(r, load32(r + SPSC_HEAD), need);
  if (a >= need) return a;
  if (a > 0 && (load32(r + SPSC_TAIL) & SPSC_CLOSED_BIT)) return a; // no more will come
  return a < 0 ? a : -WOULD_BLOCK;
}

/**
 * One step of a consumer waiting for `want` elements (clamped to 1 .. capacity; fewer once
 * the ring is closed; park word SPSC_DATA_SEQ). The count available or -CLOSED (empty and
 * closed): done. -WOULD_BLOCK: SPSC_DATA_WAITING raised; park.
 */
export function spsc_data_step(r: usize, want: i32, parked: i32): i32 {
  const s = dataFor(r, want);
  if (s != -WOULD_BLOCK) return s;
  raiseFlag(r + SPSC_DATA_WAITING);
  return dataFor(r, want); // re-check after raising
}

/** A waiting consumer gives up: -TIMED_OUT (the flag stays raised: one spare wake-up). */
export function spsc_data_cancel(r: usize): i32 {
  return -TIMED_OUT;
}

/** The fast path of a blocking wait for data: as spsc_space_spin, for dataFor. */
export function spsc_data_spin(r: usize, want: i32): i32 {
  let s = -WOULD_BLOCK;
  for (let i = 0; i < slotSpinLimit() && s == -WOULD_BLOCK; i++) s = dataFor(r, want);
  return s;
}

// ---- close and observers --------------------------------------------------------------------------

/** Closes the ring (idempotent) and wakes both sides. OK. */
export function spsc_close(r: usize): i32 {
  or32(r + SPSC_TAIL, SPSC_CLOSED_BIT);
  wakeProducer(r);
  wakeConsumer(r);
  return OK;
}

/** 1 if closed, else 0. */
export function spsc_closed(r: usize): i32 {
  return (load32(r + SPSC_TAIL) & SPSC_CLOSED_BIT) != 0 ? 1 : 0;
}

/** Elements published and not yet consumed (a racy snapshot, clamped to 0 .. capacity). */
export function spsc_len(r: usize): i32 {
  const head = load32(r + SPSC_HEAD);
  const w = load32(r + SPSC_TAIL) & SPSC_POS_MASK;
  const n = span(w, head);
  const cap = capacityOf(r);
  return n > cap ? cap : n;
}

/** Elements the ring holds when full. */
export function spsc_capacity(r: usize): i32 {
  return capacityOf(r);
}

/** The element type (SPSC_INT8 .. SPSC_FLOAT64). */
export function spsc_type(r: usize): i32 {
  return typeOf(r);
}

