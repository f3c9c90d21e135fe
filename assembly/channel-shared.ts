// channel-shared.ts — the channel's internal helpers that more than one of its files calls
// (channel.ts, channel-recover.ts, channel-fast.ts). None is a core export: index.ts does not
// re-export this file (every export of a file it re-exports becomes a wasm export).
//
//   ring(c)                         the channel's byte ring (at CH_RING, bytering.ts layout)
//   wakeSenders, wakeReceivers      the flag-form wake-ups (wake.ts) of CH_SEND_SEQ / CH_RECV_SEQ,
//                                   registered in CH_SEND_WAITERS / CH_RECV_WAITERS
//   liveFirst, stateStatus          what a fragment kind and a CH_STATE word mean
//   chSides, othersDied             the side masks CH_SENDERS / CH_RECEIVERS (or-ed by the lock's
//                                   holder) and CH_ATTACHED, and the side rule of
//                                   channel-recover.ts's header (read only once CH_PARTY_DIED is set)
//   uncountUnclaimed                a ring closed under counted, uncommitted messages: the
//                                   COUNT|SENT word by cas (send lock held; ch_publish,
//                                   ch_recover_send)
//   markConsumption                 CH_RECV_MARK_NEXT, then CH_RECV_MARK, before a consumption
//                                   (recv lock held; ch_release, ch_msg_done)
//
// The words, their writers and the channel's invariants are channel.ts's header; each helper
// keeps them as its comment says.
import { load32, or32, load64, cas64 } from "./atom";
import { party_state, party_pid, party_thread } from "./party";
import {
  CLOSED, PEER_GONE, CH_COUNT, CH_SEND_WAITERS, CH_RECV_WAITERS, CH_SEND_SEQ, CH_RECV_SEQ, CH_RING,
  CH_PEER_GONE, CH_FIRST, CH_BATCH, BR_READ, ANONYMOUS_AGENT, MUTEX_OWNER, CH_RECV_MARK,
  CH_RECV_MARK_NEXT, CH_SENT_SHIFT, CH_GONE, CH_PARTY_DIED, CH_ATTACHED, CH_HOSTED,
  PARTY_SLOT_MASK, AGENT_MASK, PARTY_DIED,
} from "./layout";
import { wakeFlagged } from "./wake";

export const NOTIFY_ALL: i32 = -1;

// @ts-ignore: decorator
@inline export function ring(c: usize): usize { return c + CH_RING; }

// @ts-ignore: decorator
@inline export function wakeSenders(c: usize): void {
  wakeFlagged(c + CH_SEND_WAITERS, c + CH_SEND_SEQ, NOTIFY_ALL);
}

// @ts-ignore: decorator
@inline export function wakeReceivers(c: usize): void {
  wakeFlagged(c + CH_RECV_WAITERS, c + CH_RECV_SEQ, NOTIFY_ALL);
}

/** Whether a fragment kind is the first fragment of a live message (a batch frame is one too). */
// @ts-ignore: decorator
@inline export function liveFirst(kind: i32): bool {
  return (kind & ~CH_BATCH) == CH_FIRST;
}

// @ts-ignore: decorator
@inline export function stateStatus(st: i32): i32 {
  return (st & CH_PEER_GONE) ? PEER_GONE : CLOSED;
}

/** The party slot of the holder of the lock at `lock` (0: none, untracked or anonymous). */
// @ts-ignore: decorator
@inline export function holderSlot(lock: usize): i32 {
  const owner = load32(lock + MUTEX_OWNER);
  return owner == ANONYMOUS_AGENT ? 0 : owner & AGENT_MASK & PARTY_SLOT_MASK;
}

/** Sets the bit of party `slot` in the mask at `mask` (an or only the first time). */
// @ts-ignore: decorator
@inline export function markSlot(mask: usize, slot: i32): void {
  if (slot == 0) return;
  const word = mask + (<usize>(slot >> 5) << 2);
  const bit = 1 << (slot & 31);
  if ((load<i32>(word) & bit) == 0) or32(word, bit);
}

/** Records the party holding the lock at `lock` in the side mask at `side` (under that lock). */
// @ts-ignore: decorator
@inline export function chSides(lock: usize, side: usize): void {
  markSlot(side, holderSlot(lock));
}

/**
 * Whether the other side of the holder of the lock at `lock` has entirely died (see
 * channel-recover.ts's header): `side` is the mask of that other side's users, `mine` the mask
 * of the holder's side. Only evaluated once CH_PARTY_DIED is set.
 */
export function othersDied(c: usize, lock: usize, side: usize, mine: usize): bool {
  if ((load32(c + CH_GONE) & (CH_PARTY_DIED | CH_HOSTED)) != (CH_PARTY_DIED | CH_HOSTED)) return false;
  const self = holderSlot(lock);
  let any = false;
  for (let w = 0; w < 2; w++) {
    const at = <usize>w << 2;
    let used = load32(side + at);
    // attached parties that never used the holder's side may use the other; the holder's own
    // thread counts only if it used the other side itself (then it is alive: not gone)
    let idle = load32(c + CH_ATTACHED + at) & ~load32(mine + at) & ~used;
    while (used != 0) {
      const slot = (w << 5) + ctz(used);
      used &= used - 1;
      if (party_state(slot) != PARTY_DIED) return false;
      any = true;
    }
    while (idle != 0) {
      const slot = (w << 5) + ctz(idle);
      idle &= idle - 1;
      // the holder's thread (under any of its slots: a host may have registered it too) is no other
      if (self != 0 && party_pid(slot) == party_pid(self) && party_thread(slot) == party_thread(self)) continue;
      if (party_state(slot) != PARTY_DIED) return false;
      any = true;
    }
  }
  return any;
}

/**
 * The ring was closed before the `first` messages just counted were committed: uncounts the
 * ones no receiver claimed. They are the last ones begun and claims are FIFO (as in
 * ch_withdraw), so min(COUNT, first) of them are unclaimed; a receiver that claimed one finds
 * the ring closed and drained. Send lock held.
 */
export function uncountUnclaimed(c: usize, first: i32): void {
  while (true) {
    const w = load64(c + CH_COUNT);
    const n = <i32>w;
    if (n <= 0) return;
    const k = n < first ? n : first;
    if (cas64(c + CH_COUNT, w, w - ((<i64>k << CH_SENT_SHIFT) | <i64>k)) == w) return;
  }
}

/** Records where the claimed message's consumption begins: the front frame's BR_READ and,
 *  for a batch record, the cursor `next` (-1 a plain frame). Recv lock held. */
// @ts-ignore: decorator
@inline export function markConsumption(c: usize, next: i32): void {
  store<i32>(c + CH_RECV_MARK_NEXT, next);
  store<i32>(c + CH_RECV_MARK, load32(ring(c) + BR_READ));
}
