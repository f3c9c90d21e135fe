// channel.test.ts — schedule exploration of the MPMC channel (assembly/channel.ts) on the model
// build of the real core. Virtual threads drive the core's channel exports directly, in the call
// sequences of the TypeScript facade (src/channel/channel.ts):
//
//   general send   mutex_lock(CH_SEND_LOCK) ; ch_send_ready_wait ; per fragment: ch_reserve_wait,
//                  fill from JS (a pause in the middle), ch_publish (first = 1 for the first) ;
//                  capacity 0: ch_delivered_wait, on failure ch_withdraw (OK = withdrawn: the
//                  send failed; WOULD_BLOCK = claimed: delivered) ; a failed reserve after the
//                  first fragment: ch_cancel_wait ; unlock
//   fast send      ch_send_begin ; fill ; ch_send_end  (-WOULD_BLOCK: the general send)
//   general recv   mutex_lock(CH_RECV_LOCK) ; ch_claim_wait ; read: ch_fragment (0 for the first,
//                  then 1), -WOULD_BLOCK: br_peek_wait(ring, -1) ; br_frame_addr, copy (a pause),
//                  br_release ; -CANCELLED: claim again ; -CLOSED: END ; unlock
//   fast recv      ch_recv_begin ; >= 0: copy, ch_recv_end ; -CLAIMED: the general read, then
//                  unlock ; -WOULD_BLOCK: the general recv
//
// The ring has 64 bytes and fragments carry at most 8 payload bytes (20-byte frames with the
// ring's and the channel's headers), so messages of 12 to 20 bytes are 2 or 3 fragments, the
// ring holds 3 frames, senders wait for space mid-message and wrap markers are written.
// Message (p, k) of producer p has length LEN[p][k]; its bytes are p, k (two i32) then
// pattern(p, k, j): a receiver checks its length, producer, sequence and every byte.
//
//   "channel cap1" / "channel cap2" (capacity 1 / 2): senders 0 and 1 send 2 messages each
//     (general, untimed), receivers 2 and 3 receive 2 each (general, untimed): nothing may block
//     forever, every message is received exactly once, intact, in FIFO order (the order of
//     receipt, appended under the recv lock, is the order of claims: it must equal the tickets
//     ch_publish returned, and so each producer's order).
//   "channel fast" (capacity 1): the same with sender 1 and receiver 3 on the fast paths
//     (falling back to the general ones on -WOULD_BLOCK; -CLAIMED read the general way) and
//     single-fragment messages mixed in.
//   "channel rendezvous" (capacity 0): sender 0: an untimed send, then a send that gives up at
//     once (ch_delivered_wait(0), then ch_withdraw: the facade's trySend) ; sender 1: a send with
//     a 5 ms timeout ; receiver 2: an untimed recv then a 5 ms recv ; receiver 3: a try recv
//     (fast path, then the general read of a claimed message), if it got nothing a 5 ms recv
//     (so the untimed recv always has a message left: any deadlock is a lost wake-up). Checked: a message is received (exactly once) iff its send reported OK;
//     a send reports OK only after the receive that got it began its claim (history ticks).
//   "channel rendezvous close": the same at capacity 0 (sender 1's fast send is a general one:
//     the facade's fast path is for capacity > 0), plus the rendezvous check.
//   "channel close race": one fast send, a receiver until CLOSED, a close (deeper PCT).
//   "channel close" (capacity 1): sender 0 sends 2 messages (the second fragments), sender 1
//     a fast send then a fragmented general send, receiver 2 receives until CLOSED, thread 3
//     closes at any point, then tries one receive (fast path, then the general read of a
//     claimed message). Checked: sends return
//     OK or CLOSED; the messages received are exactly those whose send returned OK (receivers
//     drain them before CLOSED), in order, intact; no thread blocks forever.
//
// End of every run: SENT - TAKEN == COUNT (and COUNT == 0: all drained), no waiter registered on
// the channel or its ring, both locks free, the ring empty (READ == WRITE; after a close only the
// frames of a message withdrawn after the last claim may remain, never a live first fragment).
//
// Seeded bugs that must be found (model-bug-* builds, assembly/channel.ts):
//   ch-publish-count-after-commit (the real bug this test found, fixed: ch_publish committed the
//   first fragment, then counted it; a close in between let every receiver return CLOSED with
//   COUNT 0 while the send then returned OK: a lost message),
//   ch-close-state-first (the second real bug, fixed: ch_close set CH_STATE before closing the
//   ring, so a send could count and commit between the two while a receiver saw closed, COUNT 0),
//   ch-claim-close-hides-message (ch_claim returns CLOSED when it sees the close after a failed
//   claim, without re-reading COUNT: a message published just before the close is lost),
//   ch-claim-no-wake (a claim does not wake senders parked for a slot or for delivery).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

