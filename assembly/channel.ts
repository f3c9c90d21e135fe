// channel.ts — a multi-producer multi-consumer channel of variable-size messages: the SPSC byte
// ring (bytering.ts) made MPMC by a send-side and a recv-side mutex, plus a message count for
// a capacity in MESSAGES (Go semantics: capacity = messages, len = messages buffered).
//
// Source: Go's runtime/chan.go (one lock serialises a channel; an unbuffered send completes
// when a receiver has taken the value); the ring is rigtorp/ringbuf.js style (bytering.ts).
//
// Roles: any agent may send (holding CH_SEND_LOCK for a whole message) and receive (holding
// CH_RECV_LOCK for a whole message). Under its lock each side is the ring's single producer /
// single consumer; the mutexes' release/acquire carry the ring's plain cache words between
// agents. Anyone may close.
//
//   offset  word              written by                          meaning
//   +0      CH_SEND_LOCK      senders (mutex.ts)                  serialises senders
//   +8      CH_SEND_PENDING   sender under the send lock (plain)  what it is committing (ch_publish)
//   +12     CH_SEND_SEQ       claims / close if SEND_WAITERS up   bumped (senders park here)
//   +16     CH_SEND_OPEN/LEFT sender under the send lock (plain)  its message partly published
//   +24     CH_SEND_TICKET    sender under the send lock (plain)  CH_SENT once it has counted
//   +64     CH_RECV_LOCK      receivers (mutex.ts)                serialises receivers
//   +72     CH_TAKEN          receiver under the recv lock        claims made
//   +76     CH_RECV_SEQ       starts / close if RECV_WAITERS up   bumped (receivers park here)
//   +80     CH_RECV_OPEN      receiver under the recv lock (plain) its claimed message's progress
//   +84     CH_RECV_MARK(_NEXT) receiver under the recv lock (plain) where it began consuming it
//   +128    CH_COUNT          sender (+1 at a message start,      messages begun, not claimed
//                             -1 on withdraw); receiver (-1 claim)
//   +132    CH_SENT           sender under the send lock          tickets handed out
//   (COUNT and SENT are the two halves of one i64 word: a message begins in one atomic add to
//    both, so a recoverer can tell from SENT alone whether a dead sender counted its message)
//   +192    CH_STATE          close / peer-gone (or)              CH_CLOSED | CH_PEER_GONE
//   +196    CH_CAPACITY       init                                messages; 0 = rendezvous
//   +200    CH_SEND_WAITERS   senders about to park               count
//   +204    CH_RECV_WAITERS   receivers about to park             count
//   +208    CH_CODEC_LOCK     codec table writers/readers (mutex)  guards CH_CODEC_TABLE
//   +216    CH_CODEC_TABLE    the codec (src/codec/structures.ts)        offset of its shared table block, 0 none
//   +256    CH_RING           the byte ring of fragments (bytering.ts layout)
//   (one cache line each for the send side, the recv side, COUNT, and the rarely written rest)
//
// Messages: a message of L bytes is one or more ring frames ("fragments"), each starting with
// a 12-byte header [kind i32][total i32][len i32] (len: this fragment's payload bytes, padded to
// 8 in the ring: with the ring's 4-byte frame header every channel frame is a multiple of 8
// bytes, so payloads stay 8-aligned). The first is CH_FIRST with total = L; the others are
// CH_CONT. The sender holds the send lock for all fragments and the receiver holds the recv
// lock while reading them, so fragments of two messages never interleave. A message larger
// than the ring streams through it: the receiver reads fragments while the sender writes more.
// A batch frame (CH_FIRST | CH_BATCH, one fragment) carries several messages as records; it
// counts as that many messages (COUNT, SENT, capacity) and receivers claim and read its records
// one by one (channel-fast.ts, "batch frames").
//
// Sending: lock; wait for a slot (COUNT < max(CAPACITY, 1)); write the first fragment, then
// SENT += 1 (the ticket) and COUNT += 1, then publish it (in this order, see ch_publish: a
// receiver may claim the message just before its first fragment lands, and waits for it);
// write the other fragments; with CAPACITY 0 wait until TAKEN reaches the ticket (a receiver
// claimed it); unlock.
// Receiving: lock; claim (COUNT -= 1 by cas, TAKEN += 1); read frames from the first live
// FIRST to the end of the message; unlock.
//
// A sender that gives up after its first fragment is published (timeout while waiting for
// ring space mid-message, or for a rendezvous receiver) calls ch_cancel, which either
//   - withdraws: COUNT > 0 means no receiver claimed this message (claims are FIFO and this
//     message is the last one begun), so COUNT -= 1, SENT -= 1 and the first fragment's kind
//     gets CH_WITHDRAWN: receivers skip it and every frame up to the next live FIRST; or
//   - (COUNT == 0: a receiver claimed it and is reading it) writes a CH_CANCEL frame; the
//     receiver drops the partial message and claims again. That frame needs 8 bytes of ring
//     space, which the claiming receiver is freeing, so the wait for it is short.
// A sender that withdrew a rendezvous message reports the timeout; one that finds the message
// already claimed reports success (it was delivered). A claim is only made once the message is
// counted, just before its first fragment is committed (a claim in between waits for it:
// ch_fragment says -WOULD_BLOCK; that wait does not give up). A receiver may give up after the
// first fragment (its deadline, or a sender that died mid-message): it releases the fragments
// published so far (ch_fragment(c, 0) passes frames before a live FIRST) and drops the message;
// the fragments its sender still writes are dead frames, trimmed as below.
//
// Batch frames and the single-fragment fast paths are in channel-fast.ts; what happens when a
// party dies with a channel lock (its takeover, the side rules, the death walk's part) is in
// channel-recover.ts ("A party that dies"); helpers these files share are in channel-shared.ts.
// Each exports only core functions (index.ts re-exports all three; channel-shared.ts is not).
//
// Waiting is the runtime's: every wait is a `*_step` export that re-checks briefly (spinLimit(),
// and a claim up to CH_SPIN_MS), then registers the caller and says WOULD_BLOCK (read the park
// word first, park while it holds that value, then step again), run by the step machines of
// src/channel/send.ts and recv.ts.
//
// Close: closes the ring, then sets CH_CLOSED (in this order, see ch_close): sends fail;
// receivers drain every complete message, drop a partial one, then get CLOSED. Peer gone
// additionally sets CH_PEER_GONE: every blocked or later operation gets PEER_GONE.
//
// Dead frames (of withdrawn messages, and of a message its receiver gave up on) keep their ring
// bytes until someone passes them: every claim attempt first trims dead frames at the front of
// the ring (trimDead), a withdraw wakes parked receivers to do so, and a sender short of ring
// space trims them itself when no receiver holds the recv lock, or wakes the parked receivers
// when one does (reserveTrimming; test/unit/channel.property.test.ts found an empty channel
// refusing every send behind them), so a sender waiting for ring space is never stuck behind
// them. A peer marked gone also wakes the agents parked for either lock (a dead thread may hold
// it): they check CH_STATE before they park again.
//
// Invariants:
//   - SENT - TAKEN == COUNT whenever no agent is between the two updates;
//   - COUNT <= max(CAPACITY, 1), plus one for each message a receiver that died with it claimed
//     was given back (ch_recover_recv) after its slot went to a sender, until they are drained;
//   - the ring holds, in order: frames of claimed messages being read, of withdrawn or
//     cancelled messages (skipped), then of the COUNT unclaimed messages;
//   - every state change a parked agent may wait for bumps its park word when waiters are
//     registered (the flag form of wake.ts: *_WAITERS raised by a waiter before its re-check,
//     cleared by the waker that bumps), and the region event word (RH_EVENT_SEQ) when event
//     waiters are registered.
import {
  load32, store32, add32, sub32, or32, load64, store64, add64, cas64, notify, now, spinOn,
} from "./atom";
import { agent_dead } from "./party";
import { spinLimit } from "./time";
import {
  OK, WOULD_BLOCK, CLOSED, BAD_ARGUMENT, CORRUPT, CANCELLED, PEER_GONE, REGION_BASE, RH_EVENT_SEQ,
  RH_EVENT_WAITERS, CH_SEND_LOCK, CH_RECV_LOCK, CH_STATE, CH_CAPACITY, CH_COUNT, CH_SENT, CH_TAKEN,
  CH_SEND_WAITERS, CH_RECV_WAITERS, CH_SEND_SEQ, CH_RECV_SEQ, CH_RING, CH_CLOSED, CH_PEER_GONE,
  CH_MAX_CAPACITY, CH_FRAG_HEADER, CH_FRAG_KIND, CH_FRAG_TOTAL, CH_FIRST, CH_CONT, CH_CANCEL,
  CH_WITHDRAWN, BR_POS_MASK, BR_SPACE_WAITERS, BR_READ, BR_WRITE, BR_DATA, BR_CAPACITY, BR_WRAP,
  BR_FRAME_HEADER, CH_FRAG_LEN, CH_FRAG_ALIGN, CH_CODEC_LOCK, CH_CODEC_TABLE, MUTEX_STATE,
  BR_DATA_WAITERS, CH_SPIN_MS, OWNER_DEAD, MUTEX_OWNER, CH_SEND_OPEN, CH_SEND_LEFT, CH_RECV_OPEN,
  CH_RECV_CLAIMED, CH_SENDERS, CH_RECEIVERS, PARTY_SLOTS, CH_SEND_PENDING, CH_SEND_TICKET,
  CH_RECV_MARK, CH_RECV_MARK_NEXT, CH_PENDING_CONT, CH_PENDING_WITHDRAW, CH_COUNT_ONE,
  CH_SENT_SHIFT, CH_GONE, CH_RECEIVERS_GONE, CH_ATTACHED,
} from "./layout";
import {
  mutex_init, mutex_try_lock, mutex_unlock, mutex_recover, mutex_unlock_recovered, mutex_owner,
} from "./mutex";
import {
  br_size_of, br_init, br_reserve, br_reserve_step, br_commit, br_peek, br_max_frame,
  br_frame_addr, br_release, br_close,
} from "./bytering";
import { DEBUG } from "./debug";
import { raiseFlag, wakeWaiters } from "./wake";
import {
  NOTIFY_ALL, ring, wakeSenders, wakeReceivers, liveFirst, stateStatus, chSides, othersDied,
  uncountUnclaimed, markConsumption,
} from "./channel-shared";
import { ch_recover_send } from "./channel-recover";

