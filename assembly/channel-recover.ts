// channel-recover.ts — a channel one of whose parties died: the takeover of a dead holder's send
// or recv lock (ch_recover_send, ch_recover_recv), who is on which side (ch_attach,
// ch_host_attach; the masks and the rule itself in channel-shared.ts), and the death walk's part
// (ch_party_died, ch_readers_gone, ch_gone). Layout of the words and the channel's invariants:
// channel.ts's header.
//
// Roles: a recoverer is the agent that took the lock over (mutex_recover returned OWNER_DEAD):
// the next sender (src/channel/port.ts), the next receiver, or a receiver stranded mid-message
// (channel.ts, takeDeadSendLock); it alone writes the holder's plain words (CH_SEND_PENDING,
// CH_SEND_OPEN; CH_RECV_OPEN, CH_RECV_MARK(_NEXT); the ring's BR_RESERVE and cache words) until
// it marks the lock consistent. The death walk (death.ts) and a crash report only or CH_GONE bits
// and wake. Every recovery step may be cut short by the recoverer's own death and is then run
// again by the next one: each is written to be repeated or skipped (see the comments in it).
//
//
// A party that dies (party.ts) with a channel lock (see "When a party dies" in README):
//   - the send lock: the next sender takes it over (mutex_recover, in src/channel/port.ts) and
//     runs ch_recover_send: reserved, unpublished frames are dropped (BR_RESERVE back to
//     BR_WRITE), and a message partly published (CH_SEND_OPEN) is given up as a live sender's
//     would be (ch_cancel: withdrawn if unclaimed, else a cancel frame its receiver drops the
//     partial on). A receiver waiting for the rest of that message does the same itself
//     (ch_fragment_step: it takes the dead sender's lock over as itself), so it is
//     never stranded behind a dead sender when no other sender comes. Never delivered torn.
//   - the recv lock: the next receiver takes it over and runs ch_recover_recv: a message the dead
//     receiver claimed but had not consumed any of is re-delivered (its claim undone: COUNT += 1,
//     TAKEN -= 1); one whose first frame (or batch record) it had consumed is dropped (its
//     remaining frames are dead frames, trimmed as channel.ts's header says). A receiver killed
//     at any instruction is told apart exactly: a claim is one cas of the COUNT|SENT word, and
//     SENT - COUNT (claims made: sends and withdrawals change both halves alike) past TAKEN means
//     a claim whose TAKEN += 1 never ran; before it consumes, a receiver records where
//     (CH_RECV_MARK: the frame's BR_READ, CH_RECV_MARK_NEXT: its batch cursor), so a consumption
//     is seen from the ring itself (BR_READ or the cursor moved on), whatever store it died before.
//   - sides: every party that attached the channel is recorded in CH_ATTACHED (ch_attach, one
//     bit per party slot), every one that held the send lock in CH_SENDERS and every one that
//     held the recv lock in CH_RECEIVERS (chSides, under the lock). The other side of a sender
//     is every receiver plus every attached party that never sent; of a receiver, every
//     sender plus every attached party that never received; the caller's own party excluded
//     (othersDied). The rules apply to channels a worker host (spawnWorker, spawnProcess) passed
//     to a party it started (CH_HOSTED, ch_host_attach); a channel only ever attached by
//     handle (a pool's own channels, whose workers are replaced) keeps Go's semantics: deaths
//     free its locks and fail no wait. A crash report (party_report) sets CH_PARTY_DIED and wakes both sides;
//     from then on a receiver with nothing left to claim gets PEER_GONE when its other side
//     is non-empty and has entirely died (PARTY_DIED), and so does a sender (ch_send_ready,
//     ch_delivered). A dead client of a many-sender channel changes nothing for the others; a
//     clean end (PARTY_EXITED) is never a reason (Go's semantics: channels stay open).
//   - death inside ch_publish: the sender marks what it commits (CH_SEND_PENDING, after
//     CH_SEND_TICKET) before it counts, so ch_recover_send knows whether the dead sender's
//     reserved frame was counted (SENT == TICKET: its bytes are whole, since they were written
//     before the count, and it is committed for it: a claim made meanwhile gets its message) or
//     not (the frame is dropped and no message was begun); a pending CONT or CANCEL frame is
//     whole too, and is committed.
import { load32, store32, add32, sub32, or32, load64, add64, notify } from "./atom";
import { agent_dead } from "./party";
import {
  OK, CH_SEND_LOCK, CH_RECV_LOCK, CH_COUNT, CH_SENT, CH_TAKEN, CH_SEND_SEQ, CH_RECV_SEQ,
  CH_FRAG_HEADER, CH_FRAG_KIND, CH_FIRST, CH_WITHDRAWN, CH_BATCH, CH_BATCH_HEADER, CH_BATCH_NEXT,
  CH_BATCH_NEXT_OFF, CH_BATCH_RECORD, BR_POS_MASK, BR_READ, BR_WRITE, ANONYMOUS_AGENT, CH_FRAG_LEN,
  MUTEX_STATE, MUTEX_OWNER, CH_SEND_OPEN, CH_RECV_OPEN, CH_RECV_CLAIMED, CH_SENDERS, CH_RECEIVERS,
  CH_SEND_PENDING, CH_SEND_TICKET, CH_RECV_MARK, CH_RECV_MARK_NEXT, CH_PENDING_CONT,
  CH_PENDING_WITHDRAW, CH_COUNT_ONE, CH_SENT_SHIFT, CH_GONE, CH_PARTY_DIED, CH_RECEIVERS_GONE,
  CH_ATTACHED, CH_HOSTED, BR_RESERVE, PARTY_SLOT_MASK, BR_WRITE_CACHE, BR_READ_CACHE, BR_DATA_SEQ,
  BR_SPACE_SEQ,
} from "./layout";
import { mutex_consistent } from "./mutex";
import { br_commit, br_peek, br_frame_addr } from "./bytering";
import { wakeAll } from "./wake";
import { ch_wake_events } from "./channel";
import {
  NOTIFY_ALL, ring, wakeSenders, wakeReceivers, liveFirst, markSlot, uncountUnclaimed,
} from "./channel-shared";

