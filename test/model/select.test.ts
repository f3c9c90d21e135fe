// select.test.ts — schedule exploration of select (src/channel/select.ts) over two channels on
// the model build of the real core. Virtual threads run the SHIPPED select machine
// (selectSteps, the loop select and selectAsync run) over the shipped channel cases
// (src/channel/cases.ts: the try modes of the send and receive machines), and the shipped send
// and receive machines, through the model's driver (t.run). Channels: capacity 1, a 64-byte
// ring, 8-byte messages (producer, sequence).
//
//   "select default send" / "select default close" (Go's TestNonblockSelectRace and
//   TestNonblockSelectRace2): c1 holds a message from the start.
//     thread 0: select([recv c1, recv c2], { default })
//     thread 1: send on c2 (or: close c2), then a try receive on c1 (Go's select with default)
//     At every instant c1 holds its message or c2 is ready (holds one, or is closed), so
//     thread 0 must never take the default.
//   "select blocking": thread 0: two blocking selects over [recv c1, recv c2]; thread 1 sends
//     on c1, thread 2 on c2; thread 3: select([send c1], { default }) (a third message, or the
//     default). Two messages always come, so both selects complete (a lost wake-up is a
//     deadlock).
// Checked in every run: each select completes exactly one case; every message is received at
// most once, and every message whose send returned OK is received or still counted in its
// channel at the end (none lost); a select takes the default only in "select blocking" (thread
// 3); no event waiter left registered, both channels' locks free.
//
// Seeded bug that must be found: ch-claim-no-wake (a claim does not wake senders parked for a
// slot: thread 1 or 3 parks behind a full c1 forever).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { recvSelectable, sendSelectable } from "../../src/channel/cases";
import { channelPort, regionEvents, type ChannelPort } from "../../src/channel/port";
import { recvSteps } from "../../src/channel/recv";
import { NO_CASE, TIMED_OUT, selectSteps, type ActiveCase } from "../../src/channel/select";
import { sendSteps } from "../../src/channel/send";
import type { StepHost } from "../../src/wait/steps";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

type Variant = "select default send" | "select default close" | "select blocking";
const RING_BYTES = 64;
/** The agent that pre-loads c1 in setup (no virtual thread uses it). */
const SETUP_AGENT = 0x7ff0;

interface Ctx { ports: ChannelPort[] }
interface State {
  /** messages whose send returned OK ("p:k") */
  sent: Set<string>;
  received: string[];
}
type Gen<R> = Generator<unknown, R, unknown>;

const messageBytes = (p: number, k: number) => new Uint8Array(new Int32Array([p, k]).buffer);
const keyOf = (b: Uint8Array) => {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return `${dv.getInt32(0, true)}:${dv.getInt32(4, true)}`;
};
/** Every case parks on one event source: the model's single memory (the host is only a key). */
const host = {} as StepHost;
const fail = (status: number) => new Error(`case failed with status ${status}`);

function* send(t: VThread, c: Ctx, s: State, ch: number, p: number, k: number): Gen<number> {
  const r = yield* t.op("send", [ch, p, k], t.run(sendSteps(c.ports[ch], messageBytes(p, k), t.agent, "wait")));
  if (r === L.OK) s.sent.add(`${p}:${k}`);
  return r;
}

/** Go's `select { case <-c: default: }`: the try receive (the facade's fast path first). */
function* tryRecv(t: VThread, c: Ctx, s: State, ch: number): Gen<number> {
  return yield* t.op("tryRecv", [ch], (function* () {
    const r = yield* t.run(recvSteps(c.ports[ch], t.agent, "try", false));
    if (typeof r === "number") return r;
    s.received.push(keyOf(r));
    return L.OK;
  })());
}

/** A select over `cases`, recording what it received; returns the case index or -1 (default). */
function* select(t: VThread, c: Ctx, s: State, cases: (["recv", number] | ["send", number, number, number])[], withDefault: boolean): Gen<number> {
  const events = regionEvents(host);
  const active: ActiveCase[] = cases.map((k, index) => ({
    index,
    kind: k[0],
    selectable: k[0] === "recv"
      ? recvSelectable(c.ports[k[1]], t.agent, events, (b) => keyOf(b), fail)
      : sendSelectable(c.ports[k[1]], t.agent, events, messageBytes(k[2], k[3]), fail),
  }));
  let flip = 0;
  const random = () => (flip++ & 1 ? 0.99 : 0); // both orders of two cases, deterministically
  return yield* t.op(withDefault ? "selectDefault" : "select", [cases.length], (function* () {
    const r = yield* t.run(selectSteps(active, withDefault, random));
    t.check(r !== TIMED_OUT, "an untimed select timed out");
    if (r === NO_CASE || r === TIMED_OUT) return -1;
    const k = cases[r.index];
    if (k[0] === "recv") {
      t.check(!r.closed || r.value === undefined, "a closed case carried a value");
      if (!r.closed) s.received.push(r.value as string);
    } else s.sent.add(`${k[2]}:${k[3]}`);
    return r.index;
  })());
}

