// channel-death.test.ts — schedule exploration of a sender or a receiver that DIES at an
// arbitrary step (a process killed at any instruction), on the model build of the real core,
// with the shipped step machines (src/channel/send.ts, recv.ts, port.ts's owner-died recovery):
//
//   thread 0 (the victim):  one send, or two receives (variant below) — stopped for good before
//                           its step k, k drawn per execution (the harness's `crash`)
//   thread 1:               two general sends, untimed (a sender of its own party)
//   thread 2 (receiver):    receives (5 ms each) until both live senders are done and a receive
//                           begun after the victim's end (or its death's report) timed out
//   thread 3 (watcher):     waits for the victim's end; a death is reported as a host's exit
//                           watcher reports it (party_report: its locks may be taken over); then
//                           one general send, untimed (a sender after the death)
//
// Each thread is a party of its own (party_join in setup). The channel has a 64-byte ring (8-byte
// fragments: a 20-byte message is 3 fragments); "death batch" a 256-byte ring and capacity 2.
// The receiver variants ("death receiver", "death receiver batch") make thread 0 a receiver (a
// fast receive, then a general one, 5 ms each) and thread 1 send three messages (a batch frame
// of two and one more in the batch variant). "death withdraw": a rendezvous channel, the
// victim's send gives up after 1 ms (no receiver starts before the victim ends), so it dies
// inside its withdrawal. "death send recoverer" / "death recv recoverer": a party that died
// before the run left a counted, uncommitted message / a claimed, unread one (producer 5), and
// the victim dies while it recovers that (a recovery cut short must be finished by the next).
// Checked, in every execution:
//   - every message of the live senders is received exactly once, whole, in its sender's order
//     (per receiver),
//     except that a victim receiver killed while consuming one may take it with it (one at most:
//     a message it claimed and consumed nothing of is re-delivered);
//   - a victim sender's message is received at most once and whole (never torn), and exactly once
//     when it did not die;
//   - no thread blocks forever (deadlock) or spins forever (livelock): a claim made on the dead
//     sender's message, a sender waiting for the dead one's lock, a slot it held, all end;
//   - at the end: SENT - TAKEN == COUNT == 0, no waiter registered, the recv lock free.
//
// Seeded bugs that must be found: ch-publish-uncounted-recovery (ch_recover_send drops the dead
// sender's reserved frame without asking whether it was counted: the window this test was
// written for), ch-recover-recv-blind (ch_recover_recv decides from CH_RECV_OPEN alone, as
// before the claim count and the consumption marks).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { channelPort, messageLength, type ChannelPort } from "../../src/channel/port";
import { recvSteps } from "../../src/channel/recv";
import { sendManySteps, sendSteps } from "../../src/channel/send";
import { message, pattern } from "./messages";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

type Variant = "death fast" | "death fragmented" | "death batch" | "death receiver" | "death receiver batch"
  | "death withdraw" | "death send recoverer" | "death recv recoverer";

/** Message lengths per producer p (index = sequence); producer 0 is the victim. */
const LENGTHS: Record<Variant, number[][]> = {
  "death fast": [[8], [12, 8], [], [8]],
  "death fragmented": [[20], [8, 12], [], [8]],
  "death batch": [[8, 12], [16, 8], [], [8]],
  "death receiver": [[], [20, 8, 12], [], [8]],
  "death receiver batch": [[], [8, 12, 16], [], [8]],
  "death withdraw": [[8], [12, 8], [], [8]],
  // producer 5: a party that died before the run (set up in `setup`), whose message is pending
  "death send recoverer": [[8], [12, 8], [], [8], [], [8]],
  "death recv recoverer": [[], [20, 8, 12], [], [8], [], [8]],
};
const ringBytesOf = (v: Variant) => (v === "death batch" || v === "death receiver batch" ? 256 : 64);
const capacityOf = (v: Variant) => (v === "death batch" || v === "death receiver batch" ? 2 : v === "death withdraw" ? 0 : 1);
const victimReceives = (v: Variant) => v === "death receiver" || v === "death receiver batch" || v === "death recv recoverer";