/** Bytes a channel with a ring of `ringBytes` needs, or 0 if that is not a valid ring size. */
export function ch_size_of(ringBytes: i32): i32 {
  const r = br_size_of(ringBytes);
  return r == 0 ? 0 : CH_RING + r;
}

/** Initialises the channel at `c` (ch_size_of bytes). OK or BAD_ARGUMENT. */
export function ch_init(c: usize, capacity: i32, ringBytes: i32): i32 {
  if (capacity < 0 || capacity > CH_MAX_CAPACITY) return BAD_ARGUMENT;
  const s = br_init(ring(c), ringBytes);
  if (s != OK) return s;
  mutex_init(c + CH_SEND_LOCK);
  mutex_init(c + CH_RECV_LOCK);
  store<i32>(c + CH_CAPACITY, capacity);
  store64(c + CH_COUNT, 0); // and CH_SENT
  store<i32>(c + CH_SEND_PENDING, 0);
  store<i32>(c + CH_SEND_TICKET, 0);
  store32(c + CH_TAKEN, 0);
  store32(c + CH_SEND_WAITERS, 0);
  store32(c + CH_RECV_WAITERS, 0);
  store32(c + CH_SEND_SEQ, 0);
  store32(c + CH_RECV_SEQ, 0);
  store32(c + CH_STATE, 0);
  store<i32>(c + CH_SEND_OPEN, 0);
  store<i32>(c + CH_SEND_LEFT, 0);
  store<i32>(c + CH_RECV_OPEN, 0);
  store<i32>(c + CH_RECV_MARK, -1);
  store<i32>(c + CH_RECV_MARK_NEXT, -1);
  store32(c + CH_SENDERS, 0);
  store32(c + CH_SENDERS + 4, 0);
  store32(c + CH_RECEIVERS, 0);
  store32(c + CH_RECEIVERS + 4, 0);
  store32(c + CH_GONE, 0);
  store32(c + CH_ATTACHED, 0);
  store32(c + CH_ATTACHED + 4, 0);
  mutex_init(c + CH_CODEC_LOCK);
  store32(c + CH_CODEC_TABLE, 0);
  return OK;
}

