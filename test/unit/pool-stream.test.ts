// pool-stream.test.ts — Pool.map (order, unordered completion, backpressure on its input) and
// streamed results (items in order, a slow consumer holding back the producer, an error after
// items, an early stop cancelling the task), on each Node runtime (real worker threads and child
// processes; test/fixtures/pool-runtime.ts); and interop: a sabre
// Channel used inside a piscina task. Fixtures: test/fixtures/pool-tasks.mjs,
// test/fixtures/piscina-channel-task.mjs.
import { describe, expect, it } from "vitest";
import { RUNTIMES, poolOn, regionOn } from "../fixtures/pool-runtime";
import { Piscina } from "piscina";
import { Channel, Pool, Region, type PoolStream } from "sabre/node";

const tasks = new URL("../fixtures/pool-tasks.mjs", import.meta.url);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(RUNTIMES)("runtime %s", (runtime) => {
  const newPool = poolOn(runtime);
  const newRegion = regionOn(runtime);

  describe("Pool.map", () => {
    it("yields results in input order, pulling input only as tasks finish", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2 });
      let pulled = 0;
      function* inputs() {
        for (let i = 0; i < 200; i++) {
          pulled++;
          yield i;
        }
      }
      const concurrency = 4;
      const out: number[] = [];
      for await (const r of pool.map<number>(inputs(), { name: "inc", concurrency })) {
        out.push(r);
        // at most `concurrency` tasks unfinished or unyielded, plus the one just yielded
        expect(pulled - out.length).toBeLessThanOrEqual(concurrency);
        if (out.length % 50 === 0) await sleep(2); // a slow consumer: the input waits for it
      }
      expect(out).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it("unordered: yields every result once, as tasks complete; takes async iterables", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 4 });
      async function* inputs() {
        for (let i = 0; i < 100; i++) yield i;
      }
      const out: number[] = [];
      for await (const r of pool.map<number>(inputs(), { name: "incAsync", ordered: false, concurrency: 16 })) out.push(r);
      expect(out.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    it("a failing task ends the map with its error and cancels the rest; a break stops the input", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 2 });
      await expect(
        (async () => {
          for await (const _ of pool.map(["a", "b"], { name: "fail" })) void _;
        })(),
      ).rejects.toThrow("a");
      let pulled = 0;
      function* endless() {
        for (;;) yield pulled++;
      }
      for await (const r of pool.map<number>(endless(), { name: "inc", concurrency: 3 })) {
        if (r >= 10) break;
      }
      expect(pulled).toBeLessThanOrEqual(10 + 3 + 1);
      expect(await pool.run(1, { name: "inc" })).toBe(2);
    });
  });

  describe("Pool.map cancellation", () => {
    it("aborting its signal cancels the map's tasks and ends the iteration with AbortError", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1 });
      const ac = new AbortController();
      const seen: number[] = [];
      const inputs = Array.from({ length: 50 }, (_, i) => ({ ms: 2, id: i }));
      const error = await (async () => {
        for await (const r of pool.map<number>(inputs, { name: "spin", concurrency: 4, signal: ac.signal })) {
          seen.push(r);
          if (seen.length === 3) ac.abort();
        }
      })().catch((e) => e);
      expect(error.name).toBe("AbortError");
      expect(seen.length).toBeLessThan(50);
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i)); // a prefix, in order
      expect(await pool.run(1, { name: "inc" })).toBe(2);
    });
  });

  describe("Pool streamed results", () => {
    it("streams a generator's items in order", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1 });
      const stream = await pool.run<PoolStream<number>>(1000, { name: "count" });
      const items: number[] = [];
      for await (const i of stream) items.push(i);
      expect(items).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(pool.stats.completed).toBe(1);
    });

    it("a slow consumer holds back the producer (bounded by streamCapacity)", async () => {
      const region = newRegion({ size: 1 << 20 });
      const events = Channel.create<string>(region, { capacity: 256 });
      const streamCapacity = 4;
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, streamCapacity, workerData: { events } });
      const stream = await pool.run<PoolStream<{ i: number; square: number }>>({ n: 40 }, { name: "countAsync" });
      let produced = 0;
      let consumed = 0;
      for await (const item of stream) {
        expect(item).toEqual({ i: consumed, square: consumed * consumed });
        consumed++;
        await sleep(2);
        for (let r = events.tryRecv(); r.ok; r = events.tryRecv()) produced++;
        // produced counts items whose send completed: at most those taken plus a full channel
        expect(produced).toBeLessThanOrEqual(consumed + streamCapacity + 1);
      }
      expect(consumed).toBe(40);
    });

    it("a task that fails part-way: the items before, then its error", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1 });
      const stream = await pool.run<PoolStream<number>>(3, { name: "countThenFail" });
      const items: number[] = [];
      const error = await (async () => {
        for await (const i of stream) items.push(i);
      })().catch((e) => e);
      expect(items).toEqual([0, 1, 2]);
      expect(error.name).toBe("TypeError");
      expect(error.message).toBe("stream broke");
      expect(pool.stats.failed).toBe(1);
    });

    it("a consumer that stops early cancels the task; the pool keeps serving", async () => {
      await using pool = newPool({ filename: tasks, minThreads: 1, maxThreads: 1, streamCapacity: 2 });
      const stream = await pool.run<PoolStream<number>>(1_000_000, { name: "count" });
      for await (const i of stream) if (i === 5) break;
      expect(await pool.run(1, { name: "inc" })).toBe(2);
      while (pool.stats.running > 0) await sleep(1); // the worker reported the cancelled stream's end
      expect(pool.stats.replacedWorkers).toBe(0);
    });
  });
});

describe("interop", () => {
  it("a sabre Channel works inside a piscina task", async () => {
    const region = Region.create({ size: 1 << 20 });
    const channel = Channel.create<{ i: number; square: number }>(region, { capacity: 8 });
    const piscina = new Piscina({ filename: new URL("../fixtures/piscina-channel-task.mjs", import.meta.url).href, maxThreads: 1 });
    try {
      const n = 100;
      const done = piscina.run({ channel: channel.handle, n });
      for (let i = 0; i < n; i++) expect(await channel.recvAsync()).toEqual({ i, square: i * i });
      expect(await done).toBe(n);
    } finally {
      await piscina.destroy();
    }
  });
});