const RING_BYTES = 64;
const FRAG = 8;
const pattern = (p: number, k: number, j: number) => (p * 71 + k * 37 + j * 11 + 5) & 0xff;

type Variant = "channel cap1" | "channel cap2" | "channel fast" | "channel rendezvous" | "channel close" | "channel close race" | "channel rendezvous close";

/** Message lengths per producer (index = sequence). */
function lengths(v: Variant): number[][] {
  switch (v) {
    case "channel cap1":
    case "channel cap2":
      return [[16, 12], [20, 8]];
    case "channel fast":
      return [[16, 8], [8, 20]];
    case "channel rendezvous":
      return [[12, 8], [8]];
    case "channel close":
    case "channel rendezvous close":
      return [[8, 16], [8, 20]];
    case "channel close race":
      return [[8]];
  }
}
const capacityOf = (v: Variant) => (v === "channel cap2" ? 2 : v === "channel rendezvous" || v === "channel rendezvous close" ? 0 : 1);
const closes = (v: Variant) => v === "channel close" || v === "channel close race" || v === "channel rendezvous close";

interface Ctx { ch: number; ring: number }
interface Sent { status: number; ticket: number; retTick: number }
interface Got { p: number; k: number; claimTick: number }
interface State {
  began: Set<string>;
  sent: Map<string, Sent>;
  /** messages received, in the order of claims (appended under the recv lock) */
  order: Got[];
  ticks: number;
}
type Gen<R> = Generator<unknown, R, unknown>;
const key = (p: number, k: number) => `${p}:${k}`;

// ---- sending ---------------------------------------------------------------------------------

/** A fast-path begin as an op of the history (for the coverage line): its result is 0 for an
 *  address (>= 0), else the negated status; returns the address or status itself. */
function* addressOp(t: VThread, name: string, args: unknown[], call: Gen<number>): Gen<number> {
  let a = 0;
  yield* t.op(name, args, (function* () {
    a = yield* call;
    return a >= 0 ? 0 : a;
  })());
  return a;
}

function* fill(t: VThread, a: number, p: number, k: number, off: number, n: number) {
  const u8 = new Uint8Array(t.i32.buffer);
  const byte = (j: number) => (j < 4 ? (p >> (8 * j)) & 0xff : j < 8 ? (k >> (8 * (j - 4))) & 0xff : pattern(p, k, j));
  const half = n >> 1;
  for (let j = 0; j < half; j++) u8[a + j] = byte(off + j);
  yield* t.pause("fill");
  for (let j = half; j < n; j++) u8[a + j] = byte(off + j);
}

/** The facade's #sendBytes: OK or a status. `ms` < 0: untimed; 0: give up at once (trySend). */
function* sendGeneral(t: VThread, c: Ctx, s: State, p: number, k: number, len: number, cap: number, ms: number): Gen<number> {
  const lockMs = ms === 0 ? -1 : ms;
  const l = yield* t.call("mutex_lock", c.ch + L.CH_SEND_LOCK, t.agent, lockMs);
  if (l !== L.OK) return l;
  const r = yield* sendLocked(t, c, s, p, k, len, cap, ms, lockMs);
  const u = yield* t.call("mutex_unlock", c.ch + L.CH_SEND_LOCK, t.agent);
  t.check(u === L.OK, `send unlock returned ${u}`);
  return r;
}

