// channel.batch.test.ts — batch frames (sendMany), recvMany and recvInto, with real worker
// threads: every message counted once and checked, in each producer's order; capacity counts
// messages of a batch one by one; a message that does not decode is reported by its index and
// the others arrive; a corrupt batch frame is a CorruptRegionError, never a crash.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as L from "../../assembly/layout";
import { Channel, ClosedError, CodecError, CorruptRegionError, Region, recvCase, select } from "sabre";
import { batchValue, rawValue } from "../fixtures/batch-values.mjs";
import { startJobWorker } from "../fixtures/job-worker";
import { seededRandom } from "../fixtures/prng.mjs";
import { stressLevel } from "../fixtures/stress-level";

const worker = (data: Record<string, unknown>) => startJobWorker("channel-batch-worker.mjs", data);
const SEED = Number(process.env.SABRE_SEED ?? 20261203);
const COUNT = stressLevel(400);

type Item = { p: number; k: number; s: string };

/** Checks that `got` holds every message of `producers` producers exactly once, each in order. */
function checkAll(got: Item[], producers: number, seed: number): void {
  for (let p = 0; p < producers; p++) {
    const rand = seededRandom(seed + p);
    const want = Array.from({ length: COUNT }, (_, k) => batchValue(p, k, rand));
    expect(got.filter((v) => v.p === p)).toEqual(want);
  }
  expect(got.length).toBe(producers * COUNT);
}

