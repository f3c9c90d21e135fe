// recv.ts — the channel's receive, written once as a step machine (src/wait/steps.ts): the
// blocking, async and try receives, recvView, iteration and select's receive cases all run it.
//
//   recvSteps(port, agent, how, view)   one message: its bytes, or a status (below)
//   how = "wait"   take the recv lock (Mutex's lockSteps, giving up on peer-gone), wait for a
//                  message to claim, read its fragments; every wait honours the driver's
//                  deadline and signal, but the short window between a claim and the first
//                  fragment (see below)
//         "try"    one attempt: the lock by try-lock, a claim only if a message is there now;
//                  a claimed message is then read to its end (its sender is writing it)
//   view           a single-fragment message (or a batch frame's record) comes back as a view
//                  into the ring, its frame and the recv lock kept (the caller releases both:
//                  Channel.release, ch_recv_end)
//   claimed        the caller holds the recv lock as `agent` and has claimed a message (the
//                  fast path ch_recv_begin said CLAIMED): read it first
//   into           a caller's buffer (Channel.recvInto): a message that fits is copied into it
//                  and comes back as a view of it; a larger one comes back as a fresh array. Or
//                  a provider of buffers (receive-buffer reuse: Channel.recycle, the facade's
//                  assembly buffer), or { read }: the message's fragments are handed to a reader
//                  in place, one by one (Channel.recvParts), no copy on this side
//
// Results: a Uint8Array (the message: a private copy, or the view), or a status: CLOSED
// (closed and drained, for this call: see "try" below), TIMED_OUT, WOULD_BLOCK ("try": no
// message now), PEER_GONE, WOULD_DEADLOCK (the agent holds the recv lock), CORRUPT.
//
// "try" while another receiver holds the recv lock (it is inside recv, or holds a recvView
// open): on an open channel, WOULD_BLOCK (that receiver takes the messages first). On a
// closed channel never WOULD_BLOCK (a closed channel is always ready, as in Go): if messages
// are left, it waits for the lock up to GRACE_MS (send.ts) and
// takes one; if none are left, or the holder keeps the lock (a recvView held open: the
// messages behind it are that receiver's to drain), CLOSED.
//
// Giving up mid-message. A claim is made once the message is counted, a few instructions of
// its sender before its first fragment is committed (ch_publish); that wait does not give up
// ({ whole: true }). After the first fragment, a receive that gives up (deadline, abort)
// drops the message: it releases the fragments published so far (ch_fragment trims frames that
// precede a live first fragment), and the ones still to come are dead frames that the next
// claim, or the sender short of space, trims (assembly/channel.ts, reserveTrimming). The
// channel stays usable; the sender's send completes as if the message was received.
//
// A dead party (assembly/channel-recover.ts, "A party that dies"): a receiver that takes the recv lock
// over from a dead receiver (lockChannel) gets the message that one claimed and had not begun
// reading, re-delivered; one waiting for the rest of a message whose sender died gets
// CANCELLED within a ROBUST_SLICE_MS slice and claims again; with every sender dead and
// nothing left, PEER_GONE.
import * as L from "../../assembly/layout";
import { copyInto } from "../region/copy";
import { call, type Steps } from "../wait/steps";
import { GRACE_MS } from "./send";
import { GAVE_UP, lockChannel, messageLength, stepPark, tryLockChannel, WHOLE, type ChannelPort } from "./port";

export type RecvHow = "wait" | "try";

const isWouldBlock = (r: number) => r === L.WOULD_BLOCK;
/** Fragment waits re-step at least every ROBUST_SLICE_MS: a sender that died mid-message is
 *  found there (ch_fragment_step gives its message up), even where no death walk woke us. */
const SLICED = { sliceMs: L.ROBUST_SLICE_MS };
const WHOLE_SLICED = { ...WHOLE, sliceMs: L.ROBUST_SLICE_MS };
const isNoFragment = (r: number) => r === -L.WOULD_BLOCK;
/** readClaimed: the sender cancelled the message; claim again. */
const CANCELLED = -1;

/** Receives one message on the channel of `p` as `agent` (see the header). */
export function* recvSteps(p: ChannelPort, agent: number, how: RecvHow, view: boolean, claimed = false, into?: Into): Steps<Uint8Array | number> {
  const { c } = p;
  const lock = c + L.CH_RECV_LOCK;
  const attempt = how === "try";
  let l = claimed ? L.OK : attempt ? yield* tryLockChannel(p, L.CH_RECV_LOCK, agent) : yield* lockChannel(p, L.CH_RECV_LOCK, agent);
  if (attempt && (l === L.WOULD_BLOCK || l === L.WOULD_DEADLOCK)) {
    // busy: another receiver holds the lock (WOULD_DEADLOCK: this agent, with a view open)
    const st = yield call("ch_state", c);
    if (st & L.CH_PEER_GONE) return L.PEER_GONE;
    if (st === 0) return L.WOULD_BLOCK;
    if (l === L.WOULD_DEADLOCK || (yield call("ch_len", c)) === 0) return L.CLOSED;
    l = yield* lockChannel(p, L.CH_RECV_LOCK, agent, { capMs: GRACE_MS });
    if (l === L.TIMED_OUT) return L.CLOSED;
  }
  if (l !== L.OK) return l;
  let keep = false;
  try {
    for (;;) {
      let s: number;
      if (claimed) {
        s = L.OK;
        claimed = false;
      } else if (attempt) s = yield call("ch_claim", c);
      else {
        const r = yield* stepPark(c + L.CH_RECV_SEQ, call("ch_claim_step", c), isWouldBlock);
        s = r === GAVE_UP ? L.TIMED_OUT : r;
      }
      if (s !== L.OK) return s;
      const m = yield* readClaimed(p, view, attempt, into);
      if (m === CANCELLED) continue;
      if (m === L.CLOSED) return (yield call("ch_state", c)) & L.CH_PEER_GONE ? L.PEER_GONE : L.CLOSED;
      if (typeof m === "number") return m;
      keep = view && m.buffer === p.bytes.buffer;
      return m;
    }
  } finally {
    if (!keep) yield call("mutex_unlock", lock, agent);
  }
}