function* sendLocked(t: VThread, c: Ctx, s: State, p: number, k: number, len: number, cap: number, ms: number, lockMs: number): Gen<number> {
  const r = yield* t.call("ch_send_ready_wait", c.ch, lockMs);
  if (r !== L.OK) return r;
  let off = 0;
  let first = 0;
  let ticket = 0;
  do {
    const n = Math.min(FRAG, len - off);
    const a = yield* t.call("ch_reserve_wait", c.ch, off === 0 ? L.CH_FIRST : L.CH_CONT, len, n, lockMs);
    if (a < 0) {
      if (first) {
        const x = yield* t.op("cancel", [], t.call("ch_cancel_wait", c.ch, first));
        t.check(x === L.OK || x === L.CANCELLED || x === L.CLOSED, `ch_cancel_wait returned ${x}`);
      }
      return -a;
    }
    if (off === 0) {
      s.began.add(key(p, k));
      s.sent.set(key(p, k), { status: -1, ticket: 0, retTick: -1 });
    }
    yield* fill(t, a, p, k, off, n);
    const pub = yield* t.call("ch_publish", c.ch, off === 0 ? 1 : 0);
    if (pub < 0) return -pub;
    if (off === 0) {
      first = a;
      ticket = pub;
      s.sent.get(key(p, k))!.ticket = ticket;
    }
    off += n;
  } while (off < len);
  if (cap === 0) {
    const d = yield* t.call("ch_delivered_wait", c.ch, ticket, ms);
    if (d !== L.OK) {
      const w = yield* t.op("withdraw", [], t.call("ch_withdraw", c.ch, first));
      t.check(w === L.OK || w === L.WOULD_BLOCK, `ch_withdraw returned ${w}`);
      if (w === L.OK) return d;
    }
  }
  return L.OK;
}

/** The facade's #sendFast (capacity > 0 only), falling back to the general send. */
function* sendFast(t: VThread, c: Ctx, s: State, p: number, k: number, len: number, cap: number): Gen<number> {
  if (len <= FRAG && cap > 0) {
    const a = yield* addressOp(t, "send_begin", [len], t.call("ch_send_begin", c.ch, t.agent, len));
    if (a >= 0) {
      s.began.add(key(p, k));
      s.sent.set(key(p, k), { status: -1, ticket: 0, retTick: -1 });
      yield* fill(t, a, p, k, 0, len);
      const r = yield* t.call("ch_send_end", c.ch, t.agent);
      t.check(r === L.OK || r === L.CLOSED, `ch_send_end returned ${r}`);
      return r;
    }
    if (a !== -L.WOULD_BLOCK) return -a;
  }
  return yield* sendGeneral(t, c, s, p, k, len, cap, -1);
}

function* send(t: VThread, c: Ctx, s: State, p: number, k: number, len: number, cap: number, how: "general" | "fast", ms = -1): Gen<number> {
  const r = yield* t.op(`send${how === "fast" ? "Fast" : ""}`, [p, k, len, ms], how === "fast" ? sendFast(t, c, s, p, k, len, cap) : sendGeneral(t, c, s, p, k, len, cap, ms));
  const rec = s.sent.get(key(p, k));
  if (r === L.OK) {
    t.check(rec !== undefined, `send(${p}, ${k}) returned OK but published nothing`);
    rec!.status = L.OK;
    rec!.retTick = ++s.ticks;
  } else if (rec) {
    rec.status = r;
  }
  return r;
}

// ---- receiving -------------------------------------------------------------------------------