// ---- wake-ups -------------------------------------------------------------------------------

/** Bumps the region's event word if someone (select) waits on it. */
export function ch_wake_events(): void {
  wakeWaiters(REGION_BASE + RH_EVENT_WAITERS, REGION_BASE + RH_EVENT_SEQ, NOTIFY_ALL);
}

// ---- sender (holding the send lock) ------------------------------------------------------------

/** Whether a sender (the send lock's holder) has no one left to receive (channel-recover.ts, sides). */
function sendersLost(c: usize): bool {
  return (load32(c + CH_GONE) & CH_RECEIVERS_GONE) != 0 || othersDied(c, c + CH_SEND_LOCK, c + CH_RECEIVERS, c + CH_SENDERS);
}

/** Whether a new message may begin: OK, WOULD_BLOCK (COUNT at capacity), CLOSED, PEER_GONE. */
export function ch_send_ready(c: usize): i32 {
  const st = load32(c + CH_STATE);
  if (st != 0) return stateStatus(st);
  chSides(c + CH_SEND_LOCK, c + CH_SENDERS);
  if (load32(c + CH_GONE) != 0 && sendersLost(c)) return PEER_GONE;
  const cap = load<i32>(c + CH_CAPACITY);
  return load32(c + CH_COUNT) < (cap > 0 ? cap : 1) ? OK : WOULD_BLOCK;
}

/** As ch_send_ready; on WOULD_BLOCK the caller is registered in CH_SEND_WAITERS (read
 *  CH_SEND_SEQ before calling; park while it holds that value; then call again). */
export function ch_send_ready_step(c: usize): i32 {
  let s = ch_send_ready(c);
  for (let i = 0; s == WOULD_BLOCK && i < spinLimit(); i++) s = ch_send_ready(c);
  if (s == WOULD_BLOCK) {
    raiseFlag(c + CH_SEND_WAITERS);
    s = ch_send_ready(c); // re-check after registering
  }
  return s;
}

// @ts-ignore: decorator
@inline function fillHeader(a: i32, kind: i32, total: i32, len: i32): i32 {
  if (a < 0) return a;
  store<i32>(<usize>a + CH_FRAG_KIND, kind);
  store<i32>(<usize>a + CH_FRAG_TOTAL, total);
  store<i32>(<usize>a + CH_FRAG_LEN, len);
  return a + CH_FRAG_HEADER;
}

