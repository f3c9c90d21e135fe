// channel.parts.test.ts — large raw messages without extra copies, with real worker threads:
// sendParts / recvParts (a message of any size written and read in place, one ring window at a
// time, streaming through a ring smaller than the message), and receive-buffer reuse (recycle,
// and msgpack messages of several fragments assembled in a reused buffer). Every message is
// counted and checked by length and checksum; a writer or reader that throws gives its message
// up and leaves the channel usable.
import { describe, expect, it } from "vitest";
import { Channel, ClosedError, InvalidArgumentError, Region } from "sabre";
import { rawValue } from "../fixtures/batch-values.mjs";
import { startJobWorker } from "../fixtures/job-worker";
import { checksum } from "../fixtures/parts-checksum.mjs";
import { seededRandom } from "../fixtures/prng.mjs";
import { stressLevel } from "../fixtures/stress-level";

const worker = (data: Record<string, unknown>) => startJobWorker("channel-parts-worker.mjs", data);
const SEED = Number(process.env.SABRE_SEED ?? 20261203);
const COUNT = stressLevel(200);
/** A 1 KiB ring: fragments of 240 bytes, so messages up to SIZE are up to 13 fragments, three
 *  times the ring. */
const RING = 1024;
const SIZE = 3000;

/** [length, checksum] of the seeded messages rawValue(k) for k < count. */
function expected(count: number, size: number, seed: number, keep: (n: number) => boolean = () => true): [number, number][] {
  const rand = seededRandom(seed);
  const out: [number, number][] = [];
  for (let k = 0; k < count; k++) {
    const v = rawValue(k, rand, size);
    if (keep(v.length)) out.push([v.length, checksum(v)]);
  }
  return out;
}

/** Receives one message with recvParts (or recvPartsAsync), checking the parts' order. */
async function recvWhole(ch: Channel<Uint8Array>, async: boolean, fragment: number): Promise<Uint8Array> {
  let out = new Uint8Array(0);
  let next = 0;
  const read = (part: Uint8Array, offset: number, total: number) => {
    expect(offset).toBe(next);
    expect(part.length).toBeLessThanOrEqual(Math.max(fragment, total === next + part.length ? total : fragment));
    if (offset === 0) out = new Uint8Array(total);
    out.set(part, offset);
    next += part.length;
  };
  const n = async ? await ch.recvPartsAsync(read, { timeout: 20_000 }) : ch.recvParts(read, { timeout: 20_000 });
  expect(n).toBe(out.length);
  expect(next).toBe(n);
  return out;
}