/** Checks a received message in memory at `a` (a single fragment) or in `bytes`. */
function checkMessage(t: VThread, v: Variant, s: State, bytes: Uint8Array, claimTick: number) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.check(bytes.length >= 8, `received a message of ${bytes.length} bytes`, "message");
  const p = dv.getInt32(0, true);
  const k = dv.getInt32(4, true);
  const lens = lengths(v);
  t.check(p >= 0 && p < lens.length && k >= 0 && k < lens[p].length, `received a message with producer ${p}, sequence ${k}`, "message");
  t.check(bytes.length === lens[p][k], `message (${p}, ${k}): ${bytes.length} bytes, expected ${lens[p][k]}`, "message");
  for (let j = 8; j < bytes.length; j++) {
    if (bytes[j] !== pattern(p, k, j)) t.fail(`message (${p}, ${k}): byte ${j} is ${bytes[j]}, expected ${pattern(p, k, j)} (read before it was written?)`, "message");
  }
  t.check(s.began.has(key(p, k)), `message (${p}, ${k}) received before its send began`, "message");
  t.check(!s.order.some((g) => g.p === p && g.k === k), `message (${p}, ${k}) received twice`, "message");
  const last = s.order.filter((g) => g.p === p).pop();
  t.check(!last || last.k < k, `message (${p}, ${k}) received after (${p}, ${last?.k}): out of order`, "order");
  s.order.push({ p, k, claimTick });
  const rec = s.sent.get(key(p, k));
  if (rec && rec.ticket > 0 && capacityOf(v) > 0) {
    t.check(rec.ticket === s.order.length, `message (${p}, ${k}) had ticket ${rec.ticket} but is the ${s.order.length}th claimed: not FIFO`, "order");
  }
}

/** The facade's #readClaimed: the bytes, "cancelled", or END (a status). Recv lock held. */
function* readClaimed(t: VThread, c: Ctx): Gen<Uint8Array | "cancelled" | number> {
  const u8 = new Uint8Array(t.i32.buffer);
  let out: Uint8Array | undefined;
  let got = 0;
  for (;;) {
    const n = yield* t.call("ch_fragment", c.ch, out ? 1 : 0);
    if (n === -L.WOULD_BLOCK) {
      yield* t.call("br_peek_wait", c.ring, -1);
      continue;
    }
    if (n === -L.CANCELLED) return "cancelled";
    if (n < 0) {
      t.check(n === -L.CLOSED, `ch_fragment returned ${n}`);
      return L.CLOSED;
    }
    const a = (yield* t.call("br_frame_addr", c.ring)) + L.CH_FRAG_HEADER;
    if (!out) {
      const total = t.i32[(a - L.CH_FRAG_HEADER + L.CH_FRAG_TOTAL) >> 2];
      t.check(total >= n && total > 0 && total <= 64, `first fragment: total ${total}, fragment ${n}`, "message");
      out = new Uint8Array(total);
    }
    t.check(got + n <= out.length, `fragments longer than the total ${out.length}`, "message");
    out.set(u8.subarray(a, a + n), got);
    yield* t.pause("copy");
    got += n;
    t.check((yield* t.call("br_release", c.ring)) === L.OK, "br_release failed");
    if (got === out.length) return out;
  }
}

/** The facade's #recvBytes: OK (a message checked) or a status (CLOSED, TIMED_OUT). */
function* recvGeneral(t: VThread, c: Ctx, s: State, v: Variant, ms: number, claimTick: number): Gen<number> {
  const l = yield* t.call("mutex_lock", c.ch + L.CH_RECV_LOCK, t.agent, ms);
  if (l !== L.OK) return l;
  const r = yield* recvLocked(t, c, s, v, ms, claimTick);
  const u = yield* t.call("mutex_unlock", c.ch + L.CH_RECV_LOCK, t.agent);
  t.check(u === L.OK, `recv unlock returned ${u}`);
  return r;
}

