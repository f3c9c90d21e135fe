// channel.test.ts — Channel through the public entry. Semantics ported from Go's
// runtime/chan_test.go (TestChan: buffered and unbuffered, FIFO, len/cap, non-blocking ops,
// close wakes blocked receivers and senders, receivers drain a closed channel; TestMultiConsumer),
// plus fragmentation, zero-copy, cancel mid-message, options and leaks; and regressions: Go's
// TestNonblockRecvRace, tries beside a held message, async tasks of one thread, timeouts after a
// claim, peer-gone over a dead lock holder, corrupt frames, a normal exit keeps the channel open.
import { describe, expect, it } from "vitest";
import {
  AbortError, Barrier, Channel, ClosedError, CodecError, CorruptRegionError, ForeignHandleError, InvalidArgumentError, MessageTooLargeError, PeerGoneError,
  Region, TimeoutError, recvCase, select,
} from "sabre";
import * as L from "../../assembly/layout";
import { startJobWorker } from "../fixtures/job-worker";


const worker = (data: Record<string, unknown>) => startJobWorker("channel-worker.mjs", data);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 255);

describe("Channel (Go's TestChan)", () => {
  for (const cap of [0, 1, 2, 10]) {
    it(`capacity ${cap}: receive from empty blocks, non-blocking recv fails`, () => {
      const ch = Channel.create<number>(Region.create(), { capacity: cap });
      expect(ch.capacity).toBe(cap);
      expect(ch.len).toBe(0);
      expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
      expect(() => ch.recv({ timeout: 5 })).toThrow(TimeoutError);
    });

    it(`capacity ${cap}: send to full blocks, non-blocking send fails; FIFO; len counts messages`, () => {
      const ch = Channel.create<number>(Region.create(), { capacity: cap });
      for (let i = 0; i < cap; i++) {
        expect(ch.trySend(i)).toBe(true);
        expect(ch.len).toBe(i + 1);
      }
      expect(ch.trySend(99)).toBe(false);
      expect(() => ch.send(99, { timeout: 5 })).toThrow(TimeoutError);
      expect(ch.len).toBe(cap);
      for (let i = 0; i < cap; i++) expect(ch.recv()).toBe(i);
      expect(ch.len).toBe(0);
    });

    it(`capacity ${cap}: close wakes a blocked receiver; a closed channel drains, then ends`, async () => {
      const ch = Channel.create<number>(Region.create(), { capacity: cap });
      const w = worker({ channel: ch.handle, op: "recv" });
      await w.ready;
      await sleep(30);
      ch.close();
      expect(await w.result).toMatchObject({ error: "ClosedError" });
      await w.exited;
      const ch2 = Channel.create<number>(Region.create(), { capacity: cap });
      for (let i = 0; i < cap; i++) ch2.send(i);
      ch2.close();
      expect(ch2.closed).toBe(true);
      expect(() => ch2.send(1)).toThrow(ClosedError);
      expect([...ch2]).toEqual(Array.from({ length: cap }, (_, i) => i));
      expect(() => ch2.recv()).toThrow(ClosedError);
      expect(ch2.tryRecv()).toEqual({ ok: false, closed: true });
    });

    it(`capacity ${cap}: values cross threads in order (sendMany -> for await)`, async () => {
      const ch = Channel.create<number>(Region.create(), { capacity: cap });
      const values = Array.from({ length: 200 }, (_, i) => i);
      const consumer = worker({ channel: ch.handle, op: "recvAllAsync" });
      const producer = worker({ channel: ch.handle, op: "sendMany", values });
      expect(await producer.result).toEqual({ ok: 200 });
      ch.close();
      expect(await consumer.result).toEqual({ ok: values });
      await Promise.all([producer.exited, consumer.exited]);
    });
  }

  it("rendezvous: send completes only when a receiver takes the value", async () => {
    const ch = Channel.create<string>(Region.create(), { capacity: 0 });
    expect(() => ch.send("x", { timeout: 10 })).toThrow(TimeoutError);
    expect(ch.len).toBe(0); // the timed-out send was withdrawn
    const w = worker({ channel: ch.handle, op: "recv" });
    await w.ready;
    ch.send("hello", { timeout: 10_000 });
    expect(await w.result).toEqual({ ok: "hello" });
    await w.exited;
    // the withdrawn message is never received
    const w2 = worker({ channel: ch.handle, op: "recv", timeout: 100 });
    expect(await w2.result).toMatchObject({ error: "TimeoutError" });
    await w2.exited;
  });

  it("rendezvous: a blocked sender is woken by close with ClosedError", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 0 });
    const w = worker({ channel: ch.handle, op: "send", value: 1 });
    await w.ready;
    await sleep(30);
    ch.close();
    expect(await w.result).toMatchObject({ error: "ClosedError" });
    await w.exited;
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
  });

  it("a sender blocked on a full buffer is woken by a receive", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 1 });
    ch.send(1);
    const w = worker({ channel: ch.handle, op: "sendAsync", value: 2 });
    await w.ready;
    await sleep(20);
    expect(ch.recv()).toBe(1);
    expect(await w.result).toEqual({ ok: null });
    expect(ch.recv()).toBe(2);
    await w.exited;
  });

  it("multi-consumer (Go's TestMultiConsumer): 3 producers, 3 consumers, every value once", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 5, bufferBytes: 256 });
    const n = 300;
    const producers = [0, 1, 2].map((p) => worker({ channel: ch.handle, op: "sendMany", values: Array.from({ length: n }, (_, i) => p * n + i) }));
    const consumers = [0, 1, 2].map((i) => worker({ channel: ch.handle, op: i === 0 ? "recvAll" : "recvAllAsync" }));
    await Promise.all(producers.map((p) => p.result));
    ch.close();
    const got = (await Promise.all(consumers.map((c) => c.result))).flatMap((r) => r.ok as number[]);
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 3 * n }, (_, i) => i));
    await Promise.all([...producers, ...consumers].map((w) => w.exited));
  });
});

