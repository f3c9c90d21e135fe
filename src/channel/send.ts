// send.ts — the channel's send, written once as a step machine (src/wait/steps.ts): the
// blocking, async and try sends, sendMany, commit and select's send cases all run it.
//
//   sendSteps(port, bytes, agent, how)   one message; returns a status (below). `bytes` may be a
//                  PartsSource (Channel.sendParts): its fill writes each fragment's window in
//                  place; a fill that throws gives the message up, as any send that gives up
//   how = "wait"     take the send lock (Mutex's lockSteps, giving up on peer-gone), wait for
//                    a slot, write every fragment (waiting for ring space), with capacity 0
//                    wait until a receiver claimed it; every wait honours the driver's deadline
//                    and signal
//         "locked"   as "wait" with the send lock already held by the caller (sendMany)
//         "try"      one attempt: the lock by try-lock, a slot only if free now, the first
//                    fragment only if it fits now; parks only in two short grace waits (a
//                    receiver inside recv claiming a message larger than the free ring, a
//                    rendezvous receiver taking the value), each capped at GRACE_MS
//
//   sendBatchSteps(port, msgs, from, to)   with the send lock held: several messages as one batch
//                  frame, if there is room for all of them now (never waits)
//   sendManySteps(port, msgs, agent, progress)   sendMany: the lock once, then batch frames where
//                  they fit, else one message at a time
//   msgs           separate arrays, or a MessageList (ranges of one buffer: the codec packed the
//                  whole batch in one call)
//
// Results: OK (sent; capacity 0: a receiver claimed it), TIMED_OUT (the deadline passed;
// nothing was sent), WOULD_BLOCK ("try" only: not now; nothing was sent), CLOSED, PEER_GONE,
// WOULD_DEADLOCK (the agent already holds the send lock), CORRUPT.
//
// Giving up never leaves half a message: a sender that gives up (deadline, abort, close)
// after its first fragment was published cancels it (ch_cancel_step: withdraws it if no
// receiver claimed it, else writes a cancel frame the receiver drops the partial on). Once a
// receiver claimed a rendezvous message the send is delivered, whatever happens after. Two
// waits do not give up, since the other side is committed and frees the word soon: the ring
// space for the cancel frame (the claiming receiver reads), and in "try" the rest of a message
// a receiver claimed (they park with { whole: true }).
import * as L from "../../assembly/layout";
import { copyInto } from "../region/copy";
import { call, load, type Steps } from "../wait/steps";
import { cancelSteps, GAVE_UP, lockChannel, tryLockChannel, stepPark, WHOLE, type ChannelPort } from "./port";

/** A try's grace wait for a receiver (ms; see the header). */
export const GRACE_MS = 1;
const GRACE = { capMs: GRACE_MS };

export type SendHow = "wait" | "locked" | "try";

const isWouldBlock = (r: number) => r === L.WOULD_BLOCK;
const isNoAddress = (r: number) => r === -L.WOULD_BLOCK;

/** Sends one message of `bytes` on the channel of `p` as `agent` (see the header). */
export function* sendSteps(p: ChannelPort, bytes: Uint8Array | PartsSource, agent: number, how: SendHow): Steps<number> {
  const lock = p.c + L.CH_SEND_LOCK;
  if (how !== "locked") {
    const l = how === "try" ? yield* tryLockChannel(p, L.CH_SEND_LOCK, agent) : yield* lockChannel(p, L.CH_SEND_LOCK, agent);
    if (l === L.WOULD_BLOCK || (how === "try" && l === L.WOULD_DEADLOCK)) {
      // busy (WOULD_DEADLOCK: this agent holds the lock, a reserve open): a closed or
      // peer-gone channel says so, never "not now"
      const st = yield call("ch_state", p.c);
      return st & L.CH_PEER_GONE ? L.PEER_GONE : st ? L.CLOSED : L.WOULD_BLOCK;
    }
    if (l !== L.OK) return l;
  }
  try {
    return yield* sendLocked(p, bytes, how === "try");
  } catch (error) {
    // a PartsSource's fill threw: drop its reserved window (BR_RESERVE back to BR_WRITE) and give
    // up the message if part of it was published, as for a sender that died (port.ts)
    if (!(bytes instanceof Uint8Array)) {
      const first = yield call("ch_recover_send", p.c);
      if (first !== 0) yield* cancel(p, first);
    }
    throw error;
  } finally {
    if (how !== "locked") yield call("mutex_unlock", lock, agent);
  }
}