function* recvLocked(t: VThread, c: Ctx, s: State, v: Variant, ms: number, claimTick: number): Gen<number> {
  for (;;) {
    const r = yield* t.call("ch_claim_wait", c.ch, ms);
    if (r !== L.OK) {
      t.check(r === L.CLOSED || (r === L.TIMED_OUT && ms >= 0), `ch_claim_wait returned ${r}`);
      return r;
    }
    const m = yield* readClaimed(t, c);
    if (m === "cancelled") continue;
    if (typeof m === "number") return m;
    checkMessage(t, v, s, m, claimTick);
    return L.OK;
  }
}

/** The facade's #recvFast: OK, CLOSED, or WOULD_BLOCK (take the general path). */
function* recvFastOnce(t: VThread, c: Ctx, s: State, v: Variant, claimTick: number): Gen<number> {
  const a = yield* addressOp(t, "recv_begin", [], t.call("ch_recv_begin", c.ch, t.agent));
  if (a >= 0) {
    const n = t.i32[(a - L.CH_FRAG_HEADER + L.CH_FRAG_TOTAL) >> 2];
    const copy = new Uint8Array(t.i32.buffer).slice(a, a + n);
    yield* t.pause("copy");
    checkMessage(t, v, s, copy, claimTick); // before ch_recv_end: still under the recv lock
    t.check((yield* t.call("ch_recv_end", c.ch, t.agent)) === L.OK, "ch_recv_end failed");
    return L.OK;
  }
  if (a === -L.WOULD_BLOCK || a === -L.CLOSED) return -a;
  t.check(a === -L.CLAIMED, `ch_recv_begin returned ${a}`);
  const m = yield* readClaimed(t, c);
  if (m instanceof Uint8Array) checkMessage(t, v, s, m, claimTick);
  t.check((yield* t.call("mutex_unlock", c.ch + L.CH_RECV_LOCK, t.agent)) === L.OK, "recv unlock failed");
  if (m === "cancelled") return L.WOULD_BLOCK;
  return typeof m === "number" ? m : L.OK;
}

function* recv(t: VThread, c: Ctx, s: State, v: Variant, how: "general" | "fast" | "try", ms = -1): Gen<number> {
  return yield* t.op(`recv${how === "general" ? "" : how === "fast" ? "Fast" : "Try"}`, [ms], (function* () {
    const claimTick = ++s.ticks;
    if (how !== "general") {
      const r = yield* recvFastOnce(t, c, s, v, claimTick);
      if (r !== L.WOULD_BLOCK || how === "try") return r;
    }
    return yield* recvGeneral(t, c, s, v, ms, claimTick);
  })());
}

// ---- the tests ---------------------------------------------------------------------------------