function* body(t: VThread, v: Variant, c: Ctx, s: State) {
  if (v !== "select blocking") {
    if (t.id === 0) {
      const r = yield* select(t, c, s, [["recv", 0], ["recv", 1]], true);
      t.check(r !== -1, "select took the default although c1 held a message or c2 was ready at every instant", "select default");
    } else if (t.id === 1) {
      if (v === "select default send") t.check((yield* send(t, c, s, 1, 1, 0)) === L.OK, "send on c2 failed");
      else yield* t.op("close", [1], t.call("ch_close", c.ports[1].c));
      yield* tryRecv(t, c, s, 0);
    }
    return;
  }
  if (t.id === 0) {
    for (let i = 0; i < 2; i++) t.check((yield* select(t, c, s, [["recv", 0], ["recv", 1]], false)) >= 0, "a blocking select gave up");
  } else if (t.id === 1 || t.id === 2) {
    t.check((yield* send(t, c, s, t.id - 1, t.id, 0)) === L.OK, `send on c${t.id} failed`);
  } else {
    yield* select(t, c, s, [["send", 0, 3, 0]], true);
  }
}

function selectTest(v: Variant, build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? v : `${v} (${build})`,
    build,
    threads: v === "select blocking" ? 4 : 2,
    regionBytes: L.HEAP_START + 2048,
    setup({ core, i32 }) {
      const ports = [0, 1].map(() => {
        const ch = core.region_alloc(core.ch_size_of(RING_BYTES), L.KIND_CHANNEL, 1);
        if (core.ch_init(ch, 1, RING_BYTES) !== L.OK) throw new Error("ch_init failed");
        return channelPort(core, i32.buffer, ch);
      });
      if (v !== "select blocking") {
        // c1 holds message (0, 0) from the start
        const a = core.ch_send_begin(ports[0].c, SETUP_AGENT, 8);
        if (a < 0) throw new Error(`ch_send_begin returned ${a}`);
        new Uint8Array(i32.buffer).set(messageBytes(0, 0), a);
        core.ch_send_end(ports[0].c, SETUP_AGENT);
      }
      return { ports };
    },
    fresh: () => ({ sent: new Set(v !== "select blocking" ? ["0:0"] : []), received: [] }),
    body: (t, c, s) => body(t, v, c, s),
    check({ i32, ctx, state, fail: violation }) {
      const seen = new Set<string>();
      for (const k of state.received) {
        if (seen.has(k)) violation(`message ${k} received twice`, "message");
        if (!state.sent.has(k)) violation(`message ${k} received, never sent`, "message");
        seen.add(k);
      }
      const left = ctx.ports.reduce((n, p) => n + Math.max(0, i32[(p.c + L.CH_COUNT) >> 2]), 0);
      if (seen.size + left !== state.sent.size) {
        violation(`${state.sent.size} messages sent, ${seen.size} received and ${left} left in the channels: lost`, "lost message");
      }
      if (i32[(L.REGION_BASE + L.RH_EVENT_WAITERS) >> 2] !== 0) violation("an event waiter is left registered", "conservation");
      for (const p of ctx.ports) {
        if (i32[(p.c + L.CH_SEND_LOCK + L.MUTEX_STATE) >> 2] !== 0 || i32[(p.c + L.CH_RECV_LOCK + L.MUTEX_STATE) >> 2] !== 0) {
          violation(`a lock of the channel at ${p.c} is held at the end`, "conservation");
        }
      }
    },
  };
}

describe("model: select", () => {
  modelSuite(selectTest("select default send", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(selectTest("select default close", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(selectTest("select blocking", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  seededBug(selectTest("select blocking", "model-bug-ch-claim-no-wake"), {
    executions: modelExecutions(5000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