/** Drops the claimed message being read: releases its published fragments (recv lock held). */
function* abandon(p: ChannelPort): Steps<void> {
  yield call("ch_fragment", p.c, 0);
}

/**
 * Reads the claimed message (recv lock held, claim made): its bytes (PARTS_READ when `into` is
 * a reader: each fragment, or the one message of a batch record, was handed to it in place,
 * then released), CANCELLED, or a status (CLOSED: the channel closed mid-message; TIMED_OUT:
 * gave up after the first fragment). A reader that throws drops the rest of the message (as a
 * receive that gives up) and the error propagates.
 */
function* readClaimed(p: ChannelPort, view: boolean, attempt: boolean, into: Into | undefined): Steps<Uint8Array | number> {
  const { c, ring } = p;
  const reader = into && "read" in into ? into.read : undefined;
  let out: Uint8Array | undefined;
  let started = false;
  let got = 0;
  let total = 0;
  for (;;) {
    // before the first fragment, and in a try: waits that do not give up (see the header)
    const whole = attempt || !started;
    const n = yield* nextFragment(p, started, whole);
    if (n === GAVE_UP) {
      if (whole) continue; // the try driver: re-check
      yield* abandon(p);
      return L.TIMED_OUT;
    }
    if (n === -L.CANCELLED) return CANCELLED;
    if (n < 0) return -n;
    const a = (yield call("br_frame_addr", ring)) + L.CH_FRAG_HEADER;
    if (!started) {
      total = p.words[(a - L.CH_FRAG_HEADER + L.CH_FRAG_TOTAL) >> 2];
      if (total < n || total < 0) return L.CORRUPT;
      if (n === total) {
        // one fragment: the message, or the next record of a batch frame (assembly/channel.ts)
        const m = yield call("ch_msg_addr", c);
        if (m < 0) return -m;
        const len = messageLength(p.words, m);
        if (view) return p.bytes.subarray(m, m + len);
        if (reader) {
          try {
            reader(p.bytes.subarray(m, m + len), 0, len);
          } finally {
            yield call("ch_msg_done", c);
          }
          return PARTS_READ;
        }
        const copy = destination(into, len);
        copyInto(copy, 0, p.bytes, m, m + len);
        yield call("ch_msg_done", c);
        return copy;
      }
      started = true;
      if (!reader) out = destination(into, total);
    }
    if (got + n > total) return L.CORRUPT;
    if (out) out.set(p.bytes.subarray(a, a + n), got);
    else {
      try {
        reader?.(p.bytes.subarray(a, a + n), got, total);
      } catch (error) {
        yield call("ch_release", c);
        yield* abandon(p);
        throw error;
      }
    }
    got += n;
    yield call("ch_release", c);
    if (got === total) return out ?? PARTS_READ;
  }
}

// ---- large messages: receive buffers and fragments read in place -------------------------------

/** Reads a message in place, fragment by fragment (Channel.recvParts): `part` is a view of the
 *  next fragment in the ring, valid only during the call, `offset` its offset in the message of
 *  `total` bytes. */
export type PartsReader = (part: Uint8Array, offset: number, total: number) => void;

/**
 * Where recvSteps puts a message: a caller's buffer (used when the message fits, else a fresh
 * array), a provider of a buffer of at least n bytes (receive-buffer reuse: Channel.recycle, the
 * facade's assembly buffer), or { read }: the fragments are handed to a reader in place
 * (readClaimed) and the machine returns PARTS_READ.
 */
export type Into = Uint8Array | ((n: number) => Uint8Array) | { readonly read: PartsReader };

/** recvSteps' result once readClaimed handed a whole message to its reader. */
export const PARTS_READ = new Uint8Array(0);

/** The array a message of `n` bytes is copied to (see Into), exactly n bytes long. */
function destination(into: Into | undefined, n: number): Uint8Array {
  if (typeof into === "function") {
    const b = into(n);
    return b.length === n ? b : b.subarray(0, n);
  }
  return into instanceof Uint8Array && n <= into.length ? into.subarray(0, n) : new Uint8Array(n);
}

/**
 * Waits for the claimed message's next fragment (recv lock held): its payload length (>= 0),
 * -status, or GAVE_UP (the deadline passed). `whole`: the wait does not give up (see the header).
 * An exception at the park (abort) drops the message and propagates.
 */
function* nextFragment(p: ChannelPort, inMessage: boolean, whole: boolean): Steps<number | typeof GAVE_UP> {
  const { c, ring } = p;
  try {
    // sliced while the sender is a party whose death can be reported (always, outside tests)
    const sliced = (yield call("mutex_holder_tracked", c + L.CH_SEND_LOCK)) !== 0;
    return yield* stepPark(ring + L.BR_DATA_SEQ, call("ch_fragment_step", c, inMessage ? 1 : 0), isNoFragment, whole ? (sliced ? WHOLE_SLICED : WHOLE) : sliced ? SLICED : undefined);
  } catch (error) {
    yield* abandon(p);
    throw error;
  }
}