interface Ctx { ch: number; port: ChannelPort; agents: number[]; end: number }
interface State {
  got: Map<string, number>; order: { t: number; p: number; k: number }[]; liveDone: number; crashed: boolean; victimEnded: boolean;
  /** the victim's send gave up (its message withdrawn or cancelled) */
  victimTimedOut: boolean;
}
type Gen<R> = Generator<unknown, R, unknown>;

function* sendOne(t: VThread, c: Ctx, p: number, k: number, len: number, fast: boolean): Gen<number> {
  const bytes = message(p, k, len);
  if (fast) {
    const a = yield* t.call("ch_send_begin", c.ch, c.agents[t.id], len);
    if (a >= 0) {
      new Uint8Array(t.i32.buffer).set(bytes, a);
      return yield* t.call("ch_send_end", c.ch, c.agents[t.id]);
    }
    if (a !== -L.WOULD_BLOCK) return -a;
  }
  return yield* t.run(sendSteps(c.port, bytes, c.agents[t.id], "wait"), -1);
}

function check(t: VThread, v: Variant, s: State, bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.check(bytes.length >= 8, `received ${bytes.length} bytes`, "message");
  const p = dv.getInt32(0, true);
  const k = dv.getInt32(4, true);
  const len = LENGTHS[v][p]?.[k];
  t.check(len === bytes.length, `message (${p}, ${k}): ${bytes.length} bytes, expected ${len}`, "torn message");
  for (let j = 8; j < bytes.length; j++) {
    if (bytes[j] !== pattern(p, k, j)) t.fail(`message (${p}, ${k}): byte ${j} is ${bytes[j]}, expected ${pattern(p, k, j)}`, "torn message");
  }
  const id = `${p}:${k}`;
  t.check(!s.got.has(id), `message ${id} received twice`, "message");
  // in its sender's order per receiver (a receive returns after its unlock: between two
  // receivers, a later claim's receive may return first)
  const earlier = s.order.find((o) => o.t === t.id && o.p === p && o.k > k);
  t.check(!earlier, `message ${id} received after ${p}:${earlier?.k}: out of order`, "order");
  s.got.set(id, bytes.length);
  s.order.push({ t: t.id, p, k });
}

/** A receive as `t`: the facade's fast path first (`fast`), then the general machine, 5 ms. */
function* recvOne(t: VThread, v: Variant, c: Ctx, s: State, fast: boolean): Gen<number> {
  const agent = c.agents[t.id];
  if (fast) {
    const a = yield* t.call("ch_recv_begin", c.ch, agent);
    if (a >= 0) {
      const bytes = new Uint8Array(t.i32.buffer).slice(a, a + messageLength(t.i32, a));
      yield* t.pause("copy");
      t.check((yield* t.call("ch_recv_end", c.ch, agent)) === L.OK, "ch_recv_end failed");
      check(t, v, s, bytes); // received once the receive returns (a victim killed before it was not)
      return L.OK;
    }
    if (a === -L.CLAIMED) return received(t, v, s, yield* t.run(recvSteps(c.port, agent, "wait", false, true), 5));
  }
  return received(t, v, s, yield* t.run(recvSteps(c.port, agent, "wait", false), 5));
}

function received(t: VThread, v: Variant, s: State, r: Uint8Array | number): number {
  if (typeof r === "number") return r;
  check(t, v, s, r);
  return L.OK;
}

