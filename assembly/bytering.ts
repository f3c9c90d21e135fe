// bytering.ts — SPSC byte ring of variable-length, length-prefixed frames.
//
// Sources: Erik Rigtorp's SPSCQueue (each side caches the other's index, indices on their
// own cache lines) and Paul Adenot's ringbuf.js (free-running indices over a power-of-two
// buffer); frames, batched publish and wrap markers are ours.
//
// Roles: ONE producer (reserve/commit/write) and ONE consumer (peek/read/release) at a time;
// either side, or a third agent, may close and read the sizes. `br_init` runs once, before the
// ring's address is published (handle).
//
//   offset                 word             written by                   meaning
//   +0   BR_WRITE          index|CLOSED     producer (cas), close (or)   published end of frames
//   +4   BR_READ_CACHE     index            producer only (plain)        last BR_READ it saw
//   +8   BR_RESERVE        index            producer only (plain)        end of reserved frames
//   +64  BR_READ           index            consumer (store)             start of unread frames
//   +68  BR_WRITE_CACHE    index            consumer only (plain)        last BR_WRITE pos it saw
//   +128 BR_CAPACITY       bytes            init only                    power of two, >= 16
//   +132 BR_DATA_WAITERS                    consumer about to park; waker flag (raised / cleared)
//   +136 BR_SPACE_WAITERS                   producer about to park; waker flag (raised / cleared)
//   +140 BR_DATA_SEQ       park word        commit/close if DATA_WAITERS raised  bumped
//   +144 BR_SPACE_SEQ      park word        release/close if SPACE_WAITERS raised bumped
//   +192 BR_DATA           capacity bytes of frames
//
// Frames: at a 4-aligned index i, a header word (i32 length L >= 0) then L payload bytes,
// padded to 4: the next frame starts at i + BR_FRAME_HEADER + pad4(L). Indices are 31-bit
// free-running byte counters (BR_POS_MASK); the byte of index i is BR_DATA + (i & (cap - 1)).
//
// Wrap handling: frames are ALWAYS contiguous, so every frame can be read in place (readView).
// A frame that does not fit before the end of the buffer is preceded by a wrap marker (header
// BR_WRAP) that fills the rest of the buffer; the frame starts at offset 0 of the next lap.
// The largest frame is capacity/2 - BR_FRAME_HEADER bytes (BAD_ARGUMENT above that), so that
// any frame fits in an empty ring wherever the indices stand: a frame of S <= capacity/2 bytes
// that does not fit before the end (S > capacity - offset) needs capacity - offset + S < 2S
// <= capacity bytes with its marker. (With larger frames, a frame could overlap its own
// marker in an empty ring and would have to wait for the consumer to skip the marker: a
// single thread could not write then read it, and letting the producer move READ over the
// marker races with a consumer that read READ before the move. Aeron limits its ring buffer
// messages to capacity/8 for the same family of reasons.)
//
// Batched publish: br_reserve hands out frames in producer-private space (BR_RESERVE moves,
// BR_WRITE does not); br_commit publishes all of them with one CAS on BR_WRITE. A waiting
// reserve (br_space_step) commits pending frames before it parks, so that the consumer can
// always make progress.
//
// Invariants:
//   - READ <= WRITE.pos <= RESERVE and RESERVE - READ <= capacity (31-bit arithmetic);
//   - bytes in [READ, WRITE.pos) hold complete, published frames and markers; the consumer
//     never reads past WRITE.pos; the producer never writes before READ + capacity;
//   - every frame is contiguous in the buffer; markers only fill up to the end of a lap;
//   - once BR_CLOSED_BIT is set it stays set and WRITE.pos never changes: reserve/commit/write
//     return CLOSED (reserved, uncommitted frames are dropped); the consumer drains every frame
//     committed before close, then gets CLOSED (one atomic load gives "empty and closed").
//   - the cache words are hints: a stale cache only makes its owner re-read the other index.
//
// Waking: the flag form of wake.ts, as in ring.ts (raise *_WAITERS, re-check, park on *_SEQ
// with the value read before raising; the other side publishes its index, then clears the
// flag, bumps and notifies only when it is raised: one wake-up per park, not one per frame).
// The proof of no lost wake-up is in wake.ts.
// Waiting is in the step convention of layout.ts, run by the runtime's step machines
// (src/queue/bytering.ts): the producer waits for space with br_space_step / br_space_cancel
// (park word BR_SPACE_SEQ), the consumer for a frame with br_data_step / br_data_cancel (park
// word BR_DATA_SEQ); results are addresses / lengths, or -status.
//
// The channel (channel.ts, src/channel/) reserves with br_reserve_step (br_space_step as a
// first call) and reads with its own ch_fragment_step over br_peek; in the flag form nothing is
// undone after a park.
import { load32, store32, add32, or32, cas32, notify } from "./atom";
import {
  OK, TIMED_OUT, WOULD_BLOCK, CLOSED, BAD_ARGUMENT, CORRUPT,
  BR_WRITE, BR_READ_CACHE, BR_RESERVE, BR_READ, BR_WRITE_CACHE, BR_CAPACITY, BR_DATA_WAITERS,
  BR_SPACE_WAITERS, BR_DATA_SEQ, BR_SPACE_SEQ, BR_DATA, BR_FRAME_HEADER, BR_FRAME_ALIGN, BR_WRAP,
  BR_CLOSED_BIT, BR_POS_MASK, BR_MIN_CAPACITY, BR_MAX_CAPACITY,
} from "./layout";
import { DEBUG } from "./debug";
import { raiseFlag, wakeFlagged } from "./wake";