describe("Channel messages", () => {
  it("fragments messages larger than the ring; a receiver reassembles them", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 2, bufferBytes: 256, codec: "raw" });
    const big = bytes(10_000, 3);
    const got = ch.recvAsync();
    await ch.sendAsync(big);
    expect(await got).toEqual(big);
    // a fragmented message that fits in the ring needs no receiver
    ch.send(bytes(100, 1)); // two fragments that fit in the ring together: no receiver needed
    expect(ch.recv()).toEqual(bytes(100, 1));
    ch.send(new Uint8Array(0));
    expect(ch.recv()).toEqual(new Uint8Array(0));
  });

  it("a sender that times out mid-message withdraws it: the next message arrives whole", async () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 4, bufferBytes: 256, codec: "raw" });
    expect(() => ch.send(bytes(1000), { timeout: 20 })).toThrow(TimeoutError);
    expect(ch.len).toBe(0);
    // its frames still take ring bytes until a receiver skips them: receive concurrently
    const r1 = ch.recvAsync();
    await ch.sendAsync(bytes(10, 9));
    expect(await r1).toEqual(bytes(10, 9));
    // async, aborted mid-message
    const ac = new AbortController();
    const p = ch.sendAsync(bytes(1000), { signal: ac.signal });
    await sleep(10);
    ac.abort();
    await expect(p).rejects.toThrow(AbortError);
    const r2 = ch.recvAsync();
    await ch.sendAsync(bytes(20, 5));
    expect(await r2).toEqual(bytes(20, 5));
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("a sender that gives up after a receiver claimed the message sends a cancel: the receiver gets the next message", async () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 4, bufferBytes: 256, codec: "raw" });
    const w = worker({ channel: ch.handle, op: "recvAsync" });
    await w.ready;
    // the receiver claims the first fragment and reads on; the sender fills the ring faster than
    // a 1 ms timeout allows for 200 KB... either outcome must leave the receiver a whole message
    let sentBig = true;
    try {
      ch.send(bytes(200_000), { timeout: 1 });
    } catch (error) {
      expect(error).toBeInstanceOf(TimeoutError);
      sentBig = false;
    }
    if (!sentBig) ch.send(bytes(30, 7));
    const r = await w.result;
    expect(r.error).toBeUndefined();
    expect((r.ok as Uint8Array).length).toBe(sentBig ? 200_000 : 30);
    await w.exited;
  });

  it("zero-copy: reserve/commit and recvView/release", () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 2, bufferBytes: 1024, codec: "raw" });
    // the largest single fragment: half the ring less the frame and fragment headers, to 8
    expect(ch.maxReserve).toBe(1024 / 2 - 4 - 12);
    ch.reserve(ch.maxReserve).fill(1);
    ch.commit();
    expect(ch.recvView().length).toBe(ch.maxReserve);
    ch.release();
    expect(() => ch.reserve(ch.maxReserve + 1)).toThrow(InvalidArgumentError);
    const v = ch.reserve(100);
    v.set(bytes(100, 2));
    ch.commit();
    const view = ch.recvView();
    expect(view).toEqual(bytes(100, 2));
    ch.release();
    expect(ch.len).toBe(0);
    expect(() => ch.reserve(2000)).toThrow(InvalidArgumentError);
    expect(() => ch.release()).toThrow(InvalidArgumentError);
    expect(() => ch.commit()).toThrow(InvalidArgumentError);
    // a fragmented message through recvView comes back as a copy
    ch.send(bytes(600, 4));
    expect(ch.recvView()).toEqual(bytes(600, 4));
    ch.release();
  });

  it("maxMessageBytes: a clear error before anything is written", () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 2, codec: "raw", maxMessageBytes: 100 });
    expect(() => ch.send(new Uint8Array(101))).toThrow(MessageTooLargeError);
    expect(() => ch.trySend(new Uint8Array(101))).toThrow(/maxMessageBytes 100/);
    expect(ch.len).toBe(0);
    ch.send(new Uint8Array(100));
    expect(ch.recv().length).toBe(100);
  });

  it("validates options and handles", () => {
    const region = Region.create();
    expect(() => Channel.create(region, { capacity: -1 })).toThrow(InvalidArgumentError);
    expect(() => Channel.create(region, { bufferBytes: 1000 })).toThrow(/power of two/);
    expect(() => Channel.create(region, { bufferBytes: 32 })).toThrow(InvalidArgumentError);
    const ch = Channel.create(region, { capacity: 1 });
    const again = Channel.from(ch.handle);
    again.send({ x: 1 });
    expect(ch.recv()).toEqual({ x: 1 });
    const custom = Channel.create(region, { codec: { name: "mine", encode: (v: string) => new TextEncoder().encode(v), decode: (b) => new TextDecoder().decode(b) } });
    expect(() => Channel.from(custom.handle)).toThrow(/custom codec "mine"/);
  });

  it("async waits honour timeout and abort", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 1 });
    await expect(ch.recvAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    const ac = new AbortController();
    const p = ch.recvAsync({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(AbortError);
    ch.send(1);
    await expect(ch.sendAsync(2, { timeout: 10 })).rejects.toThrow(TimeoutError);
    expect(await ch.recvAsync()).toBe(1);
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("markPeerGone wakes a blocked receiver and a blocked sender with PeerGoneError", async () => {
    const region = Region.create();
    const a = Channel.create<number>(region, { capacity: 1 });
    const b = Channel.create<number>(region, { capacity: 0 });
    const r = worker({ channel: a.handle, op: "recvAsync" });
    const s = worker({ channel: b.handle, op: "send", value: 1 });
    await Promise.all([r.ready, s.ready]);
    await sleep(30);
    a.markPeerGone();
    b.markPeerGone();
    expect(await r.result).toMatchObject({ error: "PeerGoneError" });
    expect(await s.result).toMatchObject({ error: "PeerGoneError" });
    await Promise.all([r.exited, s.exited]);
    expect(() => a.recv()).toThrow(PeerGoneError);
    expect(() => a.send(1)).toThrow(PeerGoneError);
  });

  it("sendMany: one message per value, in order; a value the codec refuses sends nothing", () => {
    const ch = Channel.create<unknown>(Region.create(), { capacity: 8 });
    ch.sendMany([1, { two: 2 }, "three"]);
    expect(ch.len).toBe(3);
    expect([ch.recv(), ch.recv(), ch.recv()]).toEqual([1, { two: 2 }, "three"]);
    expect(() => ch.sendMany([1, () => 2])).toThrow(CodecError);
    expect(ch.len).toBe(0);
    ch.sendMany([]);
    expect(ch.len).toBe(0);
    // a sparse array's hole is a value (undefined); a Set and a generator are iterables
    ch.sendMany([1, , 3]);
    expect([ch.recv(), ch.recv(), ch.recv()]).toEqual([1, undefined, 3]);
    ch.sendMany(new Set([{ a: 1 }, { a: 2 }]));
    ch.sendMany((function* () { yield* [{ a: 3 }, { a: 4 }]; })());
    expect(ch.recvMany(8)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
  });

  it("sendMany: blocks while full and a worker drains; a timeout part-way says how many were sent", async () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 4, bufferBytes: 1024 });
    const consumer = worker({ channel: ch.handle, op: "recvAll" });
    await consumer.ready;
    const values = Array.from({ length: 300 }, (_, i) => i * 7);
    ch.sendMany(values, { timeout: 30_000 });
    ch.close();
    expect((await consumer.result).ok).toEqual(values);
    await consumer.exited;

    const full = Channel.create<number>(region, { capacity: 2 });
    let error: unknown;
    try {
      full.sendMany([1, 2, 3, 4], { timeout: 20 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError & { sent: number }).sent).toBe(2);
    expect((error as Error).message).toMatch(/2 of 4 messages were sent/);
    expect([full.recv(), full.recv()]).toEqual([1, 2]);
  });

  it("sendMany from two workers at once: each batch arrives whole (no other sender's message between), in order", async () => {
    const ch = Channel.create<{ p: number; i: number }>(Region.create(), { capacity: 8, bufferBytes: 1024 });
    const batch = (p: number) => Array.from({ length: 200 }, (_, i) => ({ p, i }));
    const producers = [1, 2].map((p) => worker({ channel: ch.handle, op: "sendBatch", values: batch(p) }));
    const got = Array.from({ length: 400 }, () => ch.recv({ timeout: 30_000 }));
    for (const w of producers) expect((await w.result).ok).toBe(200);
    const firstProducer = got[0].p;
    expect(got.slice(0, 200)).toEqual(batch(firstProducer));
    expect(got.slice(200)).toEqual(batch(3 - firstProducer));
  });

  it("leaks: creating, using, closing and freeing many channels returns every byte", () => {
    const region = Region.create({ size: 1 << 20 });
    const free = region.freeBytes;
    for (let i = 0; i < 200; i++) {
      const ch = Channel.create<unknown>(region, { capacity: 2, bufferBytes: 1024 });
      ch.send(i);
      expect(ch.recv()).toBe(i);
      // an object gives the channel a shared record table (a block of its own): freed with it
      ch.send({ i, tag: "x" });
      expect(ch.recv()).toEqual({ i, tag: "x" });
      ch.close();
      ch.free();
    }
    expect(region.freeBytes).toBe(free);
  });
});

