// bytering.test.ts — ByteRing through the public entry: smoke, capacity and frame limits,
// wrap-around, empty/full, try and timeouts, async waits, zero-copy reserve/commit and
// readView/release, batched publish, close, bad arguments, handles, and leaks. Wake-ups of
// workers blocked in read and write (by a write, by close) are the conformance skeleton's.
import { describe, expect, it } from "vitest";
import {
  AbortError, ByteRing, ClosedError, ForeignHandleError, InvalidArgumentError, Region, RegionFullError,
  TimeoutError,
} from "sabre";
const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 255);

describe("ByteRing", () => {
  it("writes and reads frames in order, empty frames included", () => {
    const b = ByteRing.create(Region.create(), { capacity: 256 });
    expect(b.capacity).toBe(256);
    expect(b.maxFrame).toBe(124);
    b.write(bytes(5));
    b.write(new Uint8Array(0));
    b.write(bytes(17, 3));
    expect(b.usedBytes).toBe(12 + 4 + 24);
    expect(b.read()).toEqual(bytes(5));
    expect(b.read()).toEqual(new Uint8Array(0));
    expect(b.read()).toEqual(bytes(17, 3));
    expect(b.usedBytes).toBe(0);
    expect(b.tryRead()).toBeUndefined();
  });

  it("wraps frames of every size around the buffer, the largest included, in one thread", () => {
    const b = ByteRing.create(Region.create(), { capacity: 64 });
    expect(b.maxFrame).toBe(28);
    for (let i = 0; i < 300; i++) {
      const len = (i * 7) % 29;
      const frame = bytes(len, i);
      b.write(frame, { timeout: 0 });
      expect(b.read({ timeout: 0 })).toEqual(frame);
    }
    for (let i = 0; i < 50; i++) {
      const len = i % 3 === 0 ? 28 : (9 + i) % 29;
      b.write(bytes(len, i), { timeout: 0 }); // any frame up to maxFrame fits an empty ring
      expect(b.read({ timeout: 0 })).toEqual(bytes(len, i));
    }
  });

  it("is full when the next frame does not fit, and times out waits", async () => {
    const b = ByteRing.create(Region.create(), { capacity: 64 });
    expect(b.tryWrite(bytes(28))).toBe(true); // 32 bytes
    expect(b.tryWrite(bytes(28))).toBe(true); // 64
    expect(b.tryWrite(new Uint8Array(0))).toBe(false);
    expect(() => b.write(bytes(1), { timeout: 10 })).toThrow(TimeoutError);
    await expect(b.writeAsync(bytes(1), { timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    expect(b.tryReserve(1)).toBeUndefined();
    expect(b.read()).toEqual(bytes(28));
    expect(b.tryWrite(bytes(28))).toBe(true);
    expect(b.read()).toEqual(bytes(28));
    expect(b.read()).toEqual(bytes(28));
    expect(() => b.read({ timeout: 10 })).toThrow(TimeoutError);
    await expect(b.readAsync({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    expect(b.tryReadView()).toBeUndefined();
  });

  it("reserve/commit publishes several frames at once; readView/release reads in place", () => {
    const region = Region.create();
    const b = ByteRing.create(region, { capacity: 128 });
    const a = b.reserve(3);
    a.set([1, 2, 3]);
    const c = b.tryReserve(2)!;
    c.set([4, 5]);
    expect(b.tryRead()).toBeUndefined(); // nothing published yet
    expect(b.usedBytes).toBe(0);
    b.commit();
    expect(b.usedBytes).toBe(16);
    const v = b.readView();
    expect(v.buffer).toBe(region.memory.buffer); // a view, not a copy
    expect([...v]).toEqual([1, 2, 3]);
    expect([...b.readView()]).toEqual([1, 2, 3]); // same frame until released
    b.release();
    expect([...b.tryReadView()!]).toEqual([4, 5]);
    b.release();
    expect(() => b.release()).toThrow(InvalidArgumentError);
  });

  it("a waiting reserve commits pending frames so the reader can make room", async () => {
    const b = ByteRing.create(Region.create(), { capacity: 64 });
    b.write(new Uint8Array(20).fill(1)); // 24 bytes
    b.reserve(20).fill(2); // 24 bytes, pending, not committed
    const third = b.reserveAsync(28, { timeout: 5000 }); // does not fit: commits, then waits
    expect(b.usedBytes).toBe(48);
    expect(b.read()).toEqual(new Uint8Array(20).fill(1));
    expect(b.read()).toEqual(new Uint8Array(20).fill(2)); // now it fits (after a wrap marker)
    (await third).fill(3);
    b.commit();
    expect(b.read()).toEqual(new Uint8Array(28).fill(3));
  });

  it("readAsync is woken by a write, writeAsync by a read; abort leaves it usable", async () => {
    const region = Region.create();
    const a = ByteRing.create(region, { capacity: 64 });
    const r = a.readAsync({ timeout: 10_000 });
    setTimeout(() => a.write(bytes(9), { timeout: 1000 }), 10);
    expect(await r).toEqual(bytes(9));
    const b = ByteRing.create(region, { capacity: 64 });
    b.write(bytes(28), { timeout: 0 }); // [0, 32)
    b.write(bytes(24), { timeout: 0 }); // [32, 60)
    const w = b.writeAsync(bytes(20), { timeout: 10_000 }); // needs a 4-byte marker + 24
    setTimeout(() => b.read({ timeout: 1000 }), 10);
    await w;
    expect(b.read()).toEqual(bytes(24));
    expect(b.read()).toEqual(bytes(20));
    const ac = new AbortController();
    const aborted = b.readAsync({ signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    b.write(bytes(2), { timeout: 1000 });
    expect(await b.readViewAsync({ timeout: 1000 })).toEqual(bytes(2));
    b.release();
  });

  it("close: writes fail, reads drain then fail", async () => {
    const b = ByteRing.create(Region.create(), { capacity: 64 });
    b.write(bytes(3));
    b.write(bytes(4));
    b.reserve(5); // reserved, never committed: dropped by close
    b.close();
    b.close();
    expect(b.closed).toBe(true);
    expect(() => b.write(bytes(1))).toThrow(ClosedError);
    expect(() => b.tryWrite(bytes(1))).toThrow(ClosedError);
    expect(() => b.commit()).toThrow(ClosedError);
    await expect(b.writeAsync(bytes(1))).rejects.toBeInstanceOf(ClosedError);
    expect(b.read()).toEqual(bytes(3));
    expect(await b.readAsync()).toEqual(bytes(4));
    expect(() => b.read()).toThrow(ClosedError);
    expect(() => b.tryRead()).toThrow(ClosedError);
    expect(() => b.readView()).toThrow(ClosedError);
    await expect(b.readAsync()).rejects.toBeInstanceOf(ClosedError);
  });

  it("rejects bad capacities and frame sizes with exact messages", () => {
    const region = Region.create();
    const start = region.freeBytes;
    for (const capacity of [0, 8, 15, 24, 1000, -16, 16.5, Number.NaN, 2 ** 30, 2 ** 32 + 16]) {
      expect(() => ByteRing.create(region, { capacity })).toThrow(
        new InvalidArgumentError(`ByteRing.create: capacity must be a power of two from 16 to 536870912 bytes, got ${capacity}`),
      );
    }
    expect(region.freeBytes).toBe(start);
    const b = ByteRing.create(region, { capacity: 32 });
    const tooBig = new InvalidArgumentError("ByteRing.write: a frame is 0 to 12 bytes in this ring (capacity/2 - 4), got 13");
    expect(() => b.write(new Uint8Array(13))).toThrow(tooBig);
    expect(() => b.tryWrite(new Uint8Array(13))).toThrow(InvalidArgumentError);
    expect(() => b.reserve(-1)).toThrow(InvalidArgumentError);
    b.write(new Uint8Array(12));
    expect(b.read().length).toBe(12);
    b.free();
    expect(region.freeBytes).toBe(start);
  });

  it("a capacity too large for the region throws RegionFullError and leaks nothing", () => {
    const region = Region.create({ size: 64 * 1024 });
    const start = region.freeBytes;
    expect(() => ByteRing.create(region, { capacity: 1 << 18 })).toThrow(RegionFullError);
    expect(region.freeBytes).toBe(start);
  });

  it("from() attaches and rejects foreign or freed handles", () => {
    const b = ByteRing.create(Region.create(), { capacity: 64 });
    const again = ByteRing.from(b.handle);
    b.write(bytes(6));
    expect(again.read()).toEqual(bytes(6));
    b.free();
    expect(() => ByteRing.from(b.handle)).toThrow(ForeignHandleError);
    expect(() => ByteRing.from({ __sabre: "ring" } as never)).toThrow(ForeignHandleError);
  });

  it("create/free of many rings returns every byte to the region", () => {
    const region = Region.create();
    const start = region.freeBytes;
    for (let i = 0; i < 200; i++) {
      const rings = [16, 256, 4096].map((capacity) => ByteRing.create(region, { capacity }));
      rings[1].write(bytes(i % 100), { timeout: 0 });
      for (const r of rings) r.free();
    }
    expect(region.freeBytes).toBe(start);
  });
});

describe("bad input: ByteRing.create and write", () => {
  const region = Region.create({ size: 1 << 16 });
  it("refuses an unknown option key, naming it and the known ones", () => {
    expect(() => ByteRing.create(region, { capacity: 64, size: 64 } as never)).toThrow(InvalidArgumentError);
    expect(() => ByteRing.create(region, { capacity: 64, size: 64 } as never)).toThrow(/unknown option "size"; known options: capacity/);
  });
  it("refuses a region argument that is not a Region", () => {
    expect(() => ByteRing.create(null as never, { capacity: 64 })).toThrow(/ByteRing\.create expects a Region .*got null/);
  });
  it("write, tryWrite and writeAsync refuse what is not a Uint8Array, writing nothing", async () => {
    const ring = ByteRing.create(region, { capacity: 64 });
    expect(() => ring.write("abc" as never)).toThrow(InvalidArgumentError);
    expect(() => ring.write("abc" as never)).toThrow(/ByteRing\.write: bytes must be a Uint8Array, got string "abc"/);
    expect(() => ring.tryWrite({ length: 5 } as never)).toThrow(InvalidArgumentError);
    await expect(ring.writeAsync(null as never)).rejects.toThrow(InvalidArgumentError);
    expect(ring.tryRead()).toBeUndefined();
    ring.write(new Uint8Array([1, 2, 3]));
    expect(Array.from(ring.tryRead()!)).toEqual([1, 2, 3]);
  });
});