const NOTIFY_ALL: i32 = -1;

// @ts-ignore: decorator
@inline function advance(pos: i32, n: i32): i32 { return (pos + n) & BR_POS_MASK; }
/** Bytes from `from` to `to` (31-bit indices, to >= from). */
// @ts-ignore: decorator
@inline function span(to: i32, from: i32): i32 { return (to - from) & BR_POS_MASK; }
/** Bytes a frame of `len` payload bytes takes, header included. */
// @ts-ignore: decorator
@inline function frameBytes(len: i32): i32 {
  return BR_FRAME_HEADER + ((len + BR_FRAME_ALIGN - 1) & ~(BR_FRAME_ALIGN - 1));
}
// @ts-ignore: decorator
@inline function capacityOf(b: usize): i32 { return load<i32>(b + BR_CAPACITY); }
// @ts-ignore: decorator
@inline function at(b: usize, index: i32, cap: i32): usize {
  return b + BR_DATA + <usize>(index & (cap - 1));
}

function validCapacity(capacity: i32): bool {
  return capacity >= BR_MIN_CAPACITY && capacity <= BR_MAX_CAPACITY && (capacity & (capacity - 1)) == 0;
}

/** Bytes a byte ring of `capacity` data bytes needs, or 0 if the capacity is not valid. */
export function br_size_of(capacity: i32): i32 {
  return validCapacity(capacity) ? BR_DATA + capacity : 0;
}

/** Initialises the byte ring at `b` (br_size_of(capacity) bytes). OK or BAD_ARGUMENT. */
export function br_init(b: usize, capacity: i32): i32 {
  if (!validCapacity(capacity)) return BAD_ARGUMENT;
  store<i32>(b + BR_CAPACITY, capacity);
  store<i32>(b + BR_READ_CACHE, 0);
  store<i32>(b + BR_RESERVE, 0);
  store<i32>(b + BR_WRITE_CACHE, 0);
  store32(b + BR_DATA_WAITERS, 0);
  store32(b + BR_SPACE_WAITERS, 0);
  store32(b + BR_DATA_SEQ, 0);
  store32(b + BR_SPACE_SEQ, 0);
  store32(b + BR_READ, 0);
  store32(b + BR_WRITE, 0);
  return OK;
}

// ---- wake-ups -------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function wakeConsumer(b: usize): void {
  wakeFlagged(b + BR_DATA_WAITERS, b + BR_DATA_SEQ, NOTIFY_ALL);
}

// @ts-ignore: decorator
@inline function wakeProducer(b: usize): void {
  wakeFlagged(b + BR_SPACE_WAITERS, b + BR_SPACE_SEQ, NOTIFY_ALL);
}

// ---- producer -----------------------------------------------------------------------------------

/** Whether `need` more bytes fit after producer index `end` (refreshes the READ cache). */
// @ts-ignore: decorator
@inline function fits(b: usize, end: i32, need: i32, cap: i32): bool {
  let r = load<i32>(b + BR_READ_CACHE);
  if (span(end, r) + need <= cap) return true;
  r = load32(b + BR_READ);
  store<i32>(b + BR_READ_CACHE, r);
  return span(end, r) + need <= cap;
}