describe("Channel faults and Go's semantics (regressions)", () => {
  const ROUNDS = 1000;

  it("Go's TestNonblockRecvRace: a try on a closed channel never says 'not ready, not closed'", async () => {
    const region = Region.create({ size: 8 << 20 });
    const barrier = Barrier.create(region, 2);
    const chans = Array.from({ length: ROUNDS }, () => {
      const c = Channel.create<number>(region, { capacity: 1, bufferBytes: 64 });
      c.send(1);
      return c;
    });
    const w = startJobWorker("race-worker.mjs", { barrier: barrier.handle, channels: chans.map((c) => [c.handle]), op: "tryRecv" });
    await w.ready;
    for (const c of chans) {
      barrier.wait({ timeout: 20_000 });
      c.close();
      // Go's `<-c`: the value, or closed if the worker took it; held for ~50 us (a receive in
      // progress is the window the worker's try must not report as "not ready")
      try {
        c.recvView();
        const until = performance.now() + 0.05;
        while (performance.now() < until);
        c.release();
      } catch (error) {
        if (!(error instanceof ClosedError)) throw error;
      }
    }
    expect(await w.result).toEqual({ ok: { defaults: 0, rounds: ROUNDS } });
    await w.exited;
  });

  it("a try while another thread holds a message open (recvView) on a closed channel says closed", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 2 });
    ch.send(1);
    ch.send(2);
    ch.close();
    const w = worker({ channel: ch.handle, op: "holdView" });
    await w.ready;
    expect(await w.result).toEqual({ ok: "held" });
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
    expect(select([recvCase(ch)], { default: true })).toEqual({ index: 0, closed: true });
    w.exited.catch(() => {}); // terminated: a non-zero exit code
    await w.worker.terminate();
  });

  it("two async receives and two async sends of one thread on one channel are served in turn", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 1 });
    const both = Promise.all([ch.recvAsync({ timeout: 5000 }), ch.recvAsync({ timeout: 5000 })]);
    await sleep(10);
    ch.send(1);
    await sleep(10);
    ch.send(2);
    expect((await both).sort()).toEqual([1, 2]);
    ch.send(3); // full
    const sends = Promise.all([ch.sendAsync(4, { timeout: 5000 }), ch.sendAsync(5, { timeout: 5000 })]);
    const got = [await ch.recvAsync({ timeout: 5000 }), await ch.recvAsync({ timeout: 5000 }), await ch.recvAsync({ timeout: 5000 })];
    await sends;
    expect(got[0]).toBe(3);
    expect(got.slice(1).sort()).toEqual([4, 5]);
  });

  it("strings of every msgpack string header and of multi-byte text arrive equal, by recv, tryRecv and recvAsync", async () => {
    const ch = Channel.create<unknown>(Region.create({ size: 4 << 20 }), { capacity: 8, bufferBytes: 1 << 20 });
    const texts = [
      "", "a", "x".repeat(31), "x".repeat(32), "y".repeat(255), "y".repeat(256), "z".repeat(65535), "z".repeat(65536),
      "é", "日本語のテキスト", "emoji 😀 and ZWJ 👩‍👩‍👧", "\u0000nul\u0000", "ü".repeat(200), "a\uFFFDb",
    ];
    for (const [i, t] of texts.entries()) {
      ch.send(t);
      const got = i % 3 === 0 ? ch.recv() : i % 3 === 1 ? (ch.tryRecv() as { value: unknown }).value : await ch.recvAsync();
      expect(got).toBe(t);
    }
    // a string inside another value, and a value after a string, take the codec's path
    ch.send(["s", { s: "é" }]);
    ch.send("last");
    expect(ch.recv()).toEqual(["s", { s: "é" }]);
    expect(ch.recv()).toBe("last");
  });

  it("a waiting async send keeps its own bytes while later sends of the thread encode other values", async () => {
    const ch = Channel.create<{ id: number; text: string }>(Region.create(), { capacity: 1 });
    const value = (id: number) => ({ id, text: `value ${id} `.repeat(id % 7) });
    ch.send(value(1)); // full
    const waiting = [ch.sendAsync(value(2), { timeout: 5000 }), ch.sendAsync(value(3), { timeout: 5000 })];
    for (let i = 10; i < 40; i++) expect(ch.trySend(value(i))).toBe(false);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await ch.recvAsync({ timeout: 5000 }));
    await Promise.all(waiting);
    expect(got[0]).toEqual(value(1));
    expect(got.slice(1).sort((a, b) => a.id - b.id)).toEqual([value(2), value(3)]);
    // and the fast path (bytes straight from the scratch into the ring) carries each one intact
    for (let i = 0; i < 50; i++) {
      ch.send(value(100 + i));
      expect(ch.recv()).toEqual(value(100 + i));
    }
  });

  it("a receive honours its timeout after claiming a message whose sender was terminated mid-message", async () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 1, bufferBytes: 16 << 10, codec: "raw" });
    const w = worker({ channel: ch.handle, op: "sendBig", value: 1 << 20 });
    await w.ready;
    await sleep(50); // the worker is parked mid-message: the ring is full
    w.exited.catch(() => {}); // terminated: a non-zero exit code
    await w.worker.terminate();
    expect(() => ch.recv({ timeout: 500 })).toThrow(TimeoutError);
    // the dead sender holds the send lock: marking it gone ends every wait at once
    ch.markPeerGone();
    expect(() => ch.send(new Uint8Array(1), { timeout: 500 })).toThrow(PeerGoneError);
    expect(() => ch.recv({ timeout: 500 })).toThrow(PeerGoneError);
  });

  it("a receive that gives up mid-message leaves the channel usable", async () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 1, bufferBytes: 1024, codec: "raw" });
    const big = bytes(10_000, 3);
    const sending = ch.sendAsync(big, { timeout: 5000 }); // parks for ring space mid-message
    expect(() => ch.recv({ timeout: 50 })).toThrow(TimeoutError); // same thread: the rest never comes
    await sending; // the sender finishes (trimming the dropped message's frames itself)
    ch.send(bytes(200, 9), { timeout: 5000 });
    expect(ch.recv({ timeout: 5000 })).toEqual(bytes(200, 9));
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it("peer gone where a dead thread holds the recv lock: PeerGoneError at once, in every form", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 2 });
    ch.send(1);
    ch.send(2);
    const w = worker({ channel: ch.handle, op: "holdView" });
    await w.ready;
    expect(await w.result).toEqual({ ok: "held" });
    const waiting = ch.recvAsync({ timeout: 20_000 });
    await sleep(20);
    w.exited.catch(() => {}); // terminated: a non-zero exit code
    await w.worker.terminate();
    ch.markPeerGone();
    await expect(waiting).rejects.toThrow(PeerGoneError);
    expect(() => ch.recv({ timeout: 500 })).toThrow(PeerGoneError);
    expect(() => ch.tryRecv()).toThrow(PeerGoneError);
  });

  it("peer gone where a dead thread holds the send lock: PeerGoneError at once, in every form", async () => {
    const ch = Channel.create<Uint8Array>(Region.create(), { capacity: 2, codec: "raw" });
    const w = worker({ channel: ch.handle, op: "holdReserve", value: 8 });
    await w.ready;
    expect(await w.result).toEqual({ ok: "held" });
    w.exited.catch(() => {}); // terminated: a non-zero exit code
    await w.worker.terminate();
    ch.markPeerGone();
    expect(() => ch.send(new Uint8Array(1), { timeout: 500 })).toThrow(PeerGoneError);
    expect(() => ch.trySend(new Uint8Array(1))).toThrow(PeerGoneError);
    await expect(ch.sendAsync(new Uint8Array(1), { timeout: 500 })).rejects.toThrow(PeerGoneError);
  });

  it("a corrupt frame length is a CorruptRegionError, never a raw status", () => {
    for (const garbage of [-331534092, -1, 1 << 30]) {
      const ch = Channel.create<number>(Region.create(), { capacity: 1 });
      ch.send(1);
      ch.region.words[(ch.offset + L.CH_RING + L.BR_DATA) >> 2] = garbage;
      expect(() => ch.recv({ timeout: 100 })).toThrow(CorruptRegionError);
    }
  });

  it("a channel stays open when a thread that used it exits normally; what it sent is drained", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 4 });
    const w = worker({ channel: ch.handle, op: "sendMany", values: [1, 2, 3] });
    expect(await w.result).toEqual({ ok: 3 });
    await w.exited;
    expect(ch.closed).toBe(false);
    expect(ch.peerGone).toBe(false);
    expect([ch.recv({ timeout: 1000 }), ch.recv({ timeout: 1000 }), ch.recv({ timeout: 1000 })]).toEqual([1, 2, 3]);
    expect(ch.tryRecv()).toEqual({ ok: false, closed: false });
    ch.send(4);
    expect(ch.recv()).toBe(4);
  });
});