function* body(t: VThread, v: Variant, c: Ctx, s: State) {
  const lens = lengths(v);
  const cap = capacityOf(v);
  if (v === "channel rendezvous") {
    if (t.id === 0) {
      const r0 = yield* send(t, c, s, 0, 0, lens[0][0], cap, "general", -1);
      t.check(r0 === L.OK, `untimed rendezvous send returned ${r0}`);
      const r1 = yield* send(t, c, s, 0, 1, lens[0][1], cap, "general", 0);
      t.check(r1 === L.OK || r1 === L.TIMED_OUT, `send with timeout 0 returned ${r1}`);
    } else if (t.id === 1) {
      const r = yield* send(t, c, s, 1, 0, lens[1][0], cap, "general", 5);
      t.check(r === L.OK || r === L.TIMED_OUT, `timed send returned ${r}`);
    } else if (t.id === 2) {
      t.check((yield* recv(t, c, s, v, "general", -1)) === L.OK, "untimed recv failed");
      yield* recv(t, c, s, v, "general", 5);
    } else if ((yield* recv(t, c, s, v, "try")) === L.WOULD_BLOCK) {
      yield* recv(t, c, s, v, "general", 5);
    }
    return;
  }
  if (v === "channel close race") {
    // one fast send, one receiver until CLOSED, one close: the shortest race of a send's
    // commit with a close (thread 1 does nothing)
    if (t.id === 0) {
      const r = yield* send(t, c, s, 0, 0, lens[0][0], cap, "fast");
      t.check(r === L.OK || r === L.CLOSED, `send returned ${r}`);
    } else if (t.id === 2) {
      for (;;) {
        const r = yield* recv(t, c, s, v, "general");
        if (r === L.CLOSED) break;
        t.check(r === L.OK, `recv returned ${r}`);
      }
    } else if (t.id === 3) {
      yield* t.op("close", [], t.call("ch_close", c.ch));
    }
    return;
  }
  if (v === "channel close" || v === "channel rendezvous close") {
    if (t.id === 0 || t.id === 1) {
      for (let k = 0; k < lens[t.id].length; k++) {
        const r = yield* send(t, c, s, t.id, k, lens[t.id][k], cap, t.id === 1 && k === 0 ? "fast" : "general");
        t.check(r === L.OK || r === L.CLOSED, `send(${t.id}, ${k}) returned ${r}`);
        if (r !== L.OK) return;
      }
    } else if (t.id === 2) {
      for (;;) {
        const r = yield* recv(t, c, s, v, "general");
        if (r === L.CLOSED) break;
        t.check(r === L.OK, `recv returned ${r}`);
      }
    } else {
      yield* t.op("close", [], t.call("ch_close", c.ch));
      const r = yield* recv(t, c, s, v, "try");
      t.check(r === L.OK || r === L.WOULD_BLOCK || r === L.CLOSED, `try recv returned ${r}`);
    }
    return;
  }
  // cap1 / cap2 / fast: 2 senders x 2 messages, 2 receivers x 2 messages, untimed
  const fast = v === "channel fast" && (t.id === 1 || t.id === 3);
  if (t.id < 2) {
    for (let k = 0; k < lens[t.id].length; k++) {
      const r = yield* send(t, c, s, t.id, k, lens[t.id][k], cap, fast ? "fast" : "general");
      t.check(r === L.OK, `send(${t.id}, ${k}) returned ${r}`);
    }
  } else {
    for (let i = 0; i < 2; i++) {
      const r = yield* recv(t, c, s, v, fast ? "fast" : "general");
      t.check(r === L.OK, `recv returned ${r}`);
    }
  }
}

