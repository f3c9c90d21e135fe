// spsc.test.ts — SpscRing through the public entry: every element type, capacity and
// wrap-around with batches of every size, copies from ordinary arrays and from arrays on the
// region's memory, try forms and timeouts of the batch forms (what a timed-out pushMany leaves
// pushed), close, NaN in float rings, bad arguments (nothing changed), handles across
// toWire/fromWire, `using`, and worker-to-worker sequences (every element counted, in order,
// all forms mixed by a seeded PRNG). The single-element forms' standard cases (smoke, capacity,
// empty/full, timeout/abort, wakes, close wakes, spsc, leaks) are the conformance skeleton's
// (subjects.ts).
import { describe, expect, it } from "vitest";
import {
  AbortError, ClosedError, ForeignHandleError, InvalidArgumentError, Region, RingBuffer, SpscRing, TimeoutError,
  fromWire, toWire,
} from "sabre";
import { startJobWorker, type JobResult } from "../fixtures/job-worker";
import { stressLevel } from "../fixtures/stress-level";

const TYPES = [
  ["int8", Int8Array, [-128, -1, 0, 127]],
  ["uint8", Uint8Array, [0, 1, 200, 255]],
  ["int16", Int16Array, [-32768, -5, 0, 32767]],
  ["uint16", Uint16Array, [0, 7, 40000, 65535]],
  ["int32", Int32Array, [-(2 ** 31), -1, 0, 2 ** 31 - 1]],
  ["uint32", Uint32Array, [0, 1, 2 ** 31, 2 ** 32 - 1]],
  ["float32", Float32Array, [-1.5, 0, 3.25, Infinity]],
  ["float64", Float64Array, [-0.1, Math.PI, -Infinity, 2 ** 60]],
] as const;

