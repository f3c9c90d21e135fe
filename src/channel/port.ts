// port.ts — what the channel's step machines (send.ts, recv.ts) know of one channel, and the
// waits they share.
//
// A ChannelPort is plain numbers and views: the channel's offset, its ring, capacity and
// fragment size, and the memory as bytes. The Channel facade makes one per object; the model
// tests (test/model) make one on the model's memory, so that they drive the same machines.
//
// Waits. Every wait of a channel machine is the core's step convention: read the park word
// (`load`), run a `*_step` export (it registers the caller as a waiter when it says
// WOULD_BLOCK), park while the word still holds the value read, and go again (the flag form
// of assembly/wake.ts: nothing to undo after a park). `stepPark` is that loop, written once. Lock waits
// are Mutex's own machine (`lockSteps`, src/sync/mutex.ts), wrapped by `lockChannel` to give
// up with PEER_GONE when the channel is marked peer-gone (a dead thread may hold the lock
// forever; ch_mark_peer_gone wakes the lock's waiters so they see it).
import * as L from "../../assembly/layout";
import {
  ClosedError, CorruptRegionError, InvalidArgumentError, PeerGoneError, SabreError, throwStatus,
} from "../errors";
import { lockSteps } from "../sync/mutex";
import type { Deadline } from "../wait/deadline";
import { call, load, park, type CallRequest, type ParkHow, type StepHost, type Steps } from "../wait/steps";
import type { EventSource } from "./selectable";

export interface ChannelPort {
  /** Offset of the channel (assembly/channel.ts layout). */
  readonly c: number;
  /** Offset of its byte ring (c + CH_RING). */
  readonly ring: number;
  /** Messages that may be buffered; 0 = rendezvous. */
  readonly capacity: number;
  /** Largest payload of one fragment the send machine writes (a multiple of 8). */
  readonly fragment: number;
  /** The memory the channel lives in, as bytes. */
  readonly bytes: Uint8Array;
  /** The same memory as words (fragment headers are read from it). */
  readonly words: Int32Array;
}

/** The port of the channel at `c`, for a core `core` on memory `buffer`. */
export function channelPort(
  core: { br_capacity(b: number): number; br_max_frame(b: number): number; ch_capacity(c: number): number },
  buffer: ArrayBufferLike, c: number,
): ChannelPort & { readonly maxFrame: number } {
  const ring = c + L.CH_RING;
  // a fragment of n bytes takes CH_FRAG_HEADER + n padded to 8 of a ring frame
  const floor8 = (n: number) => n - (n % L.CH_FRAG_ALIGN);
  const ringBytes = core.br_capacity(ring);
  const maxFrame = floor8(core.br_max_frame(ring) - L.CH_FRAG_HEADER);
  const fragment = Math.min(maxFrame, Math.max(L.CH_FRAG_ALIGN, floor8(ringBytes / 4 - L.BR_FRAME_HEADER - L.CH_FRAG_HEADER)));
  return {
    c, ring, capacity: core.ch_capacity(c), fragment, maxFrame,
    bytes: new Uint8Array(buffer), words: new Int32Array(buffer),
  };
}

/** The length of the message whose bytes start at `address` (ch_recv_begin, ch_msg_addr): the
 *  i32 just before them (a fragment's CH_FRAG_LEN, or a batch record's length word). */
export function messageLength(words: Int32Array, address: number): number {
  return words[(address - L.CH_BATCH_RECORD) >> 2];
}

/** Parks that ignore the deadline and the signal (see stepPark). */
export const WHOLE: ParkHow = { whole: true };
/** The channel's step exports re-check for a while before they register (assembly/channel.ts):
 *  the driver parks at once instead of spinning on the word again. */
const SPUN: ParkHow = { spun: true };

/** stepPark's result when the deadline passed while the step still said "wait". */
export const GAVE_UP = Symbol("gave up");

/**
 * The core's step convention, once: `step` until `blocked(result)` is false, parking on the
 * word at `word` between tries (read before each step, which raises the waiter flag: the flag
 * form of assembly/wake.ts, where nothing is undone after a park). On a park that times out,
 * one last step; if that still blocks, returns GAVE_UP. An exception thrown at the park (abort)
 * propagates. `how`: parks that ignore the deadline
 * and the signal ({ whole: true }: they end in GAVE_UP only under the try driver, which never
 * parks), or are capped ({ capMs }: a try's grace).
 */
export function* stepPark(
  word: number, step: CallRequest, blocked: (r: number) => boolean, how?: ParkHow,
): Steps<number | typeof GAVE_UP> {
  for (;;) {
    const seen = yield load(word);
    const r = yield step;
    if (!blocked(r)) return r;
    const woke = yield park(word, seen, how ? { ...how, spun: true } : SPUN);
    if (woke === L.WAIT_TIMED_OUT) {
      const last = yield step;
      return blocked(last) ? GAVE_UP : last;
    }
  }
}

