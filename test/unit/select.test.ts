// select.test.ts — select / selectAsync through the public entry. Ported from Go's
// runtime/chan_test.go and select tests (TestNonblockRecvRace / select with default,
// TestSelectFairness, TestSelfSelect's closed-channel cases, timeouts via time.After), plus
// real worker threads waking a parked select, cases in two regions, rendezvous channels,
// a verifier that counts every message, and no leaked event-waiter registration; Go's
// TestNonblockSelectRace and TestNonblockSelectRace2 (a select with a default is atomic); a
// select over channels and mailboxes together (Mailbox is Selectable too).
import { describe, expect, it } from "vitest";
import {
  AbortError, Barrier, Channel, ClosedError, CodecError, InvalidArgumentError, Mailbox, Region,
  TimeoutError, recvCase, select, selectAsync, sendCase,
} from "sabre";
import { startJobWorker } from "../fixtures/job-worker";
import * as L from "../../assembly/layout";
import { expectEverySequenceOnce } from "../fixtures/verify";


const worker = startJobWorker;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Event waiters registered on the region's event word (0 when no select waits). */
const eventWaiters = (region: Region) => Atomics.load(region.words, (L.REGION_BASE + L.RH_EVENT_WAITERS) >> 2);

describe("select: default case (Go: select with default)", () => {
  it("nothing ready -> { index: -1 }; a ready case -> that case", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const b = Channel.create<string>(region, { capacity: 1 });
    expect(select([recvCase(a), recvCase(b)], { default: true })).toEqual({ index: -1 });
    expect(await selectAsync([recvCase(a), recvCase(b)], { default: true })).toEqual({ index: -1 });
    b.send("x");
    expect(select([recvCase(a), recvCase(b)], { default: true })).toEqual({ index: 1, closed: false, value: "x" });
    a.send(7);
    expect(await selectAsync([recvCase(a), recvCase(b)], { default: true })).toEqual({ index: 0, closed: false, value: 7 });
    expect(eventWaiters(region)).toBe(0);
  });

  it("send cases: full -> default; room -> sent", () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    expect(select([sendCase(a, 1)], { default: true })).toEqual({ index: 0 });
    expect(select([sendCase(a, 2)], { default: true })).toEqual({ index: -1 });
    expect(a.len).toBe(1);
    expect(a.recv()).toBe(1);
    expect(a.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("disabled cases (null / undefined / false) are never chosen and keep the indices", () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    a.send(3);
    expect(select([null, undefined, false, recvCase(a)], { timeout: 1000 })).toEqual({ index: 3, closed: false, value: 3 });
    expect(select([null], { default: true })).toEqual({ index: -1 });
    expect(() => select([null, undefined])).toThrow(InvalidArgumentError);
    expect(() => select([])).toThrow(InvalidArgumentError);
    expect(() => select([], { timeout: 5 })).toThrow(TimeoutError);
  });

  it("bad cases and options get clear errors", () => {
    const a = Channel.create<number>(Region.create(), { capacity: 1 });
    expect(() => select([{ kind: "recv", channel: {} } as never])).toThrow(InvalidArgumentError);
    expect(() => select("x" as never)).toThrow(InvalidArgumentError);
    expect(() => recvCase({} as never)).toThrow(InvalidArgumentError);
    expect(() => select([recvCase(a)], { timeout: -1 })).toThrow(InvalidArgumentError);
  });

  it("a send case's value is encoded before anything is tried: a codec error consumes nothing", () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const out = Channel.create<unknown>(region, { capacity: 1 });
    a.send(1);
    expect(() => select([recvCase(a), sendCase(out, () => 1)])).toThrow(CodecError);
    expect(a.len).toBe(1);
    expect(out.len).toBe(0);
  });
});