describe("SpscRing", () => {
  it.each(TYPES)("moves %s elements one at a time and in batches, unchanged", (type, Arr, values) => {
    const r = SpscRing.create(Region.create(), { capacity: 4, type });
    expect([r.type, r.capacity, r.length, r.closed]).toEqual([type, 4, 0, false]);
    for (const v of values) r.push(v);
    expect(r.tryPush(values[0])).toBe(false);
    expect(values.map(() => r.pop())).toEqual([...values]);
    expect(r.tryPop()).toBeUndefined();
    r.pushMany(Arr.from(values as readonly number[]));
    const into = new Arr(8);
    expect(r.popMany(into)).toBe(4);
    expect([...into.subarray(0, 4)]).toEqual([...values]);
  });

  it("wraps batches of every length round the ring, from ordinary arrays and arrays on the region", () => {
    const region = Region.create();
    const r = SpscRing.create(region, { capacity: 32 }); // at most 8 left + 16 pushed fit
    let next = 0;
    let expected = 0;
    const onRegion = new Int32Array(region.memory.buffer, region.alloc(64 * 4), 64);
    for (let round = 0; round < 200; round++) {
      const n = 1 + ((round * 7) % 16);
      const src = round % 3 === 0 ? onRegion.subarray(0, n) : new Int32Array(n);
      for (let j = 0; j < n; j++) src[j] = next + j;
      expect(r.tryPushMany(src)).toBe(n);
      next += n;
      const m = 1 + ((round * 5) % 16);
      const into = round % 2 === 0 ? onRegion.subarray(16, 16 + m) : new Int32Array(m);
      const k = r.tryPopMany(into);
      expect(k).toBe(Math.min(m, next - expected));
      for (let j = 0; j < k; j++) expect(into[j]).toBe(expected++);
      while (r.length > 8) expect(r.pop()).toBe(expected++);
    }
  });

  it("tryPushMany pushes what fits; tryPopMany returns 0 when empty", () => {
    const r = SpscRing.create(Region.create(), { capacity: 8 });
    expect(r.tryPushMany(Int32Array.from({ length: 12 }, (_, i) => i))).toBe(8);
    expect(r.tryPushMany(Int32Array.of(99))).toBe(0);
    expect(r.tryPushMany(new Int32Array(0))).toBe(0);
    const into = new Int32Array(5);
    expect(r.tryPopMany(into)).toBe(5);
    expect([...into]).toEqual([0, 1, 2, 3, 4]);
    expect(r.tryPopMany(into)).toBe(3);
    expect(r.tryPopMany(into)).toBe(0);
    expect(r.popMany(new Int32Array(0))).toBe(0);
  });

  it("a pushMany that times out leaves what it pushed; popMany times out on empty; both abort", async () => {
    const r = SpscRing.create(Region.create(), { capacity: 4 });
    const err = (() => {
      try {
        r.pushMany(Int32Array.of(1, 2, 3, 4, 5, 6), { timeout: 20 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TimeoutError);
    expect(r.length).toBe(4);
    const into = new Int32Array(8);
    expect(r.popMany(into, { timeout: 0 })).toBe(4);
    expect([...into.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect(() => r.popMany(into, { timeout: 20 })).toThrow(TimeoutError);
    await expect(r.popManyAsync(into, { timeout: 20 })).rejects.toThrow(TimeoutError);
    const ac = new AbortController();
    const waiting = r.popManyAsync(into, { signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toThrow(AbortError);
    expect(() => r.popMany(into, { signal: ac.signal })).toThrow(AbortError);
    r.pushMany(Int32Array.of(7, 8, 9, 10));
    await expect(r.pushManyAsync(Int32Array.of(11), { timeout: 20 })).rejects.toThrow(TimeoutError);
    expect(r.length).toBe(4);
    // an async pushMany waits for room, then finishes once the consumer makes it
    const pushing = r.pushManyAsync(Int32Array.of(11, 12, 13), { timeout: 10_000 });
    expect(r.popMany(into)).toBe(4);
    await pushing;
    expect(r.popMany(into)).toBe(3);
    expect([...into.subarray(0, 3)]).toEqual([11, 12, 13]);
  });

  it("close: pushes fail, pops drain then fail, in every form; a blocked async pop wakes", async () => {
    const r = SpscRing.create(Region.create(), { capacity: 8 });
    const into = new Int32Array(2);
    const blocked = r.popManyAsync(into);
    r.pushMany(Int32Array.of(1, 2, 3));
    const took = await blocked;
    expect([...into.subarray(0, took)]).toEqual([1, 2].slice(0, took));
    r.close();
    expect(r.closed).toBe(true);
    expect(() => r.push(4)).toThrow(ClosedError);
    expect(() => r.tryPush(4)).toThrow(ClosedError);
    expect(() => r.pushMany(Int32Array.of(4))).toThrow(ClosedError);
    expect(() => r.tryPushMany(Int32Array.of(4))).toThrow(ClosedError);
    await expect(r.pushAsync(4)).rejects.toThrow(ClosedError);
    await expect(r.pushManyAsync(Int32Array.of(4))).rejects.toThrow(ClosedError);
    const rest: number[] = [];
    while (r.length > 0) rest.push(r.tryPop()!);
    expect(rest).toEqual([1, 2, 3].slice(took));
    expect(() => r.pop()).toThrow(ClosedError);
    expect(() => r.tryPop()).toThrow(ClosedError);
    expect(() => r.popMany(into)).toThrow(ClosedError);
    expect(() => r.tryPopMany(into)).toThrow(ClosedError);
    await expect(r.popAsync()).rejects.toThrow(ClosedError);
    await expect(r.popManyAsync(into)).rejects.toThrow(ClosedError);
    const waiting = SpscRing.create(Region.create(), { capacity: 2 });
    const pop = waiting.popAsync();
    waiting.close();
    await expect(pop).rejects.toThrow(ClosedError);
  });

  it("float rings carry NaN as a value, and tell it from empty", () => {
    const r = SpscRing.create(Region.create(), { capacity: 4, type: "float64" });
    r.push(NaN);
    expect(r.pop()).toBeNaN();
    expect(r.tryPop()).toBeUndefined();
    r.tryPush(NaN);
    expect(r.tryPop()).toBeNaN();
    r.close();
    expect(() => r.tryPop()).toThrow(ClosedError);
  });

  it("refuses bad arguments with InvalidArgumentError and changes nothing", () => {
    const region = Region.create();
    for (const capacity of [0, 1, 3, 6, 2 ** 27, 1.5, "8", undefined]) {
      expect(() => SpscRing.create(region, { capacity } as never)).toThrow(InvalidArgumentError);
    }
    expect(() => SpscRing.create(region, { capacity: 8, type: "int64" } as never)).toThrow(/type must be one of/);
    expect(() => SpscRing.create(region, { capacity: 8, size: 4 } as never)).toThrow(/size/);
    expect(() => SpscRing.create({} as never, { capacity: 8 })).toThrow(InvalidArgumentError);
    const r = SpscRing.create(region, { capacity: 8, type: "uint8" });
    for (const v of [256, -1, 1.5, NaN, "1"]) {
      expect(() => r.push(v as never)).toThrow(/a uint8 ring holds integers from 0 to 255/);
      expect(() => r.tryPush(v as never)).toThrow(InvalidArgumentError);
    }
    expect(() => r.pushMany(Int32Array.of(1) as never)).toThrow(/expects a Uint8Array/);
    expect(() => r.popMany([0] as never)).toThrow(InvalidArgumentError);
    expect(() => r.push(1, { timeout: -1 })).toThrow(InvalidArgumentError);
    expect(r.length).toBe(0);
    const i32 = SpscRing.create(region, { capacity: 8 });
    expect(() => i32.push(2 ** 31)).toThrow(InvalidArgumentError);
    expect(i32.type).toBe("int32");
  });

  it("crosses by handle and by toWire/fromWire; from() refuses another kind's handle; `using` closes", () => {
    const region = Region.create();
    const r = SpscRing.create(region, { capacity: 8, type: "int16" });
    const wire = toWire({ r });
    const again = (fromWire(wire) as { r: SpscRing<"int16"> }).r;
    expect(again).toBeInstanceOf(SpscRing);
    expect([again.type, again.capacity]).toEqual(["int16", 8]);
    r.push(-3);
    expect(SpscRing.from(r.handle).pop()).toBe(-3);
    const ring = RingBuffer.create(region, { capacity: 8 });
    expect(() => SpscRing.from(ring.handle as never)).toThrow(ForeignHandleError);
    {
      using scoped = SpscRing.from(r.handle);
      scoped.push(1);
    }
    expect(r.closed).toBe(true);
    expect(r.pop()).toBe(1);
    const before = region.usedBlocks;
    r.free();
    expect(region.usedBlocks).toBe(before - 1);
  });

  describe("worker to worker, every form mixed (seeded), every element counted in order", () => {
    const COUNT = stressLevel(30_000);
    for (const [type, capacity] of [["int32", 64], ["uint8", 16], ["float64", 8]] as const) {
      it(`${type}, capacity ${capacity}, ${COUNT} elements`, async () => {
        const region = Region.create({ size: 1 << 22 });
        const r = SpscRing.create(region, { capacity, type });
        const run = (role: string, seed: number) => {
          const job = startJobWorker("spsc-worker.mjs", { ring: r.handle, role, count: COUNT, seed });
          const died = job.exited.then((): JobResult => ({ error: "WorkerExit", message: `the ${role} exited without a result` }));
          return Promise.race([job.result, died]);
        };
        const [produced, consumed] = await Promise.all([run("producer", 0x5eed + capacity), run("consumer", 0xc0de + capacity)]);
        expect(produced).toEqual({ ok: { pushed: COUNT } });
        expect(consumed).toEqual({ ok: { received: COUNT, errors: 0, first: undefined } });
        expect(r.length).toBe(0);
      }, 60_000);
    }
  });
});
