// barrier.test.ts — what is particular to Barrier, through the public entry: generations,
// leader, timeouts and aborts that withdraw their arrival, bad input, handles. Real worker
// threads passing rounds (one leader each) are the conformance skeleton's mpmc case.
import { describe, expect, it } from "vitest";
import { Barrier, Region, Mutex, TimeoutError, AbortError, InvalidArgumentError, ForeignHandleError } from "sabre";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// a lost wake-up hangs a test: fail it in 20 s rather than the default 60 s
describe("Barrier", { timeout: 20_000 }, () => {
  it("a barrier of one passes at once, as leader, and counts generations", () => {
    const b = Barrier.create(Region.create(), 1);
    expect(b.parties).toBe(1);
    expect(b.wait()).toEqual({ leader: true });
    expect(b.wait()).toEqual({ leader: true });
    expect(b.generation).toBe(2);
    expect(b.arrived).toBe(0);
  });

  it("async parties on one thread: exactly one leader per generation, several generations", async () => {
    const b = Barrier.create(Region.create(), 3);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([b.waitAsync(), b.waitAsync(), b.waitAsync()]);
      expect(results.filter((r) => r.leader)).toHaveLength(1);
      expect(results[2].leader).toBe(true); // the last to arrive
      expect(b.generation).toBe(round + 1);
      expect(b.arrived).toBe(0);
    }
  });

  it("a timed-out wait withdraws its arrival; the barrier stays consistent", async () => {
    const b = Barrier.create(Region.create(), 2);
    expect(() => b.wait({ timeout: 20 })).toThrow(TimeoutError);
    expect(b.arrived).toBe(0);
    expect(() => b.wait({ timeout: 0 })).toThrow(TimeoutError);
    await expect(b.waitAsync({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    expect(b.arrived).toBe(0);
    expect(b.generation).toBe(0);
    expect(b.waiters).toBe(0);
    const first = b.waitAsync({ timeout: 10_000 });
    await sleep(5);
    expect(b.arrived).toBe(1);
    expect(b.wait({ timeout: 10_000 })).toEqual({ leader: true });
    expect(await first).toEqual({ leader: false });
    expect(b.generation).toBe(1);
  });

  it("an aborted waitAsync withdraws its arrival and rejects with AbortError", async () => {
    const b = Barrier.create(Region.create(), 2);
    const ac = new AbortController();
    const p = b.waitAsync({ signal: ac.signal });
    await sleep(5);
    expect(b.arrived).toBe(1);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(b.arrived).toBe(0);
    expect(b.waiters).toBe(0);
    const aborted = new AbortController();
    aborted.abort();
    expect(() => b.wait({ signal: aborted.signal })).toThrow(AbortError);
    await expect(b.waitAsync({ signal: aborted.signal })).rejects.toBeInstanceOf(AbortError);
    expect(b.arrived).toBe(0);
  });

  it("bad parties throw InvalidArgumentError and allocate nothing", () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    for (const parties of [0, -1, 1.5, 65536, Number.NaN, "2" as never]) {
      expect(() => Barrier.create(region, parties)).toThrow(InvalidArgumentError);
    }
    expect(region.usedBlocks).toBe(blocks);
  });

  it("from() attaches; wrong kinds and freed barriers throw; free returns the block", () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    const b = Barrier.create(region, 2);
    expect(Barrier.from(b.handle).parties).toBe(2);
    expect(() => Barrier.from(Mutex.create(region).handle as never)).toThrow(ForeignHandleError);
    b.free();
    expect(region.usedBlocks).toBe(blocks + 1);
    expect(() => Barrier.from(b.handle)).toThrow(ForeignHandleError);
  });

});
