// channel-fast.ts — the channel facade's fast ways (src/channel/channel.ts): a single-fragment
// message in two calls (ch_send_begin/ch_send_end, ch_recv_begin/ch_recv_end), and batch frames,
// several messages in one frame (ch_send_batch_try, then ch_msg_addr/ch_msg_done per message).
// The protocol, the layout of the words and the channel's invariants are channel.ts's header:
// these calls take a lock by try-lock only (one left owner-died is unlocked for the slow path to
// recover), and under it run channel.ts's steps (ch_send_ready, ch_reserve, ch_publish, ch_claim,
// ch_fragment, ch_release).
//
// Words written here beyond those steps: a batch frame's cursor (CH_BATCH_NEXT, CH_BATCH_NEXT_OFF
// in its payload), by the recv lock's holder only; the offset is stored before the index, which
// a recoverer trusts (channel-recover.ts, batchResync recomputes the offset from it); and the
// consumption mark (markConsumption, channel-shared.ts) before a record is consumed.
import { load32, store32 } from "./atom";
import {
  OK, WOULD_BLOCK, BAD_ARGUMENT, CORRUPT, CH_SEND_LOCK, CH_RECV_LOCK, CH_STATE, CH_CAPACITY,
  CH_COUNT, CH_FRAG_HEADER, CH_FRAG_KIND, CH_FRAG_TOTAL, CH_FIRST, CH_BATCH, CH_BATCH_HEADER,
  CH_BATCH_COUNT, CH_BATCH_NEXT, CH_BATCH_NEXT_OFF, CH_BATCH_RECORD, CH_FRAG_LEN, CLAIMED,
  OWNER_DEAD, CH_RECV_OPEN,
} from "./layout";
import { mutex_try_lock, mutex_unlock } from "./mutex";
import { br_frame_addr } from "./bytering";
import { ch_send_ready, ch_reserve, ch_publish, ch_claim, ch_fragment, ch_release } from "./channel";
import { ring, stateStatus, markConsumption } from "./channel-shared";

// ---- fast paths: a single-fragment message in two calls -------------------------------------
//
// The facade's common case: one call takes the lock (try only), checks, and reserves or claims;
// the facade copies the bytes; a second call publishes or releases and unlocks. Anything else
// (lock busy, full, empty, a message in several fragments, capacity 0) goes the general way.

/**
 * Send fast path for a message of `len` bytes that fits one fragment, on a channel of
 * capacity > 0: try-locks the send lock for `agent`, checks for a slot, reserves the first and
 * only fragment. Returns its payload address (>= 0; the lock is held: copy, then ch_send_end),
 * or -WOULD_BLOCK (lock busy, full, or no ring space: nothing changed), -CLOSED, -PEER_GONE.
 */
export function ch_send_begin(c: usize, agent: i32, len: i32): i32 {
  const l = mutex_try_lock(c + CH_SEND_LOCK, agent);
  if (l == OWNER_DEAD) mutex_unlock(c + CH_SEND_LOCK, agent); // left owner-died: the slow path recovers it
  if (l != OK) return -WOULD_BLOCK;
  const a = ch_send_try(c, len);
  if (a < 0) mutex_unlock(c + CH_SEND_LOCK, agent);
  return a;
}

/** With the send lock held: checks for a slot and reserves a single-fragment message of `len`
 *  bytes in one call. Its payload address (then ch_publish(c, 1)), or -WOULD_BLOCK (full or
 *  no ring space: nothing changed), -CLOSED, -PEER_GONE. */
export function ch_send_try(c: usize, len: i32): i32 {
  const s = ch_send_ready(c);
  if (s != OK) return -s;
  return ch_reserve(c, CH_FIRST, len, len);
}

/** Publishes the fragment ch_send_begin reserved and unlocks: OK or CLOSED. */
export function ch_send_end(c: usize, agent: i32): i32 {
  const p = ch_publish(c, 1);
  mutex_unlock(c + CH_SEND_LOCK, agent);
  return p < 0 ? -p : OK;
}

/**
 * Receive fast path: try-locks the recv lock for `agent` and claims a message. Returns the
 * payload address (>= 0) of a single-fragment message (length at address - CH_FRAG_HEADER +
 * CH_FRAG_TOTAL; the lock is held: copy, then ch_recv_end); -CLAIMED when a message was claimed
 * but is in several fragments or not readable yet (the lock is held: read it the general way,
 * then unlock); or, with the lock released, -WOULD_BLOCK (lock busy or nothing to claim),
 * -CLOSED, -PEER_GONE.
 */
export function ch_recv_begin(c: usize, agent: i32): i32 {
  const l = mutex_try_lock(c + CH_RECV_LOCK, agent);
  if (l == OWNER_DEAD) mutex_unlock(c + CH_RECV_LOCK, agent); // left owner-died: the slow path recovers it
  if (l != OK) return -WOULD_BLOCK;
  const s = ch_claim(c);
  if (s != OK) {
    mutex_unlock(c + CH_RECV_LOCK, agent);
    return -s;
  }
  const len = ch_fragment(c, 0);
  if (len < 0) return -CLAIMED;
  const a = <usize>br_frame_addr(ring(c));
  if (load<i32>(a + CH_FRAG_TOTAL) != len) return -CLAIMED;
  const m = ch_msg_addr(c);
  return m < 0 ? -CLAIMED : m; // a corrupt batch: the general read reports it
}

