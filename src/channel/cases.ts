// cases.ts — a channel's select cases (Selectable, selectable.ts): the try modes of its send
// and receive machines (send.ts, recv.ts), over a ChannelPort, so that the facade
// (Channel.selectRecv / selectSend) and the model tests (test/model/select.test.ts) build the
// same cases.
import * as L from "../../assembly/layout";
import { call } from "../wait/steps";
import type { ChannelPort } from "./port";
import { recvSteps } from "./recv";
import type { EventSource, Selectable } from "./selectable";
import { sendSteps } from "./send";

/** A receive case: the try receive; `decode` turns the bytes into the value, `fail` a status
 *  (not WOULD_BLOCK or CLOSED) into the error it throws. */
export function recvSelectable<V>(
  p: ChannelPort, agent: number, events: EventSource, decode: (bytes: Uint8Array) => V, fail: (status: number) => Error,
): Selectable<V> {
  return {
    events,
    *attempt() {
      const r = yield* recvSteps(p, agent, "try", false);
      if (r === L.WOULD_BLOCK) return { done: false };
      if (r === L.CLOSED) return { done: true, closed: true };
      if (typeof r === "number") throw fail(r);
      return { done: true, closed: false, value: decode(r) };
    },
    // a message is there, but another receiver holds the recv lock (a receiver leaving the
    // lock makes no message appear: while none is there, events suffice)
    *ready() {
      return (yield call("ch_recv_ready", p.c)) !== 0;
    },
  };
}

/** A send case of the encoded `bytes`: the try send; `fail` maps a status (CLOSED, ...) to the
 *  error it throws (a send case on a closed channel throws, as Go panics). */
export function sendSelectable(
  p: ChannelPort, agent: number, events: EventSource, bytes: Uint8Array, fail: (status: number) => Error,
): Selectable<undefined> {
  return {
    events,
    *attempt() {
      const s = yield* sendSteps(p, bytes, agent, "try");
      if (s === L.WOULD_BLOCK) return { done: false };
      if (s !== L.OK) throw fail(s);
      return { done: true, closed: false, value: undefined };
    },
    // a rendezvous channel (no event says a receiver arrived), another sender holding the
    // lock (it may withdraw a message, which bumps no event), or room now
    *ready() {
      if (p.capacity === 0 || (yield call("mutex_owner", p.c + L.CH_SEND_LOCK)) !== 0) return true;
      return (yield call("ch_send_ready", p.c)) !== L.WOULD_BLOCK;
    },
  };
}