describe("Channel batches: sendMany (batch frames) and recvMany", () => {
  for (const capacity of [2, 5, 64]) {
    it(`capacity ${capacity}: two producers' sendMany, recvManyAsync on the main thread`, async () => {
      const region = Region.create({ size: 4 << 20 });
      const ch = Channel.create<Item>(region, { capacity, bufferBytes: 2048 });
      const ws = [0, 1].map((producer) => worker({ channel: ch.handle, op: "sendMany", producer, count: COUNT, chunk: 7 + producer * 10, seed: SEED }));
      const got: Item[] = [];
      const done = Promise.all(ws.map((w) => w.result)).then((rs) => {
        for (const r of rs) expect(r).toEqual({ ok: COUNT });
        ch.close();
      });
      for (let batch; (batch = await ch.recvManyAsync(9, { timeout: 20_000 })).length > 0; ) {
        expect(batch.length).toBeLessThanOrEqual(9);
        got.push(...batch);
      }
      await done;
      await Promise.all(ws.map((w) => w.exited));
      checkAll(got, 2, SEED);
    });
  }

  it("a worker's recvMany drains what the main thread's sendMany wrote", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Item>(region, { capacity: 16, bufferBytes: 4096 });
    const w = worker({ channel: ch.handle, op: "recvMany", max: 5 });
    await w.ready;
    const rand = seededRandom(SEED);
    const values = Array.from({ length: COUNT }, (_, k) => batchValue(0, k, rand));
    for (let i = 0; i < COUNT; i += 13) await ch.sendAsync(values[i]).then(() => ch.sendMany(values.slice(i + 1, i + 13)));
    ch.close();
    const r = await w.result;
    expect(r.error).toBeUndefined();
    expect(r.ok).toEqual(values);
    await w.exited;
  });

  it("capacity counts each message of a batch; recv, tryRecv, recvView and select take them one by one", () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 4, bufferBytes: 1024 });
    ch.sendMany([1, 2, 3, 4], { timeout: 0 });
    expect(ch.len).toBe(4);
    expect(ch.trySend(5)).toBe(false);
    expect(ch.recv()).toBe(1);
    expect(ch.len).toBe(3);
    expect(ch.trySend(5)).toBe(true);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 2 });
    const r = select([recvCase(ch)], { timeout: 1000 });
    expect(r).toMatchObject({ index: 0, value: 3 });
    expect(ch.recvMany(10)).toEqual([4, 5]);
    const raw = Channel.create<Uint8Array>(region, { capacity: 3, bufferBytes: 1024, codec: "raw" });
    raw.sendMany([Uint8Array.of(1, 2, 3), Uint8Array.of(4), new Uint8Array(0)]);
    expect([...raw.recvView()]).toEqual([1, 2, 3]);
    raw.release();
    expect([...raw.recvView()]).toEqual([4]);
    raw.release();
    expect(raw.recv().length).toBe(0);
    raw.close();
    expect(raw.recvMany(3)).toEqual([]);
    expect(() => raw.recvMany(0)).toThrow(/max must be a positive integer/);
  });

  it("a message that does not decode is reported by its index; the others arrive", () => {
    const region = Region.create();
    const picky = {
      name: "picky",
      encode: (v: number) => Uint8Array.of(v),
      decode: (b: Uint8Array) => {
        if (b[0] === 13) throw new Error("unlucky");
        return b[0];
      },
    };
    const ch = Channel.create<number>(region, { capacity: 8, bufferBytes: 1024, codec: picky });
    ch.sendMany([10, 11, 13, 14, 15]);
    let error: unknown;
    try {
      ch.recvMany(10);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({ index: 2, values: [10, 11, 14, 15] });
    expect(ch.len).toBe(0);
    // one by one: the bad record throws, the next one is received
    ch.sendMany([13, 16]);
    expect(() => ch.recv()).toThrow(CodecError);
    expect(ch.recv()).toBe(16);
    // msgpack: a corrupt message in a batch found after the one-call decode failed
    const mp = Channel.create<unknown>(region, { capacity: 8, bufferBytes: 1024 });
    mp.sendMany([{ a: 1 }, "two", [3]]);
    const ring = mp.offset + L.CH_RING;
    const payload = ring + L.BR_DATA + L.BR_FRAME_HEADER + L.CH_FRAG_HEADER;
    const words = region.words;
    expect(words[(payload + L.CH_BATCH_COUNT) >> 2]).toBe(3); // one batch frame of 3 records
    const second = payload + L.CH_BATCH_HEADER + L.CH_BATCH_RECORD + ((words[(payload + L.CH_BATCH_HEADER) >> 2] + 3) & ~3);
    new Uint8Array(region.memory.buffer)[second + L.CH_BATCH_RECORD] = 0xc1; // never used in msgpack
    try {
      mp.recvMany(10);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
      expect(e).toMatchObject({ index: 1, values: [{ a: 1 }, [3]] });
    }
  });

  it("a batch frame whose directory is corrupt is a CorruptRegionError", () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 8, bufferBytes: 1024 });
    ch.sendMany([1, 2, 3]);
    const payload = ch.offset + L.CH_RING + L.BR_DATA + L.BR_FRAME_HEADER + L.CH_FRAG_HEADER;
    region.words[(payload + L.CH_BATCH_NEXT_OFF) >> 2] = 1 << 20;
    expect(() => ch.recv()).toThrow(CorruptRegionError);
    expect(() => ch.tryRecv()).toThrow(CorruptRegionError);
  });
});