/** Publishes the reserved frames: OK, or CLOSED (they are dropped). Producer only. */
export function br_commit(b: usize): i32 {
  const end = load<i32>(b + BR_RESERVE);
  const w = load32(b + BR_WRITE);
  if (w & BR_CLOSED_BIT) return CLOSED;
  if (w == end) return OK;
  // publish: headers and payloads of every reserved frame (only close races this cas)
  if (cas32(b + BR_WRITE, w, end) != w) return CLOSED;
  wakeConsumer(b);
  return OK;
}

/**
 * Reserves a frame of `len` bytes (producer only). Returns the address of its payload (> 0),
 * to be filled before br_commit, or a negated status: -WOULD_BLOCK (no space now; nothing
 * reserved), -CLOSED, -BAD_ARGUMENT (len < 0 or len > capacity/2 - BR_FRAME_HEADER).
 */
export function br_reserve(b: usize, len: i32): i32 {
  const cap = capacityOf(b);
  if (len < 0 || len > (cap >> 1) - BR_FRAME_HEADER) return -BAD_ARGUMENT;
  const w = load32(b + BR_WRITE);
  if (w & BR_CLOSED_BIT) return -CLOSED;
  const size = frameBytes(len);
  let end = load<i32>(b + BR_RESERVE);
  const off = end & (cap - 1);
  if (off + size <= cap) {
    if (!fits(b, end, size, cap)) return -WOULD_BLOCK;
  } else {
    const waste = cap - off; // a wrap marker fills the rest of this lap (waste < size)
    if (!fits(b, end, waste + size, cap)) return -WOULD_BLOCK;
    store<i32>(at(b, end, cap), BR_WRAP);
    end = advance(end, waste);
  }
  const header = at(b, end, cap);
  store<i32>(header, len);
  store<i32>(b + BR_RESERVE, advance(end, size));
  return <i32>(header + BR_FRAME_HEADER);
}

/**
 * One step of a waiting reserve (the step convention of layout.ts; park word BR_SPACE_SEQ).
 * An address (> 0) or -CLOSED / -BAD_ARGUMENT: done, not registered. -WOULD_BLOCK: pending
 * frames have been committed (the consumer needs them) and the caller is registered in
 * BR_SPACE_WAITERS.
 */
export function br_space_step(b: usize, len: i32, parked: i32): i32 {
  let a = br_reserve(b, len);
  if (a == -WOULD_BLOCK && !parked) {
    const s = br_commit(b); // never park with unpublished frames
    if (s != OK) return -s;
  }
  if (a == -WOULD_BLOCK) {
    raiseFlag(b + BR_SPACE_WAITERS);
    a = br_reserve(b, len); // re-check after registering
  }
  return a;
}

/** A registered producer gives up. -TIMED_OUT. (Its raised flag costs one spare wake-up.) */
export function br_space_cancel(b: usize): i32 {
  return -TIMED_OUT;
}

/** The channel's form: br_space_step as a first call (it raises the flag on -WOULD_BLOCK). */
export function br_reserve_step(b: usize, len: i32): i32 {
  return br_space_step(b, len, 0);
}

/** Non-blocking write of `len` bytes from `src` as one frame, published at once (with any
 *  pending reserved frames). OK, WOULD_BLOCK, CLOSED or BAD_ARGUMENT. */
export function br_try_write(b: usize, src: usize, len: i32): i32 {
  const a = br_reserve(b, len);
  if (a < 0) return -a;
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_BR_COMMIT_BEFORE_WRITE)) return commitThenCopy(b, a, src, len);
  memory.copy(<usize>a, src, <usize>len);
  return br_commit(b);
}

// Seeded bug, model bug build only (test/model/bytering.test.ts must find it): the write
// publishes BR_WRITE (commit) before it copies the payload into the frame.
function commitThenCopy(b: usize, a: i32, src: usize, len: i32): i32 {
  const s = br_commit(b);
  memory.copy(<usize>a, src, <usize>len);
  return s;
}

// ---- consumer -------------------------------------------------------------------------------------

/**
 * Length of the next frame (>= 0), skipping wrap markers, or -WOULD_BLOCK (empty), -CLOSED
 * (closed and drained), or -CORRUPT (a wrap marker past the published bytes). Consumer only. Does not consume the frame.
 */