/** Waits for a slot; OK, TIMED_OUT, CLOSED, PEER_GONE. */
function* slot(p: ChannelPort): Steps<number> {
  const r = yield* stepPark(p.c + L.CH_SEND_SEQ, call("ch_send_ready_step", p.c), isWouldBlock);
  return r === GAVE_UP ? L.TIMED_OUT : r;
}

/** Reserves a fragment, waiting for ring space: its payload address or -status (-TIMED_OUT). */
function* space(p: ChannelPort, kind: number, total: number, n: number, whole: boolean): Steps<number> {
  for (;;) {
    const r = yield* stepPark(p.ring + L.BR_SPACE_SEQ, call("ch_reserve_step", p.c, kind, total, n), isNoAddress, whole ? WHOLE : undefined);
    if (r !== GAVE_UP) return r;
    if (!whole) return -L.TIMED_OUT;
  }
}

/** Waits until the message with `ticket` was claimed: OK, TIMED_OUT, CLOSED, PEER_GONE. */
function* delivered(p: ChannelPort, ticket: number, attempt: boolean): Steps<number> {
  const r = yield* stepPark(p.c + L.CH_SEND_SEQ, call("ch_delivered_step", p.c, ticket), isWouldBlock, attempt ? GRACE : undefined);
  return r === GAVE_UP ? L.TIMED_OUT : r;
}

const cancel = cancelSteps;

/**
 * Zero-copy send, first half: takes the send lock as `agent`, waits for a slot and reserves a
 * single-fragment message of `len` bytes. Its payload address (the lock is held: fill it,
 * then commitSteps), or -status (the lock is not held).
 */
export function* reserveSteps(p: ChannelPort, len: number, agent: number): Steps<number> {
  const l = yield* lockChannel(p, L.CH_SEND_LOCK, agent);
  if (l !== L.OK) return -l;
  let a = -L.BAD_ARGUMENT;
  try {
    const s = yield* slot(p);
    a = s === L.OK ? yield* space(p, L.CH_FIRST, len, len, false) : -s;
    return a;
  } finally {
    if (a < 0) yield call("mutex_unlock", p.c + L.CH_SEND_LOCK, agent);
  }
}

/** Zero-copy send, second half: publishes the message reserveSteps reserved at `first`, with
 *  capacity 0 waits until a receiver claimed it, and unlocks. A status, as sendSteps. */
export function* commitSteps(p: ChannelPort, first: number, agent: number): Steps<number> {
  try {
    const pub = yield call("ch_publish", p.c, 1);
    if (pub < 0) return -pub;
    return p.capacity === 0 ? yield* handOver(p, first, pub, false) : L.OK;
  } finally {
    yield call("mutex_unlock", p.c + L.CH_SEND_LOCK, agent);
  }
}

/** Rendezvous: waits until the message (first payload at `first`, `ticket`) was claimed; a
 *  send that gives up withdraws it, unless it was claimed meanwhile (then it was delivered). */
function* handOver(p: ChannelPort, first: number, ticket: number, attempt: boolean): Steps<number> {
  let d: number;
  try {
    d = yield* delivered(p, ticket, attempt);
  } catch (error) {
    if ((yield call("ch_withdraw", p.c, first)) === L.OK) throw error;
    return L.OK;
  }
  if (d !== L.OK && (yield call("ch_withdraw", p.c, first)) === L.OK) return attempt && d === L.TIMED_OUT ? L.WOULD_BLOCK : d;
  return L.OK;
}

/**
 * The messages of a sendMany: `count` of them; message i has `length(i)` bytes, `copyTo` writes
 * them into memory, `bytesOf` gives them as an array (the one-by-one path).
 */
export interface MessageList {
  readonly count: number;
  length(i: number): number;
  copyTo(i: number, dst: Uint8Array, at: number): void;
  bytesOf(i: number): Uint8Array;
}