/** Consumes the message ch_recv_begin returned (ch_msg_done) and unlocks. OK. */
export function ch_recv_end(c: usize, agent: i32): i32 {
  ch_msg_done(c);
  mutex_unlock(c + CH_RECV_LOCK, agent);
  return OK;
}

// ---- batch frames ---------------------------------------------------------------------------
//
// A batch frame carries several messages in one single-fragment FIRST frame (kind CH_FIRST |
// CH_BATCH, layout in layout.ts): the sender publishes it with ch_publish(c, count), so COUNT
// and SENT grow by its count, and capacity counts each message. Receivers claim its messages
// one by one as any others (the k-th claim is the k-th message in ring order, records included)
// and read them in place through a cursor in the frame's payload, which only the recv-lock
// holder writes; the frame is released after its last record. Batches are never withdrawn or
// cancelled (one fragment, capacity > 0: nothing to wait for once reserved).

/**
 * With the send lock held, on a channel of capacity > 0: checks that `n` more messages fit
 * (COUNT + n <= CAPACITY) and reserves a batch frame of `len` payload bytes. Its payload
 * address (fill it, then ch_publish(c, n)), or -WOULD_BLOCK (no room for n now, or no ring
 * space: nothing changed), -BAD_ARGUMENT (n < 1, n above the capacity, len too small),
 * -CLOSED, -PEER_GONE.
 */
export function ch_send_batch_try(c: usize, n: i32, len: i32): i32 {
  const cap = load<i32>(c + CH_CAPACITY);
  if (n < 1 || n > cap || len < CH_BATCH_HEADER + n * CH_BATCH_RECORD) return -BAD_ARGUMENT;
  const st = load32(c + CH_STATE);
  if (st != 0) return -stateStatus(st);
  if (load32(c + CH_COUNT) > cap - n) return -WOULD_BLOCK;
  return ch_reserve(c, CH_FIRST | CH_BATCH, len, len);
}

/**
 * The next message of the claimed message's first fragment (recv lock held, ch_fragment said
 * it is a live FIRST of one fragment): its bytes' address, the length in the i32 just before
 * them (a plain message: the fragment's CH_FRAG_LEN; a batch: the record's length word). A
 * batch frame whose cursor or record is out of its payload gives -CORRUPT.
 */
export function ch_msg_addr(c: usize): i32 {
  const a = <usize>br_frame_addr(ring(c));
  const payload = a + CH_FRAG_HEADER;
  if (!(load32(a + CH_FRAG_KIND) & CH_BATCH)) return <i32>payload;
  const len = load<i32>(a + CH_FRAG_LEN);
  const count = load<i32>(payload + CH_BATCH_COUNT);
  const next = load<i32>(payload + CH_BATCH_NEXT);
  const off = load<i32>(payload + CH_BATCH_NEXT_OFF);
  const room = len - CH_BATCH_HEADER;
  if (count < 1 || next < 0 || next >= count || off < 0 || (off & 3) != 0 || off > room - CH_BATCH_RECORD) return -CORRUPT;
  const record = payload + CH_BATCH_HEADER + <usize>off;
  const n = load<i32>(record);
  if (n < 0 || n > room - off - CH_BATCH_RECORD) return -CORRUPT;
  return <i32>(record + CH_BATCH_RECORD);
}

/** Consumes the message ch_msg_addr gave (recv lock held): a plain message's fragment is
 *  released; a batch frame's cursor moves to its next record, and the frame is released after
 *  its last. OK. */
export function ch_msg_done(c: usize): i32 {
  const b = ring(c);
  const a = <usize>br_frame_addr(b);
  if (load32(a + CH_FRAG_KIND) & CH_BATCH) {
    const payload = a + CH_FRAG_HEADER;
    const next = load<i32>(payload + CH_BATCH_NEXT) + 1;
    if (next < load<i32>(payload + CH_BATCH_COUNT)) {
      const off = load<i32>(payload + CH_BATCH_NEXT_OFF);
      const n = load<i32>(payload + CH_BATCH_HEADER + <usize>off);
      markConsumption(c, next - 1);
      // the offset first: a recoverer trusts CH_BATCH_NEXT and recomputes the offset from it
      store<i32>(payload + CH_BATCH_NEXT_OFF, off + CH_BATCH_RECORD + ((n + 3) & ~3));
      store32(payload + CH_BATCH_NEXT, next); // atomic: the mark's stores are ordered before it
      store<i32>(c + CH_RECV_OPEN, 0); // that message is read: nothing to re-deliver or drop
      return OK;
    }
  }
  ch_release(c); // a plain message, or a batch's last record: marked there
  return OK;
}