describe("Channel.sendMany: one codec call for the batch, each value still its own message", () => {
  // sendMany packs the batch as one msgpack array and cuts it into its elements where they stand
  // alone (src/codec/scan.ts); values linked to each other, or extension types, go one by one.
  // Either way each message decodes alone to its value, whichever way it is received.
  const shared = { n: 1 };
  const cyclic: { self?: unknown; k: number } = { k: 7 };
  cyclic.self = cyclic;
  /** Plain msgpack values and records (the one-call path), or with extension types, shared and
   *  cyclic objects mixed in (mostly one by one). -0 packs as the integer 0 (msgpack, one message
   *  or many alike): left out. */
  const valueArb = (mixed: boolean) => fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.integer(), fc.double({ noNaN: true }).map((x) => (x === 0 ? 0 : x)), fc.string(), fc.boolean(), fc.constant(null),
      fc.constantFrom(1e300, 63, 64, 127, 128, -33, -32, 255, 256, 65535, 65536, 2 ** 32, 2 ** 40),
      fc.string({ maxLength: 300 }),
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(fc.constantFrom("a", "b", "id", "name", "x y", ""), tie("value"), { maxKeys: 3 }),
      ...(mixed
        ? [
          fc.constantFrom(undefined, 2n ** 70n, -5n, shared, cyclic), fc.date({ noInvalidDate: true }), fc.uint8Array({ maxLength: 40 }),
          fc.tuple(tie("value"), tie("value")).map(([a, b]) => new Map([[a, b]])), tie("value").map((v) => new Set([v])),
        ]
        : []),
    ),
  })).value;

  for (const mixed of [false, true]) {
    it(`values of random shapes arrive equal, in order (${mixed ? "extension types, shared and cyclic objects mixed in" : "plain values and records"})`, () => {
      const region = Region.create({ size: 8 << 20 });
      const ch = Channel.create<unknown>(region, { capacity: 256, bufferBytes: 1 << 16 });
      fc.assert(
        fc.property(fc.array(valueArb(mixed), { minLength: 1, maxLength: 40 }), fc.boolean(), (values, many) => {
          ch.sendMany(values);
          const got: unknown[] = [];
          if (many) got.push(...ch.recvMany(values.length));
          else for (let i = 0; i < values.length; i++) got.push(ch.recv());
          expect(got).toEqual(values);
          expect(ch.len).toBe(0);
        }),
        { seed: SEED, numRuns: 200 },
      );
    });
  }

  it("a value of many keys, 100 fresh shapes in one batch (more than the shared record table holds), a shared object twice in one batch", () => {
    const ch = Channel.create<unknown>(Region.create({ size: 8 << 20 }), { capacity: 512, bufferBytes: 1 << 18 });
    const shapes = Array.from({ length: 100 }, (_, i) => ({ [`k${i}`]: i, [`j${i}`]: [i, { i }] }));
    ch.sendMany(shapes);
    for (const v of shapes) expect(ch.recv()).toEqual(v);
    const wide = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`key${i}`, i * 3]));
    ch.sendMany([wide, wide, { wide }]);
    expect(ch.recvMany(3)).toEqual([wide, wide, { wide }]);
    const twice = { a: [1, 2] };
    ch.sendMany([{ x: twice, y: twice }, twice, twice]);
    const [first, second, third] = ch.recvMany(3) as [{ x: unknown; y: unknown }, unknown, unknown];
    expect(first.x).toBe(first.y); // one message keeps identity within it
    expect(second).toEqual(twice);
    expect(third).toEqual(twice);
  });
});

describe("Channel.recvInto", () => {
  it("raw messages of seeded sizes (one and several fragments) into one reused buffer", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 4, bufferBytes: 1024, codec: "raw" });
    const size = 1500; // fragments of 240 bytes: up to 7 per message
    const w = worker({ channel: ch.handle, op: "sendRaw", count: COUNT, size, seed: SEED });
    const into = new Uint8Array(1024);
    const rand = seededRandom(SEED);
    let inPlace = 0;
    for (let k = 0; k < COUNT; k++) {
      const want = rawValue(k, rand, size);
      const got = k % 2 ? await ch.recvIntoAsync(into, { timeout: 20_000 }) : ch.recvInto(into, { timeout: 20_000 });
      expect(got).toEqual(want);
      if (got.buffer === into.buffer) inPlace++;
      else expect(want.length).toBeGreaterThan(into.length);
    }
    expect(inPlace).toBeGreaterThan(0);
    expect(await w.result).toEqual({ ok: COUNT });
    await w.exited;
    ch.close();
    expect(() => ch.recvInto(into)).toThrow(ClosedError);
    const mp = Channel.create(region, { capacity: 1 });
    expect(() => mp.recvInto(into)).toThrow(/for raw channels/);
  });
});
