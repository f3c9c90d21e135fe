// ring.test.ts (stress) — real worker threads on the rings.
//   - RingBuffer, 2 producers x 2 consumers: each value is (producer id << 24 | sequence);
//     every sequence of every producer must arrive exactly once, and in increasing order
//     within each consumer. Producers and consumers mix blocking, try, async and batch calls,
//     with seeded-random pacing and batch sizes; the ring is small, so it is often full and
//     often empty.
//   - ByteRing, SPSC: frames of seeded-random sizes (0 .. ~600 bytes, some near the maximum),
//     each carrying its sequence and a checksum; the consumer checks every frame in order.
// Counts scale with SABRE_STRESS (test/fixtures/stress-level.ts).
import { describe, expect, it } from "vitest";
import { ByteRing, Region, RingBuffer } from "sabre";
import { startWorker } from "sabre/node";
import { stressLevel } from "../fixtures/stress-level";
import { expectEverySequenceOnce } from "../fixtures/verify";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const SEED = Number(process.env.SABRE_SEED ?? 0x5eed);

/** The worker's first message; rejects if it exits (or fails) without sending one. */
function message<T>(started: { worker: { once(event: "message", fn: (m: T) => void): unknown }; exited: Promise<void> }): Promise<T> {
  return Promise.race([
    new Promise<T>((resolve) => started.worker.once("message", resolve)),
    started.exited.then(() => {
      throw new Error("the worker exited without reporting");
    }),
  ]);
}

describe("RingBuffer stress", () => {
  for (const capacity of [4, 64]) {
    it(`2 producers x 2 consumers, capacity ${capacity}: every value exactly once, in order per producer`, async () => {
      const region = Region.create();
      const ring = RingBuffer.create(region, { capacity });
      const producers = 2;
      const count = stressLevel(100_000);
      const consumers = [0, 1].map((i) => {
        const w = startWorker(fixture("ring-consumer.mjs"), { data: { ring: ring.handle, producers, seed: SEED + 100 + i } });
        return { ...w, result: message<{ error?: string; seen: number[][] }>(w) };
      });
      const makers = Array.from({ length: producers }, (_, id) =>
        startWorker(fixture("ring-producer.mjs"), { data: { ring: ring.handle, id, count, seed: SEED + id } }),
      );
      await Promise.all(makers.map((m) => m.exited));
      ring.close(); // consumers drain, then see ClosedError
      const results = await Promise.all(consumers.map((c) => c.result));
      await Promise.all(consumers.map((c) => c.exited));
      for (const r of results) expect(r.error).toBeUndefined();
      expectEverySequenceOnce(results, producers, count);
      expect(ring.length).toBe(0);
      ring.free();
    });
  }
});

describe("RingBuffer linearizability", () => {
  it("tryPop never reports empty while a push that completed before it is unread", async () => {
    const region = Region.create();
    const ring = RingBuffer.create(region, { capacity: 8 });
    const counterOffset = region.alloc(4);
    const completed = new Int32Array(region.memory.buffer, counterOffset, 1);
    const count = stressLevel(20_000);
    const pushers = [0, 1].map(() =>
      startWorker(fixture("ring-linear-worker.mjs"), {
        data: { ring: ring.handle, region: region.handle, counterOffset, role: "push", count },
      }),
    );
    let popped = 0;
    let violations = 0;
    while (popped < 2 * count) {
      const done = Atomics.load(completed, 0); // pushes that returned before this tryPop
      const v = ring.tryPop();
      if (v !== undefined) popped++;
      else if (done > popped) violations++; // only this thread pops: something completed is unread
    }
    await Promise.all(pushers.map((p) => p.exited));
    expect(violations).toBe(0);
    ring.free();
  });

  it("tryPush never reports full while a pop that completed before it left room", async () => {
    const region = Region.create();
    const capacity = 8;
    const ring = RingBuffer.create(region, { capacity });
    const counterOffset = region.alloc(4);
    const completed = new Int32Array(region.memory.buffer, counterOffset, 1);
    const count = stressLevel(20_000);
    const poppers = [0, 1].map(() =>
      startWorker(fixture("ring-linear-worker.mjs"), {
        data: { ring: ring.handle, region: region.handle, counterOffset, role: "pop", count },
      }),
    );
    let pushed = 0;
    let violations = 0;
    while (pushed < 2 * count) {
      const done = Atomics.load(completed, 0); // pops that returned before this tryPush
      if (ring.tryPush(pushed)) pushed++;
      else if (pushed - done < capacity) violations++; // only this thread pushes
    }
    await Promise.all(poppers.map((p) => p.exited));
    expect(violations).toBe(0);
    ring.free();
  });
});

describe("ByteRing stress", () => {
  for (const capacity of [1024, 4096]) {
    it(`SPSC frames of random sizes, capacity ${capacity}: every frame in order and intact`, async () => {
      const region = Region.create();
      const ring = ByteRing.create(region, { capacity });
      const count = stressLevel(30_000);
      const consumer = startWorker(fixture("bytering-consumer.mjs"), { data: { bytering: ring.handle, seed: SEED + 7 } });
      const result = message<{ frames: number; error?: string }>(consumer);
      const producer = startWorker(fixture("bytering-producer.mjs"), { data: { bytering: ring.handle, count, seed: SEED + 3 } });
      const [made, r] = await Promise.all([producer.exited.then(() => "ok", (e: Error) => `${e.name}: ${e.message}`), result]);
      await consumer.exited;
      expect({ producer: made, consumer: r.error }).toEqual({ producer: "ok", consumer: undefined });
      expect(r.frames).toBe(count);
      expect(ring.usedBytes).toBe(0);
      ring.free();
    });
  }
});