/** The MessageList of separate arrays. */
export function arrayMessages(msgs: readonly Uint8Array[]): MessageList {
  return {
    count: msgs.length,
    length: (i) => msgs[i].length,
    copyTo: (i, dst, at) => copyInto(dst, at, msgs[i]),
    bytesOf: (i) => msgs[i],
  };
}

/** The MessageList of `count` ranges of one buffer: message i is `bytes[bounds[i], bounds[i + 1])`. */
export function rangeMessages(bytes: Uint8Array, bounds: Int32Array, count: number): MessageList {
  return {
    count,
    length: (i) => bounds[i + 1] - bounds[i],
    copyTo: (i, dst, at) => copyInto(dst, at, bytes, bounds[i], bounds[i + 1]),
    bytesOf: (i) => bytes.subarray(bounds[i], bounds[i + 1]),
  };
}

const listOf = (msgs: MessageList | readonly Uint8Array[]): MessageList => (isArray(msgs) ? arrayMessages(msgs) : msgs);
const isArray = (msgs: MessageList | readonly Uint8Array[]): msgs is readonly Uint8Array[] => Array.isArray(msgs);

/** Bytes of a batch frame's payload for the messages `msgs[from..to)` (layout.ts, CH_BATCH). */
export function batchBytes(msgs: MessageList, from: number, to: number): number {
  let n = L.CH_BATCH_HEADER;
  for (let i = from; i < to; i++) n += L.CH_BATCH_RECORD + ((msgs.length(i) + 3) & ~3);
  return n;
}

/**
 * With the send lock held, on a channel of capacity > 1: one attempt to write the messages
 * `msgs[from..to)` as one batch frame (they are counted as to - from messages; the caller
 * checks that the frame fits one fragment). OK, WOULD_BLOCK (no room for all of them or no
 * ring space now: nothing was written), CLOSED, PEER_GONE.
 */
export function* sendBatchSteps(p: ChannelPort, messages: MessageList | readonly Uint8Array[], from: number, to: number): Steps<number> {
  const msgs = listOf(messages);
  const len = batchBytes(msgs, from, to);
  const a = yield call("ch_send_batch_try", p.c, to - from, len);
  if (a < 0) return -a;
  const w = a >> 2;
  p.words[w + (L.CH_BATCH_COUNT >> 2)] = to - from;
  p.words[w + (L.CH_BATCH_NEXT >> 2)] = 0;
  p.words[w + (L.CH_BATCH_NEXT_OFF >> 2)] = 0;
  p.words[w + 3] = 0;
  let at = a + L.CH_BATCH_HEADER;
  for (let i = from; i < to; i++) {
    const n = msgs.length(i);
    p.words[at >> 2] = n;
    msgs.copyTo(i, p.bytes, at + L.CH_BATCH_RECORD);
    at += L.CH_BATCH_RECORD + ((n + 3) & ~3);
  }
  const pub = yield call("ch_publish", p.c, to - from);
  return pub < 0 ? -pub : L.OK;
}

/** How many of the messages from `msgs[i]` on one batch frame takes: at most `room` (slots
 *  free now), all within one fragment. */
function batchSpan(p: ChannelPort, msgs: MessageList, i: number, room: number): number {
  let bytes = L.CH_BATCH_HEADER;
  let k = 0;
  while (i + k < msgs.count && k < room) {
    const b = bytes + L.CH_BATCH_RECORD + ((msgs.length(i + k) + 3) & ~3);
    if (b > p.fragment) break;
    bytes = b;
    k++;
  }
  return k;
}

/**
 * sendMany's machine: the send lock once (as `agent`), then the messages in order under it: as
 * batch frames (sendBatchSteps) of as many as fit one fragment and the free slots, when that is
 * two or more, else one by one ("locked": waits for a slot and ring space). `progress.sent`
 * counts the messages in the channel. A status, as sendSteps.
 */