/** Ring frame bytes for a fragment of `len` payload bytes (header + payload padded to 8). */
// @ts-ignore: decorator
@inline function fragFrame(len: i32): i32 {
  return CH_FRAG_HEADER + ((len + CH_FRAG_ALIGN - 1) & ~(CH_FRAG_ALIGN - 1));
}

/** Reserves a fragment of `len` payload bytes with header (kind, total). Its payload address,
 *  or -WOULD_BLOCK (no ring space now), -CLOSED, -BAD_ARGUMENT. Publish with ch_publish. */
export function ch_reserve(c: usize, kind: i32, total: i32, len: i32): i32 {
  if (len < 0) return -BAD_ARGUMENT;
  return fillHeader(reserveTrimming(c, len), kind, total, len);
}

/** As ch_reserve; on -WOULD_BLOCK the caller is registered on the ring's BR_SPACE_SEQ (read it
 *  first; park while it holds that value; then call again). */
export function ch_reserve_step(c: usize, kind: i32, total: i32, len: i32): i32 {
  if (len < 0) return -BAD_ARGUMENT;
  for (let i = 0; i < spinLimit(); i++) {
    const a = br_reserve(ring(c), fragFrame(len));
    if (a != -WOULD_BLOCK) return fillHeader(a, kind, total, len);
  }
  const a = reserveTrimming(c, len);
  if (a != -WOULD_BLOCK) return fillHeader(a, kind, total, len);
  return fillHeader(br_reserve_step(ring(c), fragFrame(len)), kind, total, len);
}

/** A hint, read without the recv lock (frames between READ and WRITE are published and stay
 *  until released; a stale read only gives a wrong hint): is the first frame in the ring a wrap
 *  marker or a frame of a withdrawn or cancelled message? */
function deadAtFront(c: usize): bool {
  const b = ring(c);
  const r = load32(b + BR_READ);
  if (r == (load32(b + BR_WRITE) & BR_POS_MASK)) return false;
  const header = b + BR_DATA + <usize>(r & (load<i32>(b + BR_CAPACITY) - 1));
  const len = load32(header);
  if (len == BR_WRAP) return true;
  if (len < CH_FRAG_HEADER) return false;
  return !liveFirst(load32(header + BR_FRAME_HEADER + CH_FRAG_KIND));
}

/**
 * br_reserve of a fragment; short of space, the sender first trims frames of withdrawn
 * messages at the front of the ring itself (they hold space until a receiver passes them, and
 * with no receiver running an empty channel would refuse every send). It acts as the ring's
 * consumer for that moment: only with the recv lock, taken by try-lock as the sender and
 * dropped before returning (a receiver inside recv trims them itself when it claims).
 */
function reserveTrimming(c: usize, len: i32): i32 {
  const a = br_reserve(ring(c), fragFrame(len));
  if (a != -WOULD_BLOCK) return a;
  // only when the front looks dead: taking the recv lock on every failed reserve would starve a
  // receiver trying to take it (a select retrying a send in a loop did, in Chromium)
  if (!deadAtFront(c)) return a;
  // as the sender (the send lock's holder), never as ANONYMOUS_AGENT: a sender killed in here
  // leaves the recv lock held by an agent whose death is known, which a receiver takes over
  const agent = mutex_owner(c + CH_SEND_LOCK);
  const l = mutex_try_lock(c + CH_RECV_LOCK, agent);
  if (l == OWNER_DEAD) mutex_unlock(c + CH_RECV_LOCK, agent); // left owner-died: a receiver recovers it
  if (l != OK) {
    // a receiver holds the lock: one parked for a claim trims them when woken (ch_claim); the
    // frames of a message whose receiver gave up mid-way are dead too, and no claim is coming
    wakeReceivers(c);
    return a;
  }
  const before = load32(ring(c) + BR_READ);
  trimDead(c);
  const trimmed = load32(ring(c) + BR_READ) != before;
  mutex_unlock(c + CH_RECV_LOCK, agent);
  return trimmed ? br_reserve(ring(c), fragFrame(len)) : a;
}

/**
 * Keeps CH_SEND_OPEN / CH_SEND_LEFT for the fragment about to be published (the one reserved at
 * the ring's published end; a wrap marker there means it starts the lap): a message of several
 * fragments is open from its first fragment until its last, or a cancel frame.
 */
function trackSend(c: usize, first: i32): void {
  const b = ring(c);
  const cap = load<i32>(b + BR_CAPACITY);
  let header = b + BR_DATA + <usize>(load32(b + BR_WRITE) & (cap - 1));
  if (load<i32>(header) == BR_WRAP) header = b + BR_DATA;
  const payload = header + BR_FRAME_HEADER;
  const kind = load<i32>(payload + CH_FRAG_KIND);
  const len = load<i32>(payload + CH_FRAG_LEN);
  if (first) {
    const total = load<i32>(payload + CH_FRAG_TOTAL);
    store<i32>(c + CH_SEND_LEFT, total - len);
    store<i32>(c + CH_SEND_OPEN, total != len ? <i32>(payload + CH_FRAG_HEADER) : 0);
    return;
  }
  if (load<i32>(c + CH_SEND_OPEN) == 0) return;
  const left = load<i32>(c + CH_SEND_LEFT) - len;
  store<i32>(c + CH_SEND_LEFT, left);
  if (kind == CH_CANCEL || left <= 0) store<i32>(c + CH_SEND_OPEN, 0);
}

