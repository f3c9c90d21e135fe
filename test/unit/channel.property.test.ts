// channel.property.test.ts — model-based property tests (fast-check, fixed seed): random
// sequences of operations on a buffered Channel in ONE thread, compared step by step with a
// plain model of a Go channel (capacity in messages, a FIFO array of values) over a byte-exact
// model of its ring: every result, every error class, `len` and `closed` after each step, the
// values a closed channel drains, and the region's free bytes once the channel is freed.
//
// The ring part of the model is what src/channel/channel.ts + assembly/channel.ts + bytering.ts do, read
// from the code: a message of n encoded bytes is max(1, ceil(n / F)) fragments of at most F bytes
// (F = min(maxReserve, max(8, floor8(bufferBytes / 4 - 16)))), each a ring frame of
// 16 + pad8(payload) bytes; a frame that does not fit before the end of the buffer follows a wrap
// marker filling the rest of the lap. With no receiver, one thread can complete a message only if
// all of its frames fit in the free ring space now:
//   - a fragment that does not fit first makes the sender trim frames of withdrawn messages and
//     wrap markers at the front of the ring (it takes the recv lock for that: no receiver is
//     inside recv here), then tries once more;
//   - a first fragment that still does not fit: false / TimeoutError, nothing written;
//   - a later fragment that still does not fit: the message is withdrawn (uncounted: no partial
//     message is ever received), false / TimeoutError; its frames stay in the ring as dead
//     frames until a receive call or the next sender short of space trims them.
// sendMany writes a batch frame (one fragment: 16 + sum of 4 + pad4(n) payload bytes) for the
// messages from the next one on that fit one fragment and the free slots, when that is two or
// more (and the frame fits now), else the next message alone; a batch frame's messages are
// claimed one by one and its frame is released with the last of them.
// (This file found that before senders trimmed, an EMPTY channel refused even a 1-byte
// trySend after a refused large message, until a receiver called in: the last test.)
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RingSpace } from "../fixtures/ring-space";
import { Channel, Region } from "sabre";
import { stressLevel } from "../fixtures/stress-level";

const SEED = Number(process.env.SABRE_SEED ?? 20261123);
const RUNS = stressLevel(500);
/** vitest's 60 s per test, scaled with SABRE_STRESS (heavy: about 20 s per property here). */
const TIMEOUT = 60_000 * Math.max(1, RUNS / 500);

type Outcome = { value?: unknown; error?: string; sent?: number };
function outcome(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (e) {
    const sent = (e as { sent?: number }).sent;
    return sent === undefined ? { error: (e as Error).name } : { error: (e as Error).name, sent };
  }
}

// ---- the ring's geometry (assembly/bytering.ts, assembly/channel.ts, src/channel/channel.ts) ----------

const floor8 = (n: number) => n - (n % 8);
const pad8 = (n: number) => (n + 7) & ~7;
/** maxReserve: the largest fragment payload (br_max_frame minus the 12-byte fragment header). */
const maxFrameOf = (ring: number) => floor8(ring / 2 - 4 - 12);
/** The fragment size a send cuts messages into. */
const fragmentOf = (ring: number) => Math.min(maxFrameOf(ring), Math.max(8, floor8(ring / 4 - 4 - 12)));
/** Ring bytes of a fragment of `payload` bytes: 4 (ring frame header) + 12 (fragment header) + pad8. */
const frameBytes = (payload: number) => 16 + pad8(payload);

type Msg = { value: unknown; n: number; frames: number; batch?: { owner: Msg; left: number } };
type Entry = { start: number; size: number; marker: boolean; msg?: Msg; dead: boolean };

class ChannelModel extends RingSpace<Entry> {
  /** The Go channel: buffered values in order (len = queue.length = CH_COUNT). Ring contents
   *  (RingSpace.entries) are frames of live and withdrawn messages, and wrap markers; `end` is
   *  BR_RESERVE = BR_WRITE (every operation here publishes what it wrote). */
  queue: Msg[] = [];
  closed = false;
  readonly fragment: number;
  constructor(readonly capacity: number, readonly ring: number) {
    super(ring);
    this.fragment = fragmentOf(ring);
  }

  /** ch_reserve of one fragment: false (nothing written) when it does not fit now, even after
   *  trimming dead frames and markers at the front as the core's reserveTrimming does. */
  #reserve(payload: number, msg: Msg): boolean {
    if (this.#tryReserve(payload, msg)) return true;
    const read = this.read;
    this.#trim();
    return this.read !== read && this.#tryReserve(payload, msg);
  }