export function* sendManySteps(p: ChannelPort, messages: MessageList | readonly Uint8Array[], agent: number, progress: { sent: number }): Steps<number> {
  const msgs = listOf(messages);
  const l = yield* lockChannel(p, L.CH_SEND_LOCK, agent);
  if (l !== L.OK) return l;
  try {
    let i = 0;
    while (i < msgs.count) {
      if (p.capacity > 1 && i + 1 < msgs.count) {
        const room = Math.min(p.capacity, p.capacity - (yield load(p.c + L.CH_COUNT)));
        const k = batchSpan(p, msgs, i, room);
        if (k >= 2) {
          const s = yield* sendBatchSteps(p, msgs, i, i + k);
          if (s === L.OK) {
            i += k;
            progress.sent += k;
            continue;
          }
          if (s !== L.WOULD_BLOCK) return s;
        }
      }
      const s = yield* sendSteps(p, msgs.bytesOf(i), agent, "locked");
      if (s !== L.OK) return s;
      i++;
      progress.sent++;
    }
    return L.OK;
  } finally {
    yield call("mutex_unlock", p.c + L.CH_SEND_LOCK, agent);
  }
}

function* sendLocked(p: ChannelPort, bytes: Uint8Array | PartsSource, attempt: boolean): Steps<number> {
  const { c } = p;
  if (p.capacity > 0 && bytes.length <= p.fragment) {
    // a slot and ring space now: one call, no waits (sendMany's common case)
    const a = yield call("ch_send_try", c, bytes.length);
    if (a >= 0) {
      write(p, bytes, a, 0, bytes.length);
      const pub = yield call("ch_publish", c, 1);
      return pub < 0 ? -pub : L.OK;
    }
    if (a !== -L.WOULD_BLOCK) return -a;
  }
  const s = attempt ? yield call("ch_send_ready", c) : yield* slot(p);
  if (s !== L.OK) return s;
  // rendezvous: a try is only worth it while a receiver is inside recv
  if (attempt && p.capacity === 0 && (yield call("mutex_owner", c + L.CH_RECV_LOCK)) === 0) return L.WOULD_BLOCK;
  const total = bytes.length;
  let off = 0;
  let first = 0;
  let ticket = 0;
  do {
    const n = Math.min(p.fragment, total - off);
    const kind = off === 0 ? L.CH_FIRST : L.CH_CONT;
    let a: number;
    if (attempt) {
      a = yield call("ch_reserve", c, kind, total, n);
      if (a === -L.WOULD_BLOCK) {
        if (off === 0) return L.WOULD_BLOCK;
        // A message larger than the free ring goes through only while a receiver reads it. One
        // inside recv was woken by the first fragment: give it the grace to claim before
        // withdrawing (a parked receiver takes tens of microseconds to wake).
        if ((yield call("mutex_owner", c + L.CH_RECV_LOCK)) !== 0) yield* delivered(p, ticket, true);
        if ((yield call("ch_withdraw", c, first)) === L.OK) return L.WOULD_BLOCK;
        a = yield* space(p, kind, total, n, true); // claimed: the receiver reads the rest
      }
    } else {
      try {
        a = yield* space(p, kind, total, n, false);
      } catch (error) {
        if (first) yield* cancel(p, first);
        throw error;
      }
    }
    if (a < 0) {
      if (first) yield* cancel(p, first);
      return -a;
    }
    write(p, bytes, a, off, n);
    const pub = yield call("ch_publish", c, off === 0 ? 1 : 0);
    if (pub < 0) return -pub;
    if (off === 0) {
      first = a;
      ticket = pub;
    }
    off += n;
  } while (off < total);
  return p.capacity === 0 ? yield* handOver(p, first, ticket, attempt) : L.OK;
}

/** Writes a message in place, window by window (Channel.sendParts): `part` is the next window of
 *  the message in the ring, `offset` its offset in the message. */
export type PartsWriter = (part: Uint8Array, offset: number) => void;

/** A message of `length` bytes that `fill` writes in place (Channel.sendParts), sent by
 *  sendSteps as bytes are: each window is published when `fill` returns. */
export interface PartsSource {
  readonly length: number;
  readonly fill: PartsWriter;
}

/** Writes the message's bytes [off, off + n) at `a` in the ring: a copy, or `fill` in place. */
function write(p: ChannelPort, src: Uint8Array | PartsSource, a: number, off: number, n: number): void {
  if (src instanceof Uint8Array) copyInto(p.bytes, a, src, off, off + n);
  else src.fill(p.bytes.subarray(a, a + n), off);
}