describe("Channel.sendParts / recvParts", () => {
  it("a worker's sendParts to recvParts and recvPartsAsync here: messages of 0 to 13 fragments, in order", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 4, bufferBytes: RING, codec: "raw" });
    const w = worker({ channel: ch.handle, op: "sendParts", count: COUNT, size: SIZE, seed: SEED });
    const want = expected(COUNT, SIZE, SEED);
    for (let k = 0; k < COUNT; k++) {
      const got = await recvWhole(ch, k % 2 === 1, 240);
      expect([got.length, checksum(got)]).toEqual(want[k]);
    }
    expect(await w.result).toEqual({ ok: COUNT });
    await w.exited;
    ch.close();
    expect(() => ch.recvParts(() => {})).toThrow(ClosedError);
  });

  for (const capacity of [0, 3]) {
    it(`capacity ${capacity}: sendParts and sendPartsAsync here to a worker's recvParts; every byte checked`, async () => {
      const region = Region.create({ size: 4 << 20 });
      const ch = Channel.create<Uint8Array>(region, { capacity, bufferBytes: RING, codec: "raw" });
      const w = worker({ channel: ch.handle, op: "recvParts" });
      await w.ready;
      const rand = seededRandom(SEED + capacity);
      for (let k = 0; k < COUNT; k++) {
        const v = rawValue(k, rand, SIZE);
        const fill = (part: Uint8Array, offset: number) => part.set(v.subarray(offset, offset + part.length));
        if (k % 2) await ch.sendPartsAsync(v.length, fill, { timeout: 20_000 });
        else ch.sendParts(v.length, fill, { timeout: 20_000 });
      }
      ch.close();
      expect(await w.result).toEqual({ ok: expected(COUNT, SIZE, SEED + capacity) });
    });
  }

  it("a fill that throws gives its message up (none of it is received) and the channel goes on", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 2, bufferBytes: RING, codec: "raw" });
    const w = worker({ channel: ch.handle, op: "recvParts" });
    await w.ready;
    const rand = seededRandom(SEED);
    const sent: Uint8Array[] = [];
    for (let k = 0; k < COUNT; k++) {
      const v = rawValue(k, rand, SIZE);
      // every third message: the writer throws at a seeded window (the first, or after some
      // windows were published and maybe read)
      const failAt = k % 3 === 0 ? (v.length * (k % 7)) / 7 : Infinity;
      const fill = (part: Uint8Array, offset: number) => {
        if (offset + part.length > failAt || (failAt === 0 && offset === 0)) throw new RangeError("writer gave up");
        part.set(v.subarray(offset, offset + part.length));
      };
      if (failAt === Infinity) {
        ch.sendParts(v.length, fill, { timeout: 20_000 });
        sent.push(v);
      } else expect(() => ch.sendParts(v.length, fill, { timeout: 20_000 })).toThrow(RangeError);
    }
    ch.close();
    expect(await w.result).toEqual({ ok: sent.map((v) => [v.length, checksum(v)]) });
  });

  it("a reader that throws drops its message (consumed) and the next ones arrive", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 3, bufferBytes: RING, codec: "raw" });
    const w = worker({ channel: ch.handle, op: "recvPartsFailing", failEvery: 5 });
    await w.ready;
    const rand = seededRandom(SEED);
    let failing = 0;
    for (let k = 0; k < COUNT; k++) {
      const v = rawValue(k, rand, SIZE);
      if (v.length % 5 === 0) failing++;
      ch.send(v, { timeout: 20_000 });
    }
    ch.close();
    const keep = (n: number) => n % 5 !== 0;
    expect(await w.result).toEqual({ ok: { got: expected(COUNT, SIZE, SEED, keep), failed: failing } });
  });

  it("bad input throws InvalidArgumentError and leaves the channel intact", () => {
    const region = Region.create({ size: 1 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 2, bufferBytes: RING, codec: "raw", maxMessageBytes: 5000 });
    const fill = () => {};
    expect(() => ch.sendParts(-1, fill)).toThrow(InvalidArgumentError);
    expect(() => ch.sendParts(1.5, fill)).toThrow(InvalidArgumentError);
    expect(() => ch.sendParts(5001, fill)).toThrow(/maxMessageBytes/);
    expect(() => ch.sendParts(4, "fill" as never)).toThrow(/pass a function/);
    expect(() => ch.recvParts(undefined as never)).toThrow(/pass a function/);
    const mp = Channel.create(region, { capacity: 1 });
    expect(() => mp.sendParts(1, fill)).toThrow(/codec "raw"/);
    expect(() => mp.recvParts(fill)).toThrow(/codec "raw"/);
    ch.send(Uint8Array.of(1, 2, 3));
    expect(ch.recv()).toEqual(Uint8Array.of(1, 2, 3));
    ch.sendParts(0, (part) => expect(part.length).toBe(0));
    expect(ch.recvParts((part, offset, total) => expect([part.length, offset, total]).toEqual([0, 0, 0]))).toBe(0);
    expect(ch.len).toBe(0);
  });
});

describe("receive-buffer reuse", () => {
  it("recycle: a raw channel's later receives copy into the recycled arrays; every message checked", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Uint8Array>(region, { capacity: 4, bufferBytes: RING, codec: "raw" });
    const size = 2000;
    const w = worker({ channel: ch.handle, op: "sendParts", count: COUNT, size, seed: SEED });
    const want = expected(COUNT, size, SEED);
    const mine = new Set<ArrayBufferLike>();
    let reused = 0;
    for (let k = 0; k < COUNT; k++) {
      const got = k % 2 ? await ch.recvAsync({ timeout: 20_000 }) : ch.recv({ timeout: 20_000 });
      expect([got.length, checksum(got)]).toEqual(want[k]);
      if (mine.has(got.buffer)) reused++;
      mine.add(got.buffer);
      ch.recycle(got);
    }
    expect(reused).toBeGreaterThan(COUNT / 4);
    expect(await w.result).toEqual({ ok: COUNT });
    expect(() => ch.recycle(new Uint8Array(region.memory.buffer, 0, 8))).toThrow(/shared memory/);
    expect(() => ch.recycle([1, 2] as never)).toThrow(InvalidArgumentError);
    expect(() => Channel.create(region, { capacity: 1 }).recycle(new Uint8Array(8))).toThrow(/raw/);
  });

  it("msgpack messages of several fragments: values stay independent of the reused assembly buffer", async () => {
    const region = Region.create({ size: 4 << 20 });
    // a 16 KiB ring: fragments of 4080 bytes, so each message (5-8 KiB) is two fragments and fits
    // the ring (sent and received on this thread)
    const ch = Channel.create<{ k: number; bytes: Uint8Array; text: string }>(region, { capacity: 4, bufferBytes: 16384 });
    const values = Array.from({ length: 6 }, (_, k) => ({ k, bytes: new Uint8Array(4000 + k * 500).fill(k + 1), text: String(k).repeat(1000) }));
    const got: (typeof values)[number][] = [];
    for (const v of values) {
      ch.send(v);
      got.push(ch.recv());
    }
    expect(got).toEqual(values);
  });
});