  /** Frames of withdrawn messages and wrap markers at the front (the core's trimDead). */
  #trim(): void {
    while (this.entries.length && (this.entries[0].marker || this.entries[0].dead)) this.pop();
  }

  /** br_reserve of one fragment. */
  #tryReserve(payload: number, msg: Msg): boolean {
    return this.place(frameBytes(payload), (start, size, marker) =>
      marker ? { start, size, marker, dead: false } : { start, size, marker, msg, dead: false });
  }

  /** One message of `n` encoded bytes in `frag`-byte fragments: "ok", "closed", "full", or
   *  "noSpace" (withdrawn: its frames, if any, are dead). `frag` = n for reserve(). */
  send(value: unknown, n: number, frag = this.fragment): "ok" | "closed" | "full" | "noSpace" {
    if (this.closed) return "closed";
    if (this.queue.length >= this.capacity) return "full";
    const msg: Msg = { value, n, frames: 0 };
    let off = 0;
    do {
      const p = Math.min(frag, n - off);
      if (!this.#reserve(p, msg)) {
        if (off > 0) for (const e of this.entries) if (e.msg === msg) e.dead = true; // ch_withdraw
        return "noSpace";
      }
      off += p;
      msg.frames++;
    } while (off < n);
    this.queue.push(msg);
    return "ok";
  }

  /** sendMany's batch frame (src/channel/send.ts, sendManySteps) for the messages `vs[i..)`:
   *  how many it took (0: not a batch now; send the next one alone). */
  sendBatch(vs: unknown[], ns: number[], i: number): number {
    if (this.closed || this.capacity < 2 || i + 1 >= vs.length) return 0;
    const room = this.capacity - this.queue.length;
    let bytes = 16;
    let k = 0;
    while (i + k < vs.length && k < room && bytes + 4 + ((ns[i + k] + 3) & ~3) <= this.fragment) bytes += 4 + ((ns[i + k++] + 3) & ~3);
    if (k < 2) return 0;
    const owner: Msg = { value: undefined, n: bytes, frames: 1 };
    if (!this.#reserve(bytes, owner)) return 0;
    const batch = { owner, left: k };
    for (let j = 0; j < k; j++) this.queue.push({ value: vs[i + j], n: ns[i + j], frames: 0, batch });
    return k;
  }

  /** A receive attempt: trims dead frames and markers at the front (ch_claim's trimDead), then
   *  claims and reads the next message (its frames and the markers between them). */
  recv(): { ok: true; value: unknown } | { ok: false; closed: boolean } {
    this.#trim();
    const msg = this.queue.shift();
    if (!msg) return { ok: false, closed: this.closed };
    // a batch frame's record: the frame goes with its last one
    if (msg.batch && --msg.batch.left > 0) return { ok: true, value: msg.value };
    const owner = msg.batch?.owner ?? msg;
    let frames = owner.frames;
    while (frames > 0) {
      const e = this.entries[0];
      if (!e.marker) {
        if (e.msg !== owner) throw new Error("model: frames out of order");
        frames--;
      }
      this.pop();
    }
    return { ok: true, value: msg.value };
  }
}

// ---- values -----------------------------------------------------------------------------------

const blob = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 255);
const text = (n: number, seed: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7 + seed) % 95))).join("");

type Spec = { shape: number; n: number; seed: number };
/** A msgpack value of about `n` bytes: several record shapes (the shared structure table),
 *  nested arrays, strings and Uint8Arrays. */
function msgValue({ shape, n, seed }: Spec): unknown {
  switch (shape) {
    case 0: return blob(n, seed);
    case 1: return text(n, seed);
    case 2: return { id: seed, name: text(n >> 1, seed), tags: [seed, text(3, seed), blob(n >> 1, seed)] };
    case 3: return { id: seed, nested: { list: [[1, 2, [seed]], [text(n >> 2, seed)], blob(n - (n >> 2), seed)] }, flag: (seed & 1) === 1 };
    case 4: return [seed, text(n >> 1, seed), [blob(n >> 1, seed), null, true]];
    default: return seed % 3 === 0 ? null : seed;
  }
}

type Op =
  | { op: "trySend" | "send"; v: Spec }
  | { op: "sendMany"; vs: Spec[]; timeout: number }
  | { op: "tryRecv" | "recv" | "recvView" | "close" }
  | { op: "reserve"; len: number; seed: number }
  | { op: "recvMany"; max: number };