describe("Disposal: using a Channel", () => {
  it("[Symbol.dispose] closes the channel for every holder, as Go's close: sends fail, receivers drain, then end; no memory is freed", () => {
    const region = Region.create();
    let other!: Channel<number>;
    let free = 0;
    {
      using ch = Channel.create<number>(region, { capacity: 4 });
      other = Channel.from<number>(ch.handle);
      ch.send(1);
      ch.send(2);
      free = region.freeBytes;
    }
    expect(other.closed).toBe(true);
    expect(() => other.send(3)).toThrow(ClosedError);
    expect([...other]).toEqual([1, 2]);
    expect(other.tryRecv()).toEqual({ ok: false, closed: true });
    expect(region.freeBytes).toBe(free); // close, not free()
    other[Symbol.dispose](); // idempotent
    other.free();
  });
});

describe("bad input: Channel.create", () => {
  const region = Region.create({ size: 1 << 20 });
  it("refuses an unknown option key, naming it and the known ones", () => {
    expect(() => Channel.create(region, { capactiy: 8 } as never)).toThrow(InvalidArgumentError);
    expect(() => Channel.create(region, { capactiy: 8 } as never)).toThrow(
      'Channel.create: unknown option "capactiy"; known options: capacity, bufferBytes, codec, maxMessageBytes, name',
    );
  });
  it("says the type of a bad value", () => {
    expect(() => Channel.create(region, { capacity: "8" as never })).toThrow(/got string "8"/);
  });
  it("refuses a region argument that is not a Region", () => {
    expect(() => Channel.create(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => Channel.create(undefined as never)).toThrow(/Channel\.create expects a Region .*got undefined/);
    expect(() => Channel.create({} as never)).toThrow(InvalidArgumentError);
  });
  it("a create whose core init refuses gives its block back", () => {
    const r = Region.create({ size: 1 << 20 });
    const free = r.freeBytes;
    const core = r.core;
    // the core's own check (the facade's checks make it unreachable through the options)
    Object.defineProperty(r, "core", { value: { ...core, ch_init: () => L.BAD_ARGUMENT }, configurable: true });
    try {
      expect(() => Channel.create(r, { capacity: 4 })).toThrow(InvalidArgumentError);
    } finally {
      Object.defineProperty(r, "core", { value: core, configurable: true });
    }
    expect(r.freeBytes).toBe(free);
    Channel.create(r, { capacity: 4 }).free();
    expect(r.freeBytes).toBe(free);
  });
});

describe("bad input: Channel.from with a forged handle", () => {
  const region = Region.create({ size: 1 << 20 });
  const ch = Channel.create<number>(region, { capacity: 2 });
  it("refuses a maxMessageBytes that is NaN, negative, fractional, too large or missing", () => {
    for (const bad of [NaN, -1, 1.5, 2 ** 31, Infinity, "64", undefined]) {
      const forged = { ...ch.handle, maxMessageBytes: bad } as never;
      expect(() => Channel.from(forged)).toThrow(ForeignHandleError);
      expect(() => Channel.from(forged)).toThrow(/Channel\.from: the handle's maxMessageBytes must be an integer/);
    }
    expect(Channel.from({ ...ch.handle, maxMessageBytes: 0 }).maxMessageBytes).toBe(0);
  });
  it("refuses offsets outside [0, 2^31) or not integers (2^32 + offset would alias the channel)", () => {
    for (const bad of [ch.offset + 2 ** 32, ch.offset - 2 ** 32, -1, ch.offset + 0.5, 2 ** 31, NaN]) {
      expect(() => Channel.from({ ...ch.handle, offset: bad } as never)).toThrow(ForeignHandleError);
      expect(() => Channel.from({ ...ch.handle, offset: bad } as never)).toThrow(/the handle's offset must be an integer from 0 to 2\^31 - 1/);
    }
    expect(Channel.from(ch.handle).offset).toBe(ch.offset);
  });
});