/**
 * Publishes the reserved fragment. For a first fragment (`first` = the messages it begins: 1,
 * or a batch frame's count) the messages begin: SENT += first, COUNT += first, the commit, and
 * receivers are woken; returns the ticket (SENT after the increment, 31 bits). Otherwise
 * returns 0. -CLOSED if the ring was closed (nothing
 * published: the message is uncounted again, or a receiver that claimed it meanwhile gets END).
 */
export function ch_publish(c: usize, first: i32): i32 {
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_PUBLISH_COUNT_AFTER_COMMIT)) {
    // SEEDED BUG (model-bug-ch-publish-count-after-commit only): the order before the fix below
    const s = br_commit(ring(c));
    if (s != OK) return -s;
    if (!first) return 0;
    const ticket = (<i32>(add64(c + CH_COUNT, <i64>first << CH_SENT_SHIFT) >> CH_SENT_SHIFT) + first) & BR_POS_MASK;
    add64(c + CH_COUNT, <i64>first);
    wakeReceivers(c);
    ch_wake_events();
    return ticket;
  }
  // What is committed is marked first (TICKET before PENDING, PENDING before anything the
  // commit changes), so that a recoverer of a sender that died in here finishes or undoes it
  // exactly (ch_recover_send); the frames are whole already.
  if (!first) {
    store32(c + CH_SEND_PENDING, CH_PENDING_CONT); // atomic: ordered before trackSend's stores
    trackSend(c, 0);
    const s = br_commit(ring(c));
    if (s != OK) store<i32>(c + CH_SEND_OPEN, 0); // closed: receivers drop the partial message themselves
    store<i32>(c + CH_SEND_PENDING, 0);
    return s != OK ? -s : 0;
  }
  // COUNT before the commit: committed first, a close between the commit and COUNT += 1 let
  // receivers see "closed, COUNT 0" and return CLOSED while this send then returned OK (a lost
  // message; test/model/channel.test.ts, "channel close"). Counted first, the message is either
  // claimable before the close, or its commit fails and the send reports CLOSED (a receiver that
  // claimed it finds the ring closed and drained: END, the partial-message case).
  // (SEEDED BUG model-bug-ch-batch-count-one: a batch frame counted as one message)
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_BATCH_COUNT_ONE) && first > 1) first = 1;
  const ticket = load32(c + CH_SENT) + first; // SENT only changes under the send lock
  store<i32>(c + CH_SEND_TICKET, ticket);
  store32(c + CH_SEND_PENDING, first); // atomic: TICKET is stored before it
  trackSend(c, first);
  // publish: COUNT += first and SENT += first in one step
  const counted = <i32>add64(c + CH_COUNT, <i64>first | (<i64>first << CH_SENT_SHIFT)) + first;
  // (a message given back for a dead receiver may sit above the capacity: see the invariants)
  if (DEBUG) assert(counted <= max(load<i32>(c + CH_CAPACITY), 1) + PARTY_SLOTS, "channel: COUNT past max(CAPACITY, 1)");
  const s = br_commit(ring(c));
  if (s != OK) {
    store<i32>(c + CH_SEND_OPEN, 0);
    uncountUnclaimed(c, first);
  }
  store<i32>(c + CH_SEND_PENDING, 0);
  wakeReceivers(c);
  ch_wake_events();
  return s != OK ? -s : ticket & BR_POS_MASK;
}

/** Rendezvous: OK once a receiver claimed the message with `ticket`; else WOULD_BLOCK, or
 *  CLOSED / PEER_GONE when the channel was closed meanwhile (then ch_cancel decides). */
export function ch_delivered(c: usize, ticket: i32): i32 {
  if ((((load32(c + CH_TAKEN) - ticket) << 1) >> 1) >= 0) return OK;
  const st = load32(c + CH_STATE);
  if (st == 0 && load32(c + CH_GONE) != 0 && sendersLost(c)) return PEER_GONE;
  return st != 0 ? stateStatus(st) : WOULD_BLOCK;
}

/** As ch_delivered, registering in CH_SEND_WAITERS on WOULD_BLOCK (see ch_send_ready_step). */
export function ch_delivered_step(c: usize, ticket: i32): i32 {
  let s = ch_delivered(c, ticket);
  for (let i = 0; s == WOULD_BLOCK && i < spinLimit(); i++) s = ch_delivered(c, ticket);
  if (s != WOULD_BLOCK) return s;
  raiseFlag(c + CH_SEND_WAITERS);
  return ch_delivered(c, ticket);
}

/** Withdraws the message the sender began (first fragment payload at `first`) if no receiver
 *  claimed it: OK; else WOULD_BLOCK (claimed: a rendezvous send was delivered). Send lock held. */