function* body(t: VThread, v: Variant, c: Ctx, s: State): Gen<void> {
  const lens = LENGTHS[v];
  if (t.id === 0 && victimReceives(v)) {
    for (let i = 0; i < 2; i++) {
      const r = yield* recvOne(t, v, c, s, i === 0);
      t.check(r === L.OK || r === L.TIMED_OUT, `the victim's recv returned ${r}`);
    }
    s.victimEnded = true;
    t.i32[c.end >> 2] = 2;
    t.notify(c.end, -1);
    return;
  }
  if (t.id === 1 && v === "death receiver batch") {
    const r = yield* t.run(sendManySteps(c.port, lens[1].slice(0, 2).map((n, k) => message(1, k, n)), c.agents[1], { sent: 0 }), -1);
    t.check(r === L.OK, `sendMany returned ${r}`);
    t.check((yield* sendOne(t, c, 1, 2, lens[1][2], false)) === L.OK, "send (1, 2) failed");
    s.liveDone++;
    return;
  }
  if (t.id === 0) {
    if (v === "death batch") {
      const r = yield* t.run(sendManySteps(c.port, lens[0].map((n, k) => message(0, k, n)), c.agents[0], { sent: 0 }), -1);
      t.check(r === L.OK, `the victim's sendMany returned ${r}`);
    } else {
      // "death withdraw": a rendezvous send that gives up after 1 ms (no receiver yet), so the
      // victim dies inside its withdrawal at some step
      const r = v === "death withdraw"
        ? yield* t.run(sendSteps(c.port, message(0, 0, lens[0][0]), c.agents[0], "wait"), 1)
        : yield* sendOne(t, c, 0, 0, lens[0][0], v === "death fast");
      if (r === L.TIMED_OUT && v === "death withdraw") s.victimTimedOut = true;
      else t.check(r === L.OK, `the victim's send returned ${r}`);
    }
    s.victimEnded = true;
    t.i32[c.end >> 2] = 2; // finished: no death to report
    t.notify(c.end, -1);
    return;
  }
  if (t.id === 1) {
    for (let k = 0; k < lens[1].length; k++) t.check((yield* sendOne(t, c, 1, k, lens[1][k], false)) === L.OK, `send (1, ${k}) failed`);
    s.liveDone++;
    return;
  }
  if (t.id === 2) {
    if (v === "death withdraw") while (t.i32[c.end >> 2] === 0) yield* t.wait(c.end, 0); // no receiver until then
    for (;;) {
      const afterEnd = s.victimEnded;
      const r = yield* recvOne(t, v, c, s, false);
      if (r === L.TIMED_OUT) {
        if (s.liveDone === 2 && afterEnd) return;
      } else t.check(r === L.OK, `recv returned ${r}`);
    }
  }
  // thread 3: the victim's exit watcher, then a sender after the death
  while (t.i32[c.end >> 2] === 0) yield* t.wait(c.end, 0);
  if (t.i32[c.end >> 2] === 1) {
    t.check((yield* t.call("party_report", c.agents[0] & L.PARTY_SLOT_MASK, 1, 1)) === 1, "the first report of a death must record it");
    s.victimEnded = true;
  }
  t.check((yield* sendOne(t, c, 3, 0, lens[3][0], false)) === L.OK, "the send after the death failed");
  s.liveDone++;
}