const isWouldBlock = (r: number) => r === L.WOULD_BLOCK;

/** Gives up the begun message whose first payload is at `first` (send lock held; send.ts):
 *  withdrawn, or a cancel frame written (waiting for its 8 bytes, never giving up). */
export function* cancelSteps(p: ChannelPort, first: number): Steps<number> {
  for (;;) {
    const r = yield* stepPark(p.ring + L.BR_SPACE_SEQ, call("ch_cancel_step", p.c, first), isWouldBlock, WHOLE);
    if (r !== GAVE_UP) return r;
  }
}

/**
 * The lock at `at` was taken over from a dead holder (OWNER_DEAD): undoes what that holder left
 * half done (assembly/channel-recover.ts, "A party that dies") and marks the lock consistent.
 */
function* recoverChannel(p: ChannelPort, at: number, agent: number): Steps<void> {
  if (at === L.CH_RECV_LOCK) {
    yield call("ch_recover_recv", p.c, agent);
    return;
  }
  const first = yield call("ch_recover_send", p.c);
  if (first !== 0) yield* cancelSteps(p, first);
  yield call("mutex_consistent", p.c + at, agent);
}

/**
 * Takes the channel lock at `at` (CH_SEND_LOCK or CH_RECV_LOCK) for `agent` with Mutex's
 * machine: OK, TIMED_OUT, WOULD_DEADLOCK (the agent holds it), or PEER_GONE (the channel was
 * marked peer-gone: checked before every park, and the mark wakes the lock's waiters). A lock
 * taken over from a dead holder is repaired first (recoverChannel) and then OK. `how` applies
 * to its parks (a try's grace: { capMs }).
 */
export function* lockChannel(p: ChannelPort, at: number, agent: number, how?: ParkHow): Steps<number> {
  const status = yield* lockRaw(p, at, agent, how);
  if (status !== L.OWNER_DEAD) return status;
  yield* recoverChannel(p, at, agent);
  return L.OK;
}

/** One attempt at the channel lock at `at`: OK, WOULD_BLOCK, WOULD_DEADLOCK; a lock left marked
 *  owner-died is repaired first (recoverChannel), as lockChannel does. */
export function* tryLockChannel(p: ChannelPort, at: number, agent: number): Steps<number> {
  const status = yield call("mutex_try_lock", p.c + at, agent);
  if (status !== L.OWNER_DEAD) return status;
  yield* recoverChannel(p, at, agent);
  return L.OK;
}

function* lockRaw(p: ChannelPort, at: number, agent: number, how?: ParkHow): Steps<number> {
  const inner = lockSteps(p.c + at, agent);
  let input = 0;
  for (;;) {
    const next = inner.next(input);
    if (next.done) return next.value;
    let r = next.value;
    if (r.op === "park") {
      const st = yield call("ch_state", p.c);
      if (st & L.CH_PEER_GONE) return L.PEER_GONE;
      if (how) r = park(r.address, r.expected, how);
    }
    input = yield r;
  }
}

/** The named error of a channel operation's status (every status maps to a named error). */
export function channelError(status: number, what: string, name: string, deadline?: Deadline): Error {
  const where = `${what} on ${name}`;
  switch (status) {
    case L.CLOSED:
      return new ClosedError(`${where}: the channel is closed; nothing more can be sent, and receiving ends once it is drained`);
    case L.PEER_GONE:
      return new PeerGoneError(`${where}: no one is left on the other side (every thread or process that used it from that side died, or it was marked peer-gone); create a new channel`);
    case L.TIMED_OUT:
      return deadline ? deadline.error(where) : new SabreError(`${where} timed out`);
    case L.WOULD_DEADLOCK:
      return new InvalidArgumentError(`${where}: this thread is already inside this operation on the channel (reserve without commit, or recvView without release?)`);
    case L.CORRUPT:
      return new CorruptRegionError(`${where}: a fragment header in the ring is not valid (corrupt region, or a stale handle)`);
    case L.NOT_OWNER: case L.OVERFLOW: case L.NO_MEMORY: case L.BAD_ARGUMENT:
      try {
        throwStatus(status, where);
      } catch (error) {
        return error as Error;
      }
  }
  // any other number is not a status the channel protocol produces: the words read are garbage
  return new CorruptRegionError(`${where}: the channel's shared words hold an invalid status ${status} (corrupt region, or a stale handle)`);
}

const events = new WeakMap<object, EventSource>();

/** The event word of `region` (RH_EVENT_SEQ; assembly/channel.ts bumps it), one object per
 *  region so that select registers once per region. */
export function regionEvents(region: StepHost): EventSource {
  let e = events.get(region);
  if (!e) {
    e = {
      host: region,
      word: L.REGION_BASE + L.RH_EVENT_SEQ,
      *register() {
        yield call("ch_event_wait_begin");
      },
      *unregister() {
        yield call("ch_event_wait_end");
      },
    };
    events.set(region, e);
  }
  return e;
}