export function ch_withdraw(c: usize, first: usize): i32 {
  // said first, so that a recoverer of a sender killed in here finishes or undoes it: the uncount
  // happened iff SENT moved off this message's CH_SEND_TICKET (ch_recover_send)
  const openBefore = load<i32>(c + CH_SEND_OPEN);
  store<i32>(c + CH_SEND_OPEN, <i32>first);
  store32(c + CH_SEND_PENDING, CH_PENDING_WITHDRAW); // atomic: ordered after OPEN
  while (true) {
    const w = load64(c + CH_COUNT);
    if (<i32>w <= 0) {
      store<i32>(c + CH_SEND_PENDING, 0);
      store<i32>(c + CH_SEND_OPEN, openBefore);
      return WOULD_BLOCK;
    }
    if (cas64(c + CH_COUNT, w, w - ((<i64>1 << CH_SENT_SHIFT) | CH_COUNT_ONE)) == w) {
      // unclaimed, so no receiver reads this frame before the send lock is released. An atomic
      // store, and trimDead's load of it atomic too: with a plain store the load of
      // RECV_WAITERS in wakeReceivers could pass it (a store buffer) while a receiver that
      // registers and re-checks still reads the kind as live, and parks behind dead frames
      // unwoken (a hazard read from the code; the model's steps are SC and cannot show it)
      store32(first - CH_FRAG_HEADER + CH_FRAG_KIND, CH_FIRST | CH_WITHDRAWN);
      store<i32>(c + CH_SEND_OPEN, 0);
      store<i32>(c + CH_SEND_PENDING, 0);
      // its frames still hold ring bytes: a parked receiver trims them (ch_claim) so that
      // a sender waiting for space is not stuck behind them
      wakeReceivers(c);
      // a slot is free again: a select's send case may be ready
      ch_wake_events();
      return OK;
    }
  }
}

/**
 * The sender gives up on the message it began (first fragment payload at `first`): withdraws
 * it if no receiver claimed it (returns OK), else writes a CH_CANCEL frame (returns CANCELLED
 * once written, or WOULD_BLOCK when the ring has no 8 bytes free now: call again, after
 * parking on the ring's space word for async callers), or CLOSED / PEER_GONE when the ring is
 * closed (receivers drop the partial message on their own). Holding the send lock.
 */
export function ch_cancel(c: usize, first: usize): i32 {
  if (ch_withdraw(c, first) == OK) return OK;
  const a = ch_reserve(c, CH_CANCEL, 0, 0);
  if (a == -WOULD_BLOCK) return WOULD_BLOCK;
  if (a < 0) {
    const st = load32(c + CH_STATE);
    return st != 0 ? stateStatus(st) : -a;
  }
  const p = ch_publish(c, 0);
  return p < 0 ? -p : CANCELLED;
}

/** As ch_cancel; on WOULD_BLOCK the caller is registered on the ring's BR_SPACE_SEQ (read it
 *  first; park while it holds that value; then call again). */
export function ch_cancel_step(c: usize, first: usize): i32 {
  let s = ch_cancel(c, first);
  if (s != WOULD_BLOCK) return s;
  raiseFlag(ring(c) + BR_SPACE_WAITERS);
  return ch_cancel(c, first);
}

// ---- receiver (holding the recv lock) -------------------------------------------------------

/**
 * Releases the frames of withdrawn and cancelled messages at the front of the ring (recv lock
 * held; no claim needed): every frame before the first unmarked FIRST is dead, since a live
 * message's frames all follow its FIRST, and a FIRST is only ever marked, never unmarked.
 */
function trimDead(c: usize): void {
  const b = ring(c);
  while (true) {
    const len = br_peek(b);
    if (len < CH_FRAG_HEADER) return; // empty, closed (or corrupt: ch_fragment reports it)
    if (liveFirst(load32(<usize>br_frame_addr(b) + CH_FRAG_KIND))) return; // see ch_withdraw
    br_release(b);
  }
}

/** Claims the next message: OK, WOULD_BLOCK (none begun), CLOSED (closed and none left),
 *  PEER_GONE. */
export function ch_claim(c: usize): i32 {
  const st = load32(c + CH_STATE);
  if (st & CH_PEER_GONE) return PEER_GONE;
  chSides(c + CH_RECV_LOCK, c + CH_RECEIVERS);
  trimDead(c);
  while (true) {
    const w = load64(c + CH_COUNT);
    if (<i32>w <= 0) break;
    if (cas64(c + CH_COUNT, w, w - CH_COUNT_ONE) == w) {
      // in this order: a recoverer (ch_recover_recv) reads a claim without TAKEN += 1 from the
      // COUNT|SENT word, and after it CLAIMED with no mark
      store<i32>(c + CH_RECV_MARK, -1);
      store<i32>(c + CH_RECV_OPEN, CH_RECV_CLAIMED);
      add32(c + CH_TAKEN, 1);
      // (SEEDED BUG model-bug-ch-claim-no-wake: parked senders are not woken)
      if (!(isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_CLAIM_NO_WAKE))) wakeSenders(c);
      ch_wake_events();
      return OK;
    }
  }
  // re-read: a close after the COUNT load must not hide a message begun before it
  const st2 = load32(c + CH_STATE);
  // (SEEDED BUG model-bug-ch-claim-close-hides-message: CLOSED without re-reading COUNT)
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_CLAIM_CLOSE_HIDES_MESSAGE) && st2 != 0) return stateStatus(st2);
  if (st2 != 0 && load32(c + CH_COUNT) <= 0) return stateStatus(st2);
  if (st2 != 0) return ch_claim(c);
  // every possible sender died and none of their messages is left (channel-recover.ts, sides)
  if (load32(c + CH_COUNT) <= 0 && othersDied(c, c + CH_RECV_LOCK, c + CH_SENDERS, c + CH_RECEIVERS)) return PEER_GONE;
  return WOULD_BLOCK;
}