function channelTest(v: Variant, build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? v : `${v} (${build})`,
    build,
    threads: 4,
    regionBytes: L.HEAP_START + 2048,
    setup({ core }) {
      const size = core.ch_size_of(RING_BYTES);
      const ch = core.region_alloc(size, L.KIND_CHANNEL, 1);
      if (core.ch_init(ch, capacityOf(v), RING_BYTES) !== L.OK) throw new Error("ch_init failed");
      return { ch, ring: ch + L.CH_RING };
    },
    fresh: () => ({ began: new Set(), sent: new Map(), order: [], ticks: 0 }),
    body: (t, c, s) => body(t, v, c, s),
    check({ i32, ctx, state, history, fail }) {
      const w = (off: number) => i32[(ctx.ch + off) >> 2];
      const received = new Set(state.order.map((g) => key(g.p, g.k)));
      // exactly the messages whose send returned OK were received
      for (const [k, rec] of state.sent) {
        if (rec.status === L.OK && !received.has(k)) fail(`message ${k}: its send returned OK, never received`, "lost message");
        if (rec.status !== L.OK && received.has(k)) fail(`message ${k}: received, but its send returned ${rec.status}`, "lost message");
      }
      for (const k of received) if (!state.sent.has(k)) fail(`message ${k}: received, never published`, "message");
      if (v !== "channel rendezvous" && !closes(v)) {
        if (state.order.length !== 4) fail(`received ${state.order.length} of 4 messages`, "lost message");
      }
      if (capacityOf(v) === 0) {
        // a rendezvous send completes only after the receive that got it began its claim
        for (const g of state.order) {
          const rec = state.sent.get(key(g.p, g.k))!;
          if (rec.status === L.OK && !(g.claimTick < rec.retTick)) fail(`message (${g.p}, ${g.k}): send returned OK before its receiver began to claim`, "rendezvous");
        }
      }
      void history;
      const count = w(L.CH_COUNT), sent = w(L.CH_SENT), taken = w(L.CH_TAKEN);
      if (sent - taken !== count) fail(`SENT ${sent} - TAKEN ${taken} != COUNT ${count}`, "conservation");
      if (count !== 0) fail(`COUNT ${count} at the end: a message left unclaimed`, "conservation");
      const waiters = [w(L.CH_SEND_WAITERS), w(L.CH_RECV_WAITERS), i32[(ctx.ring + L.BR_DATA_WAITERS) >> 2], i32[(ctx.ring + L.BR_SPACE_WAITERS) >> 2]];
      if (waiters.some((x) => x !== 0)) fail(`waiters left registered (send, recv, ring data, ring space): ${waiters.join(", ")}`, "conservation");
      if (w(L.CH_SEND_LOCK + L.MUTEX_STATE) !== 0 || w(L.CH_RECV_LOCK + L.MUTEX_STATE) !== 0) fail("a lock is held at the end", "conservation");
      // the ring is drained: READ == WRITE, except after a close, which may leave the frames of
      // a message withdrawn after the last claim (ch_cancel): never a live first fragment
      let read = i32[(ctx.ring + L.BR_READ) >> 2];
      const write = i32[(ctx.ring + L.BR_WRITE) >> 2] & L.BR_POS_MASK;
      if (read !== write && !closes(v)) fail(`ring READ ${read} != WRITE ${write} at the end`, "conservation");
      for (let n = 0; read !== write && n < 16; n++) {
        const at = ctx.ring + L.BR_DATA + (read & (RING_BYTES - 1));
        const len = i32[at >> 2];
        if (len === L.BR_WRAP) {
          read = (read + RING_BYTES - (read & (RING_BYTES - 1))) & L.BR_POS_MASK;
          continue;
        }
        const kind = i32[(at + L.BR_FRAME_HEADER + L.CH_FRAG_KIND) >> 2];
        if (kind === L.CH_FIRST) fail(`a live message (${len} bytes) left in the ring at ${read} after the receivers saw CLOSED`, "lost message");
        read = (read + L.BR_FRAME_HEADER + ((len + 3) & ~3)) & L.BR_POS_MASK;
      }
    },
  };
}

describe("model: channel", () => {
  modelSuite(channelTest("channel cap1", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(channelTest("channel cap2", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(channelTest("channel fast", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(channelTest("channel rendezvous", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(channelTest("channel close", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  modelSuite(channelTest("channel rendezvous close", "model"), { executions: modelExecutions(5000), file: import.meta.url });
  // the close race needs a receiver mid-claim while close is between its two steps and a
  // sender between its ready check and its commit: deeper PCT finds it, DFS (bound 2-4) does not
  const deep = ["pct:5", "pct:4", "random"];
  modelSuite(channelTest("channel close race", "model"), { executions: modelExecutions(20_000), strategies: deep, file: import.meta.url });
  // the real bug this test found (fixed in ch_publish), kept as a regression
  seededBug(channelTest("channel close", "model-bug-ch-publish-count-after-commit"), {
    executions: modelExecutions(5000),
    expect: ["lost message", "conservation"],
    file: import.meta.url,
  });
  // the second real bug (fixed in ch_close): the heavy run found it after 28 733 executions
  seededBug(channelTest("channel close race", "model-bug-ch-close-state-first"), {
    executions: modelExecutions(20_000),
    strategies: deep,
    expect: ["lost message", "conservation"],
    file: import.meta.url,
  });
  seededBug(channelTest("channel close", "model-bug-ch-claim-close-hides-message"), {
    executions: modelExecutions(5000),
    expect: ["lost message", "conservation"],
    file: import.meta.url,
  });
  seededBug(channelTest("channel cap1", "model-bug-ch-claim-no-wake"), {
    executions: modelExecutions(5000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