// ---- a dead holder (see the header) -------------------------------------------------------------

/**
 * The send lock was taken over from a dead holder (OWNER_DEAD): drops its reserved frames and
 * returns the first-fragment payload address of its partly published message, for ch_cancel,
 * or 0 when nothing is left to undo (then call mutex_consistent on the lock).
 */
export function ch_recover_send(c: usize): i32 {
  const b = ring(c);
  const pending = load<i32>(c + CH_SEND_PENDING);
  // Every branch below may be cut short by this recoverer's own death and run again by the
  // next one: PENDING is cleared last, and each step is one that a second run repeats or skips.
  if (pending == CH_PENDING_WITHDRAW) {
    // it died inside ch_withdraw: the uncount happened iff SENT moved off the message's ticket
    if (load32(c + CH_SENT) != load<i32>(c + CH_SEND_TICKET)) {
      store32(<usize>load<i32>(c + CH_SEND_OPEN) - CH_FRAG_HEADER + CH_FRAG_KIND, CH_FIRST | CH_WITHDRAWN);
      store<i32>(c + CH_SEND_OPEN, 0);
    }
    store<i32>(c + CH_SEND_PENDING, 0);
  // (SEEDED BUG model-bug-ch-publish-uncounted-recovery: the pending frame is always dropped)
  } else if (pending != 0 && !(isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_PUBLISH_UNCOUNTED_RECOVERY))) {
    // it died inside ch_publish: its frames are whole; commit them if they begin nothing or
    // were counted (a claim may be waiting for them), else they never began a message
    if (pending == CH_PENDING_CONT || load32(c + CH_SENT) == load<i32>(c + CH_SEND_TICKET)) {
      // committed already (WRITE reached RESERVE), or commit now; a ring closed first uncounts
      // the messages (SENT then moves off the ticket: a second run takes the other branch)
      const committed = (load32(b + BR_WRITE) & BR_POS_MASK) == load<i32>(b + BR_RESERVE);
      if (!committed && br_commit(b) != OK && pending > 0) uncountUnclaimed(c, pending);
      wakeReceivers(c);
      ch_wake_events();
    } else {
      store<i32>(c + CH_SEND_OPEN, 0);
    }
    store<i32>(c + CH_SEND_PENDING, 0);
  }
  store<i32>(b + BR_RESERVE, load32(b + BR_WRITE) & BR_POS_MASK);
  store<i32>(b + BR_READ_CACHE, load32(b + BR_READ));
  return load<i32>(c + CH_SEND_OPEN);
}

/**
 * The recv lock was taken over from a dead holder: re-delivers the message it claimed and had
 * not begun reading, drops one it had begun (see the header), and marks the lock consistent
 * for `agent`. OK.
 */
export function ch_recover_recv(c: usize, agent: i32): i32 {
  let open = load<i32>(c + CH_RECV_OPEN);
  const b = ring(c);
  store<i32>(b + BR_WRITE_CACHE, load32(b + BR_WRITE) & BR_POS_MASK);
  // This may be cut short by this recoverer's own death and run again by the next one: OPEN is
  // cleared only between TAKEN -= 1 and COUNT += 1 of a re-delivery, where a second run sees a
  // claim without its TAKEN (below) and re-delivers it once more, which the first had not.
  // Claims made = SENT - COUNT (only claims change it, and the recv lock is held): one more
  // than TAKEN is a claim whose TAKEN += 1 never ran: claimed, nothing consumed.
  const w = load64(c + CH_COUNT);
  const claims = <i32>(w >> CH_SENT_SHIFT) - <i32>w;
  // (SEEDED BUG model-bug-ch-recover-recv-blind: OPEN alone decides, as before the marks)
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_CH_RECOVER_RECV_BLIND)) {
    store<i32>(c + CH_RECV_OPEN, 0);
  } else if (claims != load32(c + CH_TAKEN)) {
    store<i32>(c + CH_RECV_MARK, -1);
    store<i32>(c + CH_RECV_OPEN, CH_RECV_CLAIMED);
    add32(c + CH_TAKEN, 1);
    open = CH_RECV_CLAIMED;
  } else if (open == CH_RECV_CLAIMED) {
    // marked, then died: consumed if the ring's front or the batch cursor moved past the mark
    const mark = load<i32>(c + CH_RECV_MARK);
    const next = load<i32>(c + CH_RECV_MARK_NEXT);
    if (mark >= 0 && (load32(b + BR_READ) != mark || (next >= 0 && load<i32>(<usize>br_frame_addr(b) + CH_FRAG_HEADER + CH_BATCH_NEXT) != next))) open = 0;
  }
  batchResync(c);
  if (open == CH_RECV_CLAIMED) {
    sub32(c + CH_TAKEN, 1);
    store<i32>(c + CH_RECV_OPEN, 0);
    add64(c + CH_COUNT, CH_COUNT_ONE);
    wakeReceivers(c);
    ch_wake_events();
  } else {
    store<i32>(c + CH_RECV_OPEN, 0);
  }
  mutex_consistent(c + CH_RECV_LOCK, agent);
  return OK;
}