describe("select: timeout and abort", () => {
  it("TimeoutError, and nothing is lost: a value sent after the timeout is received later", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const b = Channel.create<number>(region, { capacity: 1 });
    expect(() => select([recvCase(a), recvCase(b)], { timeout: 20 })).toThrow(TimeoutError);
    expect(eventWaiters(region)).toBe(0);
    await expect(selectAsync([recvCase(a), recvCase(b)], { timeout: 20 })).rejects.toThrow(TimeoutError);
    expect(eventWaiters(region)).toBe(0);
    a.send(5);
    expect(a.recv({ timeout: 1000 })).toBe(5);
    expect(() => select([recvCase(a)], { timeout: 0 })).toThrow(TimeoutError);
  });

  it("a timed-out send case leaves nothing behind", () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 2 });
    a.send(1);
    a.send(2);
    expect(() => select([sendCase(a, 99)], { timeout: 20 })).toThrow(TimeoutError);
    expect(a.len).toBe(2);
    expect([a.recv(), a.recv()]).toEqual([1, 2]);
    expect(a.tryRecv()).toEqual({ ok: false, closed: false });
    expect(eventWaiters(region)).toBe(0);
  });

  it("AbortSignal: aborted before -> AbortError (both forms); aborted while parked -> AbortError (async)", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const aborted = AbortSignal.abort();
    expect(() => select([recvCase(a)], { signal: aborted })).toThrow(AbortError);
    await expect(selectAsync([recvCase(a)], { signal: aborted })).rejects.toThrow(AbortError);
    const ac = new AbortController();
    const p = selectAsync([recvCase(a)], { signal: ac.signal, timeout: 20_000 });
    await sleep(20);
    expect(eventWaiters(region)).toBe(1);
    ac.abort();
    await expect(p).rejects.toThrow(AbortError);
    expect(eventWaiters(region)).toBe(0);
    a.send(1);
    expect(a.recv({ timeout: 1000 })).toBe(1);
  });
});

describe("select: closed channels (Go: a closed channel is always ready to receive)", () => {
  it("a recv case on a closed channel drains it, then reports closed", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 2 });
    const b = Channel.create<number>(region, { capacity: 1 });
    a.send(1);
    a.close();
    expect(select([recvCase(a), recvCase(b)])).toEqual({ index: 0, closed: false, value: 1 });
    expect(select([recvCase(a), recvCase(b)])).toEqual({ index: 0, closed: true });
    expect(await selectAsync([recvCase(b), recvCase(a)])).toEqual({ index: 1, closed: true });
  });

  it("close wakes a parked select", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const p = selectAsync([recvCase(a)], { timeout: 20_000 });
    await sleep(20);
    a.close();
    expect(await p).toEqual({ index: 0, closed: true });
    expect(eventWaiters(region)).toBe(0);
  });

  it("a send case on a closed channel throws ClosedError and nothing else is consumed", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const closed = Channel.create<number>(region, { capacity: 1 });
    closed.close();
    expect(() => select([recvCase(a), sendCase(closed, 1)])).toThrow(ClosedError);
    await expect(selectAsync([recvCase(a), sendCase(closed, 1)])).rejects.toThrow(ClosedError);
    expect(eventWaiters(region)).toBe(0);
    // with a ready recv case, either may be chosen (Go's random order); never both
    for (let i = 0; i < 20; i++) {
      a.send(i);
      try {
        expect(select([recvCase(a), sendCase(closed, 1)])).toEqual({ index: 0, closed: false, value: i });
      } catch (error) {
        expect(error).toBeInstanceOf(ClosedError);
        expect(a.recv()).toBe(i);
      }
    }
  });
});

describe("select: fairness (Go: TestSelectFairness)", () => {
  it("two always-ready channels: each wins between 35% and 65% of 2000 selects", () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 2 });
    const b = Channel.create<number>(region, { capacity: 2 });
    a.send(0);
    b.send(1);
    const wins = [0, 0];
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const r = select([recvCase(a), recvCase(b)]);
      if (r.closed) throw new Error("closed");
      wins[r.index]++;
      (r.index === 0 ? a : b).send(r.value);
    }
    expect(wins[0]).toBeGreaterThan(N * 0.35);
    expect(wins[1]).toBeGreaterThan(N * 0.35);
  });

  it("three cases, one never ready, two always ready (send and recv): no starvation", () => {
    const region = Region.create();
    const idle = Channel.create<number>(region, { capacity: 1 });
    const src = Channel.create<number>(region, { capacity: 1 });
    const sink = Channel.create<number>(region, { capacity: 1 });
    src.send(0);
    const wins = [0, 0, 0];
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const r = select([recvCase(idle), recvCase(src), sendCase(sink, i)]);
      wins[r.index]++;
      if (r.index === 1) src.send(0);
      else sink.recv();
    }
    expect(wins[0]).toBe(0);
    expect(wins[1]).toBeGreaterThan(N * 0.35);
    expect(wins[2]).toBeGreaterThan(N * 0.35);
  });
});