/** As ch_claim, registering in CH_RECV_WAITERS on WOULD_BLOCK (read CH_RECV_SEQ first; park;
 *  then call again). */
export function ch_claim_step(c: usize): i32 {
  let s = ch_claim(c);
  for (let i = 1; s == WOULD_BLOCK && i <= spinLimit(); i++) {
    s = ch_claim(c);
    if ((i & 63) == 0 && s == WOULD_BLOCK && !spinOn()) break;
  }
  // then spin for up to CH_SPIN_MS: a peer's reply often lands within it, and parking costs a
  // futex round trip of tens of microseconds (not in the model build: a spin repeats the check);
  // the region's parker may end the spin early (spinOn: more runnable threads than cores)
  if (!isDefined(SABRE_MODEL) && s == WOULD_BLOCK) {
    const spinEnd = now() + CH_SPIN_MS;
    for (let i = 1; ; i++) {
      s = ch_claim(c);
      if (s != WOULD_BLOCK) return s;
      if ((i & 63) == 0 && (!(now() < spinEnd) || !spinOn())) break;
    }
  }
  if (s == WOULD_BLOCK) {
    raiseFlag(c + CH_RECV_WAITERS);
    s = ch_claim(c); // re-check after registering
  }
  return s;
}

/**
 * The next fragment of the claimed message, not consumed: its payload length (>= 0; payload at
 * br_frame_addr(ring) + CH_FRAG_HEADER, total at + CH_FRAG_TOTAL), or -WOULD_BLOCK (not
 * published yet: wait on the ring's data word), -CLOSED (the ring is closed and drained: a
 * partial message is lost), -CANCELLED (the sender gave up: drop the partial, claim again),
 * -PEER_GONE, -CORRUPT. With `inMessage` = 0 it skips to the first live FIRST fragment
 * (frames of withdrawn and cancelled messages). Consume a fragment with br_release.
 */
export function ch_fragment(c: usize, inMessage: i32): i32 {
  const b = ring(c);
  while (true) {
    if (load32(c + CH_STATE) & CH_PEER_GONE) return -PEER_GONE;
    const len = br_peek(b);
    // a frame length is a status only when it is one of br_peek's; any other negative, or a
    // length no frame can have, is a corrupt ring (never a raw number to the caller)
    if (len == -WOULD_BLOCK) return len;
    // the claimed message can no longer be read: nothing of it is left to re-deliver
    if (len == -CLOSED) return noMessage(c, -CLOSED);
    if (len < CH_FRAG_HEADER || len > br_max_frame(b)) return noMessage(c, -CORRUPT);
    const frame = <usize>br_frame_addr(b);
    const kind = load32(frame + CH_FRAG_KIND); // atomic: see ch_withdraw
    const payload = load<i32>(frame + CH_FRAG_LEN);
    if (payload < 0 || payload > len - CH_FRAG_HEADER) return noMessage(c, -CORRUPT);
    if (inMessage) {
      if (kind == CH_CONT) return payload;
      if (kind == CH_CANCEL) {
        br_release(b);
        store<i32>(c + CH_RECV_OPEN, 0);
        return -CANCELLED;
      }
      return noMessage(c, -CORRUPT);
    }
    if (liveFirst(kind)) return payload;
    // a receiver giving up mid-message passes here: its message is dropped
    if (load<i32>(c + CH_RECV_OPEN) > 0) store<i32>(c + CH_RECV_OPEN, 0);
    br_release(b); // withdrawn FIRST, its CONT frames, stale CANCEL frames
  }
}

/** ch_fragment's end of a claim that cannot be read (-CLOSED, -CORRUPT): the receiver's record
 *  of it cleared, so that a recoverer of a later holder re-delivers nothing for it. */
function noMessage(c: usize, status: i32): i32 {
  store<i32>(c + CH_RECV_OPEN, 0);
  return status;
}

/** As ch_fragment; on -WOULD_BLOCK the caller is registered on the ring's BR_DATA_SEQ (read it
 *  first; park while it holds that value; then call again). */
export function ch_fragment_step(c: usize, inMessage: i32): i32 {
  let n = ch_fragment(c, inMessage);
  for (let i = 0; n == -WOULD_BLOCK && i < spinLimit(); i++) n = ch_fragment(c, inMessage);
  if (n != -WOULD_BLOCK) return n;
  // the sender of the claimed message died with the send lock: give its message up for it
  if (takeDeadSendLock(c)) {
    n = ch_fragment(c, inMessage);
    if (n != -WOULD_BLOCK) return n;
  }
  raiseFlag(ring(c) + BR_DATA_WAITERS);
  return ch_fragment(c, inMessage);
}

