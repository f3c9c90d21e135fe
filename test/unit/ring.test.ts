// ring.test.ts — what is particular to RingBuffer, through the public entry: FIFO and length,
// batches in and out of the region, the spread slot layout, close, bad arguments, handles,
// leaks of many rings. The shared conformance skeleton (conformance.test.ts) covers the rest
// once for every queue: capacity, empty/full, timeout and abort with nothing changed, wakes,
// close waking blocked workers, spsc/mpmc, async takers and putters, leaks when workers exit.
import { describe, expect, it } from "vitest";
import {
  ClosedError, ForeignHandleError, InvalidArgumentError, Region, RegionFullError, RingBuffer,
  TimeoutError,
} from "sabre";

describe("RingBuffer", () => {
  it("pushes and pops in FIFO order and reports length and capacity", () => {
    const r = RingBuffer.create(Region.create(), { capacity: 8 });
    expect(r.capacity).toBe(8);
    expect(r.length).toBe(0);
    for (const v of [1, -1, 0, 2147483647, -2147483648]) r.push(v);
    expect(r.length).toBe(5);
    expect([r.pop(), r.pop(), r.pop(), r.pop(), r.pop()]).toEqual([1, -1, 0, 2147483647, -2147483648]);
    expect(r.length).toBe(0);
  });

  it("holds exactly capacity values: tryPush false when full, tryPop undefined when empty", () => {
    const r = RingBuffer.create(Region.create(), { capacity: 4 });
    expect(r.tryPop()).toBeUndefined();
    for (let lap = 0; lap < 5; lap++) {
      for (let i = 0; i < 4; i++) expect(r.tryPush(lap * 10 + i)).toBe(true);
      expect(r.tryPush(99)).toBe(false);
      expect(r.length).toBe(4);
      for (let i = 0; i < 4; i++) expect(r.tryPop()).toBe(lap * 10 + i);
      expect(r.tryPop()).toBeUndefined();
    }
  });

  it("times out blocking and async waits on a full or empty ring", async () => {
    const r = RingBuffer.create(Region.create(), { capacity: 2 });
    expect(() => r.pop({ timeout: 10 })).toThrow(TimeoutError);
    expect(() => r.pop({ timeout: 0 })).toThrow(TimeoutError);
    await expect(r.popAsync({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    r.push(1);
    r.push(2);
    expect(() => r.push(3, { timeout: 10 })).toThrow(TimeoutError);
    await expect(r.pushAsync(3, { timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    expect(r.length).toBe(2);
  });

  it("popAsync is woken by a later push, pushAsync by a later pop", async () => {
    const r = RingBuffer.create(Region.create(), { capacity: 2 });
    const popped = r.popAsync({ timeout: 10_000 });
    setTimeout(() => r.push(42), 10);
    expect(await popped).toBe(42);
    r.push(1);
    r.push(2);
    const pushed = r.pushAsync(3, { timeout: 10_000 });
    setTimeout(() => r.pop(), 10);
    await pushed;
    expect([r.pop(), r.pop()]).toEqual([2, 3]);
  });

  it("pushMany / popMany move batches, with arrays inside and outside the region", () => {
    const region = Region.create();
    const r = RingBuffer.create(region, { capacity: 8 });
    expect(r.pushMany(Int32Array.of(1, 2, 3))).toBe(3);
    expect(r.pushMany(new Int32Array(0))).toBe(0);
    const inRegion = new Int32Array(region.memory.buffer, region.alloc(64), 16);
    inRegion.set([4, 5, 6, 7, 8, 9, 10]);
    expect(r.pushMany(inRegion.subarray(0, 7))).toBe(5); // only 5 slots left
    expect(r.length).toBe(8);
    const out = new Int32Array(3);
    expect(r.popMany(out)).toBe(3);
    expect([...out]).toEqual([1, 2, 3]);
    expect(r.popMany(inRegion)).toBe(5);
    expect([...inRegion.subarray(0, 5)]).toEqual([4, 5, 6, 7, 8]);
    expect(r.popMany(out)).toBe(0);
    const big = Int32Array.from({ length: 1000 }, (_, i) => i);
    const r2 = RingBuffer.create(region, { capacity: 1024 });
    expect(r2.pushMany(big)).toBe(1000); // more than one scratch chunk
    const back = new Int32Array(1000);
    expect(r2.popMany(back)).toBe(1000);
    expect(back).toEqual(big);
  });

  it("spread slot layout (capacity >= 32): every slot holds one position over several full laps", () => {
    // Rings of 32 slots and more place consecutive positions 128 bytes apart (assembly/ring.ts
    // slotOf); a mapping that sent two positions of one lap to the same slot would lose values
    // when the ring is filled.
    const region = Region.create({ size: 1 << 20 });
    for (const capacity of [32, 64, 4096]) {
      const r = RingBuffer.create(region, { capacity });
      let next = 1;
      let expected = 1;
      for (let lap = 0; lap < 3; lap++) {
        // fill: singles, then a batch (a run of slots claimed with one CAS)
        const half = capacity >> 1;
        for (let i = 0; i < half; i++) expect(r.tryPush(next++)).toBe(true);
        const rest = Int32Array.from({ length: capacity - half }, () => next++);
        expect(r.pushMany(rest)).toBe(capacity - half);
        expect(r.tryPush(-1)).toBe(false);
        expect(r.length).toBe(capacity);
        // drain: a batch, then singles (blocking pop on a non-empty ring)
        const got = new Int32Array(half + 3);
        expect(r.popMany(got)).toBe(half + 3);
        for (const v of got) expect(v).toBe(expected++);
        while (r.length > 0) expect(r.pop()).toBe(expected++);
        expect(r.tryPop()).toBeUndefined();
        // shift the start by a position that is not a multiple of the spread
        expect(r.tryPush(next++)).toBe(true);
        expect(r.tryPop()).toBe(expected++);
      }
      r.free();
    }
  });

  it("close: pushes fail, pops drain then fail, closed is reported", async () => {
    const r = RingBuffer.create(Region.create(), { capacity: 4 });
    r.push(1);
    r.pushMany(Int32Array.of(2, 3));
    expect(r.closed).toBe(false);
    r.close();
    r.close(); // idempotent
    expect(r.closed).toBe(true);
    expect(() => r.push(4)).toThrow(ClosedError);
    expect(() => r.tryPush(4)).toThrow(ClosedError);
    expect(() => r.pushMany(Int32Array.of(4))).toThrow(ClosedError);
    await expect(r.pushAsync(4)).rejects.toBeInstanceOf(ClosedError);
    expect(r.pop()).toBe(1);
    expect(r.tryPop()).toBe(2);
    expect(await r.popAsync()).toBe(3);
    expect(() => r.pop()).toThrow(ClosedError);
    expect(() => r.tryPop()).toThrow(ClosedError);
    expect(() => r.popMany(new Int32Array(4))).toThrow(ClosedError);
    await expect(r.popAsync()).rejects.toBeInstanceOf(ClosedError);
  });

  it("rejects bad capacities and values with exact messages", () => {
    const region = Region.create();
    const start = region.freeBytes;
    for (const capacity of [0, 1, 3, 6, 100, -4, 2.5, Number.NaN, 1 << 27, 2 ** 32 + 4]) {
      expect(() => RingBuffer.create(region, { capacity })).toThrow(
        new InvalidArgumentError(`RingBuffer.create: capacity must be a power of two from 2 to 67108864, got ${capacity}`),
      );
    }
    expect(() => RingBuffer.create(region, {} as never)).toThrow(InvalidArgumentError);
    const r = RingBuffer.create(region, { capacity: 2 });
    for (const v of [1.5, 2 ** 31, -(2 ** 31) - 1, Number.NaN, "1" as never]) {
      expect(() => r.push(v)).toThrow(InvalidArgumentError);
      expect(() => r.tryPush(v)).toThrow(InvalidArgumentError);
    }
    expect(r.length).toBe(0);
    expect(() => r.pop({ timeout: -1 })).toThrow(/timeout/);
    r.free();
    expect(region.freeBytes).toBe(start);
  });

  it("a capacity too large for the region throws RegionFullError and leaks nothing", () => {
    const region = Region.create({ size: 64 * 1024 });
    const start = region.freeBytes;
    expect(() => RingBuffer.create(region, { capacity: 1 << 14 })).toThrow(RegionFullError);
    expect(region.freeBytes).toBe(start);
  });

  it("from() attaches to the same ring and rejects foreign or freed handles", () => {
    const region = Region.create();
    const r = RingBuffer.create(region, { capacity: 4 });
    const again = RingBuffer.from(r.handle);
    r.push(5);
    expect(again.pop()).toBe(5);
    again.detach(); // holds nothing in the region: the object stays usable
    again.push(6);
    expect(r.pop()).toBe(6);
    r.free();
    expect(() => RingBuffer.from(r.handle)).toThrow(ForeignHandleError);
    expect(() => RingBuffer.from({ __sabre: "mutex" } as never)).toThrow(ForeignHandleError);
  });

  it("create/free of many rings returns every byte to the region", () => {
    const region = Region.create();
    const start = region.freeBytes;
    const blocks = region.usedBlocks;
    for (let i = 0; i < 200; i++) {
      const rings = [2, 16, 256].map((capacity) => RingBuffer.create(region, { capacity }));
      rings[0].push(i);
      for (const r of rings) r.free();
    }
    expect(region.freeBytes).toBe(start);
    expect(region.usedBlocks).toBe(blocks);
  });
});

describe("bad input: RingBuffer.create", () => {
  const region = Region.create({ size: 4096 });
  it("refuses an unknown option key, naming it and the known ones", () => {
    expect(() => RingBuffer.create(region, { capacity: 8, slots: 8 } as never)).toThrow(InvalidArgumentError);
    expect(() => RingBuffer.create(region, { capacity: 8, slots: 8 } as never)).toThrow(/unknown option "slots"; known options: capacity/);
  });
  it("says the type of a bad value", () => {
    expect(() => RingBuffer.create(region, { capacity: "8" as never })).toThrow(/got string "8"/);
  });
  it("refuses a region argument that is not a Region", () => {
    expect(() => RingBuffer.create({} as never, { capacity: 8 })).toThrow(/RingBuffer\.create expects a Region/);
  });
});