describe("select: woken by other threads", () => {
  for (const form of ["select", "selectAsync"] as const) {
    it(`${form} parked on two channels is woken by a send from a worker`, async () => {
      const region = Region.create();
      const a = Channel.create<number>(region, { capacity: 1 });
      const b = Channel.create<number>(region, { capacity: 1 });
      const w = worker("select-worker.mjs", { op: "sendAfter", channel: b.handle, value: 42, delay: 50 });
      await w.ready;
      const cases = [recvCase(a), recvCase(b)] as const;
      const r = form === "select" ? select(cases, { timeout: 20_000 }) : await selectAsync(cases, { timeout: 20_000 });
      expect(r).toEqual({ index: 1, closed: false, value: 42 });
      expect(await w.result).toEqual({ ok: null });
      await w.exited;
      expect(eventWaiters(region)).toBe(0);
    });

    it(`${form} over cases in two regions is woken by a send in either`, async () => {
      const r1 = Region.create();
      const r2 = Region.create();
      const a = Channel.create<string>(r1, { capacity: 1 });
      const b = Channel.create<string>(r2, { capacity: 1 });
      for (const [target, index] of [[b, 1], [a, 0]] as const) {
        const w = worker("select-worker.mjs", { op: "sendAfter", channel: target.handle, value: `to ${index}`, delay: 30 });
        await w.ready;
        const cases = [recvCase(a), recvCase(b)] as const;
        const r = form === "select" ? select(cases, { timeout: 20_000 }) : await selectAsync(cases, { timeout: 20_000 });
        expect(r).toEqual({ index, closed: false, value: `to ${index}` });
        await w.exited;
      }
      expect(eventWaiters(r1)).toBe(0);
      expect(eventWaiters(r2)).toBe(0);
    });
  }

  it("rendezvous: a recv case takes from a sender blocked in send (worker)", async () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 0 });
    const other = Channel.create<number>(region, { capacity: 0 });
    const w = worker("channel-worker.mjs", { channel: ch.handle, op: "send", value: 7 });
    await w.ready;
    expect(select([recvCase(other), recvCase(ch)], { timeout: 20_000 })).toEqual({ index: 1, closed: false, value: 7 });
    expect(await w.result).toEqual({ ok: null });
    await w.exited;
  });

  for (const form of ["select", "selectAsync"] as const) {
    it(`rendezvous: a ${form} send case meets a receiver blocked in recv (worker)`, async () => {
      const region = Region.create();
      const ch = Channel.create<number>(region, { capacity: 0 });
      const idle = Channel.create<number>(region, { capacity: 0 });
      expect(select([sendCase(ch, 1)], { default: true })).toEqual({ index: -1 }); // nobody receives
      const w = worker("channel-worker.mjs", { channel: ch.handle, op: "recv" });
      await w.ready;
      await sleep(20);
      const cases = [recvCase(idle), sendCase(ch, 42)] as const;
      const r = form === "select" ? select(cases, { timeout: 20_000 }) : await selectAsync(cases, { timeout: 20_000 });
      expect(r).toEqual({ index: 1 });
      expect(await w.result).toEqual({ ok: 42 });
      await w.exited;
      expect(ch.len).toBe(0);
    });
  }
});

describe("select: a verifier counts every message", () => {
  // producers send with send/trySend (on a buffered and a rendezvous channel), or with a select
  // over send cases on both channels (a buffered pair: select-to-select cannot meet at capacity 0)
  for (const bySelect of [false, true]) {
    it(`2 producer workers (${bySelect ? "select over send cases" : "send / trySend"}) x K sequenced messages on 2 channels; select until both closed: each once, in order`, async () => {
      const K = 1000;
      const region = Region.create({ size: 1 << 20 });
      const channels = [Channel.create<{ p: number; seq: number }>(region, { capacity: 4 }), Channel.create<{ p: number; seq: number }>(region, { capacity: bySelect ? 1 : 0 })];
      const barrier = Barrier.create(region, 2);
      const workers = [0, 1].map((id) =>
        worker("select-worker.mjs", { op: "produce", id, count: K, seed: 1234 + id, channels: channels.map((c) => c.handle), barrier: barrier.handle, bySelect }),
      );
      await Promise.all(workers.map((w) => w.ready));
      const seen: number[][] = [[], []];
      const last = [[-1, -1], [-1, -1]]; // last[p][channel]
      const open = [true, true];
      let outOfOrder = 0;
      let useAsync = false;
      while (open[0] || open[1]) {
        const cases = [open[0] && recvCase(channels[0]), open[1] && recvCase(channels[1])] as const;
        const r = useAsync ? await selectAsync(cases, { timeout: 20_000 }) : select(cases, { timeout: 20_000 });
        useAsync = !useAsync;
        if (r.closed) {
          open[r.index] = false;
          continue;
        }
        const { p, seq } = r.value;
        if (seq <= last[p][r.index]) outOfOrder++;
        last[p][r.index] = seq;
        seen[p].push(seq);
      }
      for (const w of workers) expect(await w.result).toEqual({ ok: K });
      await Promise.all(workers.map((w) => w.exited));
      expect(outOfOrder).toBe(0);
      expectEverySequenceOnce([{ seen }], 2, K);
      expect(eventWaiters(region)).toBe(0);
    });
  }
});