/**
 * Consumes the fragment ch_fragment reported (recv lock held), keeping CH_RECV_OPEN: after a
 * first fragment, the bytes of its message still to read; after the last, 0. OK.
 */
export function ch_release(c: usize): i32 {
  const b = ring(c);
  if (br_peek(b) < CH_FRAG_HEADER) return br_release(b);
  const frame = <usize>br_frame_addr(b);
  const kind = load<i32>(frame + CH_FRAG_KIND) & 0xff;
  const len = load<i32>(frame + CH_FRAG_LEN);
  const open = load<i32>(c + CH_RECV_OPEN);
  if (kind == CH_FIRST) {
    // the claimed message's consumption begins here: mark where, then release, then say so
    // (a holder killed in between is recovered from BR_READ: ch_recover_recv)
    const total = load<i32>(frame + CH_FRAG_TOTAL);
    if (open == CH_RECV_CLAIMED) markConsumption(c, -1);
    const s = br_release(b);
    store<i32>(c + CH_RECV_OPEN, total - len);
    return s;
  }
  if (open > 0) store<i32>(c + CH_RECV_OPEN, open > len ? open - len : 0);
  return br_release(b);
}

/**
 * A receiver stranded mid-message: when the send lock's holder is dead, takes the lock over as
 * itself, gives the dead sender's message up (ch_cancel) and releases the lock. True
 * if it did.
 */
function takeDeadSendLock(c: usize): bool {
  const lock = c + CH_SEND_LOCK;
  if (!agent_dead(load32(lock + MUTEX_OWNER))) return false;
  // as the receiver (the recv lock's holder), never as ANONYMOUS_AGENT: a receiver killed in
  // here leaves the send lock held by an agent whose death is known, which a sender takes over
  if (mutex_recover(lock, mutex_owner(c + CH_RECV_LOCK)) != OWNER_DEAD) return false;
  const first = ch_recover_send(c);
  // no room for the cancel frame (never while the receiver waits on an empty ring): the lock is
  // left owner-died, and the next sender runs ch_recover_send again
  mutex_unlock_recovered(lock, first == 0 || ch_cancel(c, first) != WOULD_BLOCK);
  return true;
}

// ---- both sides ---------------------------------------------------------------------------------

/** Closes the channel (idempotent) and wakes every waiter. OK. */
export function ch_close(c: usize): i32 {
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_CLOSE_STATE_FIRST)) {
    // SEEDED BUG (model-bug-ch-close-state-first only): the order before the fix below
    or32(c + CH_STATE, CH_CLOSED);
    br_close(ring(c));
  } else {
    // the ring first: a receiver that sees CH_STATE closed then COUNT 0 returns CLOSED, so no
    // send may still succeed then; a send succeeds at its first fragment's commit, which fails
    // once the ring is closed, and counts the message before (ch_publish). Set the other way
    // round, a send could count and commit between the two (test/model/channel.test.ts).
    br_close(ring(c));
    or32(c + CH_STATE, CH_CLOSED);
  }
  wakeSenders(c);
  wakeReceivers(c);
  ch_wake_events();
  return OK;
}

/** Marks a peer of the channel dead (a crashed worker): closes it and makes every blocked or
 *  later operation fail with PEER_GONE. Idempotent. OK. */
export function ch_mark_peer_gone(c: usize): i32 {
  or32(c + CH_STATE, CH_PEER_GONE | CH_CLOSED);
  ch_close(c);
  // agents parked for a lock the dead peer may hold: they re-check CH_STATE before parking
  // again (src/channel/port.ts, lockChannel); a spurious wake-up of a mutex waiter is harmless
  notify(c + CH_SEND_LOCK + MUTEX_STATE, NOTIFY_ALL);
  notify(c + CH_RECV_LOCK + MUTEX_STATE, NOTIFY_ALL);
  return OK;
}

export function ch_state(c: usize): i32 {
  return load32(c + CH_STATE);
}

/** Messages begun and not yet claimed (a racy snapshot). */
export function ch_len(c: usize): i32 {
  const n = load32(c + CH_COUNT);
  return n > 0 ? n : 0;
}

export function ch_capacity(c: usize): i32 {
  return load<i32>(c + CH_CAPACITY);
}

/** Whether a receive would not block now: 1 if a message is there or the channel is closed. */
export function ch_recv_ready(c: usize): i32 {
  return load32(c + CH_COUNT) > 0 || load32(c + CH_STATE) != 0 ? 1 : 0;
}

/** Registers / deregisters a waiter on the region's event word (select). */
export function ch_event_wait_begin(): void {
  add32(REGION_BASE + RH_EVENT_WAITERS, 1);
}
export function ch_event_wait_end(): void {
  sub32(REGION_BASE + RH_EVENT_WAITERS, 1);
}