function deathTest(v: Variant, build = "model"): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? `channel ${v}` : `channel ${v} (${build})`,
    build,
    threads: 4,
    regionBytes: L.HEAP_START + 2048,
    stepLimit: 40_000,
    setup({ core, i32 }) {
      const ch = core.region_alloc(core.ch_size_of(ringBytesOf(v)), L.KIND_CHANNEL, 1);
      if (core.ch_init(ch, capacityOf(v), ringBytesOf(v)) !== L.OK) throw new Error("ch_init failed");
      const agents = [0, 1, 2, 3].map((i) => core.party_join(200 + i, 0, 0));
      // the recoverer variants: a party that died (reported) before the run, mid-publish of
      // message (5, 0) (counted, not committed) or holding a claim of it; the victim's own
      // operation recovers it and may be killed while it does
      if (v === "death send recoverer" || v === "death recv recoverer") {
        const dead = core.party_join(204, 0, 0);
        const bytes = message(5, 0, 8);
        if (v === "death send recoverer") {
          if (core.mutex_try_lock(ch + L.CH_SEND_LOCK, dead) !== L.OK) throw new Error("lock");
          const a = core.ch_reserve(ch, L.CH_FIRST, 8, 8);
          if (a < 0) throw new Error(`ch_reserve: ${a}`);
          new Uint8Array(i32.buffer).set(bytes, a);
          // what ch_publish has done when killed just after its count
          const w = (off: number) => (ch + off) >> 2;
          i32[w(L.CH_SEND_TICKET)] = i32[w(L.CH_SENT)] + 1;
          i32[w(L.CH_SEND_PENDING)] = 1;
          i32[w(L.CH_COUNT)] += 1;
          i32[w(L.CH_SENT)] += 1;
        } else {
          const a = core.ch_send_begin(ch, dead, 8);
          if (a < 0) throw new Error(`ch_send_begin: ${a}`);
          new Uint8Array(i32.buffer).set(bytes, a);
          if (core.ch_send_end(ch, dead) !== L.OK) throw new Error("ch_send_end");
          if (core.mutex_try_lock(ch + L.CH_RECV_LOCK, dead) !== L.OK) throw new Error("lock");
          if (core.ch_claim(ch) !== L.OK) throw new Error("ch_claim");
        }
        core.party_report(dead & L.PARTY_SLOT_MASK, 1, 1);
      }
      return { ch, port: channelPort(core, i32.buffer, ch), agents, end: core.region_alloc(4, L.KIND_RAW, 1) };
    },
    fresh: () => ({ got: new Map(), order: [], liveDone: 0, crashed: false, victimEnded: false, victimTimedOut: false }),
    crash: {
      thread: 0,
      within: v === "death fragmented" || victimReceives(v) ? 220 : 140,
      onCrash({ i32, ctx, state, notify }) {
        state.crashed = true;
        i32[ctx.end >> 2] = 1;
        notify(ctx.end, -1);
      },
    },
    body: (t, c, s) => body(t, v, c, s),
    check({ i32, ctx, state, fail }) {
      const lens = LENGTHS[v];
      const missing: string[] = [];
      for (const p of [1, 3, 5]) (lens[p] ?? []).forEach((_, k) => { if (!state.got.has(`${p}:${k}`)) missing.push(`${p}:${k}`); });
      // a victim receiver may take the one message it was consuming with it
      if (missing.length > (victimReceives(v) && state.crashed ? 1 : 0)) fail(`messages of live senders never received: ${missing.join(", ")}`, "lost message");
      if (state.victimTimedOut && state.got.has("0:0")) fail("message 0:0: its send timed out (withdrawn), yet it was received", "message");
      if (!state.crashed && !state.victimTimedOut) lens[0].forEach((_, k) => { if (!state.got.has(`0:${k}`)) fail(`message 0:${k}: the victim lived, never received`, "lost message"); });
      const w = (off: number) => i32[(ctx.ch + off) >> 2];
      const count = w(L.CH_COUNT), sent = w(L.CH_SENT), taken = w(L.CH_TAKEN);
      if (sent - taken !== count) fail(`SENT ${sent} - TAKEN ${taken} != COUNT ${count}`, "conservation");
      if (count !== 0) fail(`COUNT ${count} at the end: a message counted and never received`, "conservation");
      const ring = ctx.ch + L.CH_RING;
      const waiters = [w(L.CH_SEND_WAITERS), w(L.CH_RECV_WAITERS), i32[(ring + L.BR_DATA_WAITERS) >> 2], i32[(ring + L.BR_SPACE_WAITERS) >> 2]];
      // flags (wake.ts): one left raised costs a spare wake-up; anything but 0 or 1 is corrupt
      if (waiters.some((x) => x !== 0 && x !== 1)) fail(`waiters left registered (send, recv, ring data, ring space): ${waiters.join(", ")}`, "conservation");
      if (w(L.CH_RECV_LOCK + L.MUTEX_STATE) !== 0) fail("the recv lock is held at the end", "conservation");
    },
  };
}

// the crash point is drawn from each execution's seed: random and PCT, not DFS (see CrashSpec)
const strategies = ["pct:3", "random", "pct:2"];

describe("model: a sender dies at any step of a send", () => {
  for (const v of ["death fast", "death fragmented", "death batch", "death receiver", "death receiver batch", "death withdraw", "death send recoverer", "death recv recoverer"] as const) {
    modelSuite(deathTest(v), { executions: modelExecutions(3000), strategies, file: import.meta.url });
  }
  seededBug(deathTest("death fast", "model-bug-ch-publish-uncounted-recovery"), {
    executions: modelExecutions(3000),
    strategies,
    expect: ["deadlock", "livelock", "conservation", "lost message"],
    file: import.meta.url,
  });
  seededBug(deathTest("death receiver", "model-bug-ch-recover-recv-blind"), {
    executions: modelExecutions(3000),
    strategies,
    expect: ["deadlock", "livelock", "conservation", "lost message", "message"],
    file: import.meta.url,
  });
});