describe("select with a default is atomic (Go's TestNonblockSelectRace, TestNonblockSelectRace2)", () => {
  const ROUNDS = 5000;
  for (const variant of ["send", "close"] as const) {
    it(`${variant === "send" ? "TestNonblockSelectRace: c2 gets a value" : "TestNonblockSelectRace2: c2 is closed"} while c1's value is taken: never the default`, async () => {
      const region = Region.create({ size: 16 << 20 });
      const barrier = Barrier.create(region, 2);
      const pairs = Array.from({ length: ROUNDS }, () => {
        const c1 = Channel.create<number>(region, { capacity: 1, bufferBytes: 64 });
        const c2 = Channel.create<number>(region, { capacity: 1, bufferBytes: 64 });
        c1.send(1);
        return [c1, c2];
      });
      const w = worker("race-worker.mjs", { barrier: barrier.handle, channels: pairs.map((p) => p.map((c) => c.handle)), op: "select" });
      await w.ready;
      for (const [c1, c2] of pairs) {
        barrier.wait({ timeout: 20_000 });
        if (variant === "send") c2.send(1);
        else c2.close();
        select([recvCase(c1)], { default: true });
      }
      expect(await w.result).toEqual({ ok: { defaults: 0, rounds: ROUNDS } });
      await w.exited;
    });
  }
});

describe("select over channels and mailboxes together (Selectable)", () => {
  it("a mailbox receive case: default when empty, the message when one is there, saved messages first", async () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 1 });
    const mb = Mailbox.create<string | number>(region);
    expect(select([recvCase(ch), recvCase(mb)], { default: true })).toEqual({ index: -1 });
    mb.send(1);
    mb.send("two");
    // a selective receive saves 1 while it looks for a string; the select case takes it first
    expect(mb.receive((v): v is string => typeof v === "string", { timeout: 1000 })).toBe("two");
    expect(select([recvCase(ch), recvCase(mb)], { default: true })).toEqual({ index: 1, closed: false, value: 1 });
    mb.send("three");
    expect(await selectAsync([recvCase(ch), recvCase(mb)], { timeout: 1000 })).toEqual({ index: 1, closed: false, value: "three" });
    expect(eventWaiters(region)).toBe(0);
  });

  it("a blocking select on a channel and a mailbox is woken by a worker's mailbox send", async () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 1 });
    const mb = Mailbox.create<string>(region);
    const w = worker("select-worker.mjs", { op: "mailAfter", mailbox: mb.handle, delay: 50, value: "hello" });
    await w.ready;
    expect(select([recvCase(ch), recvCase(mb)], { timeout: 10_000 })).toEqual({ index: 1, closed: false, value: "hello" });
    expect((await w.result).ok).toBeNull();
    await w.exited;
    expect(eventWaiters(region)).toBe(0);
  });

  it("selectAsync is woken by a mailbox send from this thread's event loop; a closed, drained mailbox is ready with { closed: true }", async () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 1 });
    const mb = Mailbox.create<number>(region);
    setTimeout(() => mb.send(42), 20);
    expect(await selectAsync([recvCase(ch), recvCase(mb)], { timeout: 10_000 })).toEqual({ index: 1, closed: false, value: 42 });
    mb.close();
    expect(select([recvCase(ch), recvCase(mb)], { timeout: 1000 })).toEqual({ index: 1, closed: true });
  });

  it("refuses a case that is neither a channel nor a mailbox", () => {
    expect(() => recvCase({} as never)).toThrow(InvalidArgumentError);
    expect(() => recvCase({} as never)).toThrow(/expected a Channel or a Mailbox, got Object/);
  });
});