export function br_peek(b: usize): i32 {
  const cap = capacityOf(b);
  let r = load32(b + BR_READ);
  while (true) {
    let w = load<i32>(b + BR_WRITE_CACHE);
    if (r == w) {
      const word = load32(b + BR_WRITE);
      w = word & BR_POS_MASK;
      store<i32>(b + BR_WRITE_CACHE, w);
      if (r == w) return (word & BR_CLOSED_BIT) ? -CLOSED : -WOULD_BLOCK;
    }
    // READ <= WRITE.pos, at most capacity bytes apart (the cache is a WRITE.pos once published)
    if (DEBUG) assert(span(w, r) <= cap, "bytering: WRITE.pos more than capacity bytes past READ");
    const len = load<i32>(at(b, r, cap));
    if (len != BR_WRAP) return len;
    // a marker is published with the frame after it, so published bytes go past its end; one
    // that does not (a corrupt header) would send READ round the ring forever
    const waste = cap - (r & (cap - 1));
    if (span(w, r) <= waste) return -CORRUPT;
    r = advance(r, waste);
    // publish: the marker's bytes are free again
    store32(b + BR_READ, r);
    wakeProducer(b);
  }
}

/** Payload address of the frame the last successful br_peek reported. Consumer only. */
export function br_frame_addr(b: usize): i32 {
  return <i32>(at(b, load32(b + BR_READ), capacityOf(b)) + BR_FRAME_HEADER);
}

/** Consumes the next frame (after a peek): OK, WOULD_BLOCK or CLOSED when there is none. */
export function br_release(b: usize): i32 {
  const len = br_peek(b);
  if (len < 0) return -len;
  // publish: the frame's bytes are free for the producer
  store32(b + BR_READ, advance(load32(b + BR_READ), frameBytes(len)));
  // Seeded bug, model bug build only (test/model/bytering.test.ts): release without waking
  // a producer parked for space.
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_BR_RELEASE_NO_WAKE)) return OK;
  wakeProducer(b);
  return OK;
}

/** Copies the next frame to `dst` (at most `max` bytes) and consumes it. The length (>= 0),
 *  or -WOULD_BLOCK, -CLOSED, or -BAD_ARGUMENT if the frame is longer than max (kept). */
export function br_read(b: usize, dst: usize, max: i32): i32 {
  const len = br_peek(b);
  if (len < 0) return len;
  if (len > max) return -BAD_ARGUMENT;
  memory.copy(dst, <usize>br_frame_addr(b), <usize>len);
  br_release(b);
  return len;
}

/**
 * One step of a waiting peek (the step convention of layout.ts; park word BR_DATA_SEQ). The
 * length of the next frame (>= 0) or -CLOSED: done, not registered. -WOULD_BLOCK: registered
 * in BR_DATA_WAITERS.
 */
export function br_data_step(b: usize, parked: i32): i32 {
  let len = br_peek(b);
  if (len == -WOULD_BLOCK) {
    raiseFlag(b + BR_DATA_WAITERS);
    len = br_peek(b); // re-check after registering
  }
  return len;
}

/** A registered consumer gives up. -TIMED_OUT. (Its raised flag costs one spare wake-up.) */
export function br_data_cancel(b: usize): i32 {
  return -TIMED_OUT;
}

// ---- close and observers ------------------------------------------------------------------------

/** Closes the ring (idempotent) and wakes both sides. OK. */
export function br_close(b: usize): i32 {
  or32(b + BR_WRITE, BR_CLOSED_BIT);
  wakeProducer(b);
  wakeConsumer(b);
  return OK;
}

export function br_closed(b: usize): i32 {
  return (load32(b + BR_WRITE) & BR_CLOSED_BIT) != 0 ? 1 : 0;
}

/** Published bytes not yet released (frames, headers, padding, markers; a racy snapshot). */
export function br_used(b: usize): i32 {
  const r = load32(b + BR_READ);
  const w = load32(b + BR_WRITE) & BR_POS_MASK;
  const n = span(w, r);
  const cap = capacityOf(b);
  return n > cap ? cap : n;
}

export function br_capacity(b: usize): i32 {
  return capacityOf(b);
}

/** The largest frame payload the ring accepts. */
export function br_max_frame(b: usize): i32 {
  return (capacityOf(b) >> 1) - BR_FRAME_HEADER;
}