/** Marks that no receiver is left (senders get PEER_GONE) and wakes the senders. */
export function ch_readers_gone(c: usize): void {
  or32(c + CH_GONE, CH_RECEIVERS_GONE);
  wakeSenders(c);
  add32(ring(c) + BR_SPACE_SEQ, 1);
  notify(ring(c) + BR_SPACE_SEQ, NOTIFY_ALL);
  ch_wake_events();
}

/**
 * The death walk's part for a channel (assembly/death.ts): wakes the waiters of a lock the
 * dead party holds (they take it over), and when it `crashed` and used the channel, sets
 * CH_PARTY_DIED and wakes both sides, which evaluate the side rules (othersDied).
 */
export function ch_party_died(c: usize, slot: i32, crashed: i32): void {
  if (agent_dead(load32(c + CH_SEND_LOCK + MUTEX_OWNER))) notify(c + CH_SEND_LOCK + MUTEX_STATE, NOTIFY_ALL);
  if (agent_dead(load32(c + CH_RECV_LOCK + MUTEX_OWNER))) notify(c + CH_RECV_LOCK + MUTEX_STATE, NOTIFY_ALL);
  if (crashed) {
    const word = <usize>(slot >> 5) << 2;
    const bit = 1 << (slot & 31);
    if (((load32(c + CH_SENDERS + word) | load32(c + CH_RECEIVERS + word) | load32(c + CH_ATTACHED + word)) & bit) != 0) {
      or32(c + CH_GONE, CH_PARTY_DIED);
      ch_wake_events();
    }
  }
  // every park word is bumped and notified, whoever died and whatever the flags say: the
  // waiters evaluate the side rules, a receiver reading a dead sender's message takes its lock
  // over (ch_fragment_step), and a waker killed between clearing a flag and bumping its park
  // word (wake.ts) left no waiter behind
  wakeAll(c + CH_SEND_SEQ);
  wakeAll(c + CH_RECV_SEQ);
  wakeAll(ring(c) + BR_DATA_SEQ);
  wakeAll(ring(c) + BR_SPACE_SEQ);
}

/** CH_GONE (CH_PARTY_DIED | CH_RECEIVERS_GONE). */
export function ch_gone(c: usize): i32 {
  return load32(c + CH_GONE);
}

// ---- sides: who sends, who receives (the masks and the rule: channel-shared.ts) -------------

/** Records the party of `agent` as attached to the channel (any thread that holds it). OK. */
export function ch_attach(c: usize, agent: i32): i32 {
  markSlot(c + CH_ATTACHED, agent == ANONYMOUS_AGENT ? 0 : agent & PARTY_SLOT_MASK);
  return OK;
}

/** A worker host passed the channel to the party of `agent` that it starts: attaches it and
 *  sets CH_HOSTED, from which on the side rules apply (see the header). OK. */
export function ch_host_attach(c: usize, agent: i32): i32 {
  ch_attach(c, agent);
  if ((load32(c + CH_GONE) & CH_HOSTED) == 0) or32(c + CH_GONE, CH_HOSTED);
  return OK;
}

/** A batch frame at the ring's front: sets its cursor's offset from its record index (walking
 *  the records), in case its reader died between the two cursor stores. Recv lock held. */
function batchResync(c: usize): void {
  const b = ring(c);
  if (br_peek(b) < CH_FRAG_HEADER + CH_BATCH_HEADER) return;
  const a = <usize>br_frame_addr(b);
  if (!(load32(a + CH_FRAG_KIND) & CH_BATCH) || !liveFirst(load32(a + CH_FRAG_KIND))) return;
  const payload = a + CH_FRAG_HEADER;
  const room = load<i32>(a + CH_FRAG_LEN) - CH_BATCH_HEADER;
  const next = load<i32>(payload + CH_BATCH_NEXT);
  let off = 0;
  for (let i = 0; i < next && off <= room - CH_BATCH_RECORD; i++) {
    off += CH_BATCH_RECORD + ((load<i32>(payload + CH_BATCH_HEADER + <usize>off) + 3) & ~3);
  }
  store<i32>(payload + CH_BATCH_NEXT_OFF, off);
}