const sizeArb = (ring: number): fc.Arbitrary<number> => {
  const f = fragmentOf(ring);
  return fc.oneof(
    { weight: 3, arbitrary: fc.nat(24) },
    { weight: 3, arbitrary: fc.nat(ring) },
    { weight: 2, arbitrary: fc.integer({ min: Math.max(0, f - 12), max: 3 * f + 12 }) },
    { weight: 2, arbitrary: fc.integer({ min: ring, max: 4 * ring }) },
  );
};

const opArb = (ring: number, raw: boolean): fc.Arbitrary<Op> => {
  const spec: fc.Arbitrary<Spec> = fc.record({ shape: raw ? fc.constant(0) : fc.nat(5), n: sizeArb(ring), seed: fc.nat(255) });
  const arbs: fc.WeightedArbitrary<Op>[] = [
    { weight: 30, arbitrary: fc.record({ op: fc.constantFrom("trySend" as const, "send" as const), v: spec }) },
    { weight: 12, arbitrary: fc.record({ op: fc.constant("sendMany" as const), vs: fc.array(spec, { maxLength: 6 }), timeout: fc.constantFrom(0, 0, 0, 1) }) },
    { weight: 30, arbitrary: fc.record({ op: fc.constantFrom("tryRecv" as const, "recv" as const) }) },
    { weight: 10, arbitrary: fc.record({ op: fc.constant("recvMany" as const), max: fc.integer({ min: 1, max: 5 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const) }) },
  ];
  if (raw) {
    arbs.push(
      { weight: 12, arbitrary: fc.record({ op: fc.constant("reserve" as const), len: fc.nat(maxFrameOf(ring) + 4), seed: fc.nat(255) }) },
      { weight: 12, arbitrary: fc.record({ op: fc.constant("recvView" as const) }) },
    );
  }
  return fc.oneof(...arbs);
};

const caseArb = (raw: boolean) =>
  fc
    .record({ capacity: fc.constantFrom(1, 2, 5), ring: fc.constantFrom(64, 128, 256, 512, 1024, 4096) })
    .chain(({ capacity, ring }) =>
      fc.record({ capacity: fc.constant(capacity), ring: fc.constant(ring), ops: fc.array(opArb(ring, raw), { maxLength: 80, size: "max" }) }),
    );

/** Runs `ops` on a fresh channel and the model, checking every step, then close + drain + free. */
function check(region: Region, raw: boolean, capacity: number, ring: number, ops: Op[]): void {
  const start = region.freeBytes;
  const ch = raw
    ? (Channel.create<Uint8Array>(region, { capacity, bufferBytes: ring, codec: "raw" }) as Channel<unknown>)
    : Channel.create<unknown>(region, { capacity, bufferBytes: ring });
  const model = new ChannelModel(capacity, ring);
  expect(ch.maxReserve).toBe(maxFrameOf(ring));
  const value = (s: Spec) => (raw ? blob(s.n, s.seed) : msgValue(s));
  // the encoded size decides ring space: ask the channel's own codec (a repeat encode gives the
  // same bytes: the msgpack structure table is already up to date)
  const size = (v: unknown) => ch.encodeForSend(v, "test").length;
  try {
    for (const step of ops) {
      let got: Outcome;
      let want: Outcome;
      switch (step.op) {
        case "trySend":
        case "send": {
          const v = value(step.v);
          const n = size(v);
          got = outcome(() => (step.op === "trySend" ? ch.trySend(v) : ch.send(v, { timeout: 0 })));
          const r = model.send(v, n);
          if (r === "ok") want = { value: step.op === "trySend" ? true : undefined };
          else if (r === "closed") want = { error: "ClosedError" };
          else want = step.op === "trySend" ? { value: false } : { error: "TimeoutError" };
          break;
        }
        case "sendMany": {
          const vs = step.vs.map(value);
          const ns = vs.map(size);
          got = outcome(() => ch.sendMany(vs, { timeout: step.timeout }));
          want = { value: undefined };
          for (let i = 0; i < vs.length; i++) {
            const k = model.sendBatch(vs, ns, i);
            if (k > 0) {
              i += k - 1;
              continue;
            }
            const r = model.send(vs[i], ns[i]);
            if (r === "ok") continue;
            want = { error: r === "closed" ? "ClosedError" : "TimeoutError", sent: i };
            break;
          }
          break;
        }
        case "reserve": {
          const data = blob(step.len, step.seed);
          got = outcome(() => {
            const view = ch.reserve(step.len, { timeout: 0 });
            view.set(data);
            ch.commit();
          });
          if (step.len > maxFrameOf(ring)) want = { error: "InvalidArgumentError" };
          else {
            const r = model.send(data, step.len, step.len);
            want = r === "ok" ? { value: undefined } : { error: r === "closed" ? "ClosedError" : "TimeoutError" };
          }
          break;
        }
        case "tryRecv": {
          got = outcome(() => ch.tryRecv());
          want = { value: model.recv() };
          break;
        }
        case "recv":
        case "recvView": {
          got = outcome(() => {
            if (step.op === "recv") return ch.recv({ timeout: 0 });
            const view = ch.recvView({ timeout: 0 });
            const copy = Uint8Array.from(view);
            ch.release();
            return copy;
          });
          const r = model.recv();
          want = r.ok ? { value: r.value } : { error: r.closed ? "ClosedError" : "TimeoutError" };
          break;
        }
        case "recvMany": {
          // the first message as recv; then those there now, up to max, stopping after one of
          // several fragments (it is read to its end by the receive machine)
          got = outcome(() => ch.recvMany(step.max, { timeout: 0 }));
          const first = model.recv();
          if (!first.ok) want = first.closed ? { value: [] } : { error: "TimeoutError" };
          else {
            const values = [first.value];
            while (values.length < step.max && model.queue.length) {
              const multi = !model.queue[0].batch && model.queue[0].frames > 1;
              const r = model.recv();
              if (!r.ok) break;
              values.push(r.value);
              if (multi) break;
            }
            want = { value: values };
          }
          break;
        }
        case "close":
          got = outcome(() => ch.close());
          model.closed = true;
          want = { value: undefined };
          break;
      }
      expect(got, JSON.stringify(step)).toEqual(want);
      expect(ch.len, "len").toBe(model.queue.length);
      expect(ch.closed, "closed").toBe(model.closed);
    }
    // close: the channel drains exactly the model's remaining values, then reports closed
    ch.close();
    model.closed = true;
    const rest = model.queue.map((m) => m.value);
    const drained: unknown[] = [];
    for (;;) {
      const r = ch.tryRecv();
      if (!r.ok) {
        expect(r).toEqual({ ok: false, closed: true });
        break;
      }
      drained.push(r.value);
      expect(drained.length).toBeLessThanOrEqual(rest.length);
    }
    expect(drained).toEqual(rest);
    expect(ch.len).toBe(0);
    expect(outcome(() => ch.recv({ timeout: 0 }))).toEqual({ error: "ClosedError" });
    expect(outcome(() => ch.trySend(raw ? new Uint8Array(1) : 1))).toEqual({ error: "ClosedError" });
  } finally {
    ch.free();
  }
  // leak: the channel block and (msgpack) its lazily allocated record table are returned
  expect(region.freeBytes, "region.freeBytes after free").toBe(start);
}

describe("Channel against a Go-channel model over a byte-exact ring model (one thread)", () => {
  it("msgpack: objects, nested arrays, strings, Uint8Arrays from 0 bytes to 4x the ring", () => {
    const region = Region.create();
    const start = region.freeBytes;
    fc.assert(
      fc.property(caseArb(false), ({ capacity, ring, ops }) => check(region, false, capacity, ring, ops)),
      { seed: SEED, numRuns: RUNS },
    );
    expect(region.freeBytes).toBe(start);
  }, TIMEOUT);

  it("raw: Uint8Array, reserve/commit and recvView/release (one fragment up to maxReserve)", () => {
    const region = Region.create();
    const start = region.freeBytes;
    fc.assert(
      fc.property(caseArb(true), ({ capacity, ring, ops }) => check(region, true, capacity, ring, ops)),
      { seed: SEED + 1, numRuns: RUNS },
    );
    expect(region.freeBytes).toBe(start);
  }, TIMEOUT);

  // The contract this file once found broken (minimal case): after a refused message larger
  // than the ring, an empty buffered channel still accepts a small message, with no receiver
  // running (the sender trims the withdrawn frames itself).
  it("contract: an empty buffered channel accepts a small trySend after a refused large one", () => {
    const region = Region.create();
    const ch = Channel.create<Uint8Array>(region, { capacity: 5, bufferBytes: 64, codec: "raw" });
    try {
      expect(ch.trySend(new Uint8Array(200))).toBe(false); // larger than the ring: refused
      expect(ch.len).toBe(0);
      expect(ch.trySend(new Uint8Array(1))).toBe(true);
      expect(ch.send(new Uint8Array(2), { timeout: 5 })).toBeUndefined();
      expect(ch.len).toBe(2);
    } finally {
      ch.free();
    }
  });
});
