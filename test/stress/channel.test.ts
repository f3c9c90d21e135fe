// channel.test.ts (stress) — real worker threads on a Channel: 2 producers x 2 consumers,
// messages of seeded-random sizes from 12 bytes to 3x the ring (fragmented), each carrying its
// producer id, sequence and checksum; producers now and then give up mid-message (short
// timeouts: withdraw or cancel frame) and retry. The verifier sees every message exactly once,
// in order per producer, intact. Plus leaks. Counts scale with SABRE_STRESS.
import { describe, expect, it } from "vitest";
import { Channel, Region } from "sabre";
import { startWorker } from "sabre/node";
import { stressLevel } from "../fixtures/stress-level";
import { expectEverySequenceOnce } from "../fixtures/verify";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const SEED = Number(process.env.SABRE_SEED ?? 0xc4a7);

function message<T>(worker: { once(event: "message", fn: (m: T) => void): unknown }): Promise<T> {
  return new Promise((resolve) => worker.once("message", resolve));
}

describe("Channel stress", () => {
  for (const capacity of [0, 3]) {
    it(`2 producers x 2 consumers, capacity ${capacity}, ring 2 KiB: every message once, in order per producer, intact`, async () => {
      const region = Region.create({ size: 1 << 20 });
      const ch = Channel.create(region, { capacity, bufferBytes: 2048, codec: "raw" });
      const producers = 2;
      const count = stressLevel(4000);
      const consumers = [0, 1].map((i) => {
        const w = startWorker(fixture("channel-stress-consumer.mjs"), { data: { channel: ch.handle, producers, seed: SEED + 100 + i } });
        return { ...w, result: message<{ error?: string; seen: number[][] }>(w.worker) };
      });
      const makers = Array.from({ length: producers }, (_, id) => {
        const w = startWorker(fixture("channel-stress-producer.mjs"), { data: { channel: ch.handle, id, count, seed: SEED + id } });
        return { ...w, result: message<{ error?: string; gaveUp?: number }>(w.worker) };
      });
      const made = await Promise.all(makers.map((m) => m.result));
      for (const m of made) expect(m.error).toBeUndefined();
      ch.close(); // consumers drain, then see the end
      const results = await Promise.all(consumers.map((c) => c.result));
      await Promise.all([...makers, ...consumers].map((w) => w.exited));
      for (const r of results) expect(r.error).toBeUndefined();
      expectEverySequenceOnce(results, producers, count);
      expect(ch.len).toBe(0);
      ch.free();
    });
  }

  it("leaks: many channels created, used across a thread, closed and freed give back every byte", async () => {
    const region = Region.create({ size: 1 << 20 });
    const start = region.freeBytes;
    for (let i = 0; i < stressLevel(20); i++) {
      const ch = Channel.create<number>(region, { capacity: 1, bufferBytes: 4096 });
      const w = startWorker(fixture("channel-worker.mjs"), { data: { channel: ch.handle, op: "sendMany", values: [1, 2, 3] } });
      expect([ch.recv(), ch.recv(), ch.recv()]).toEqual([1, 2, 3]);
      await w.exited;
      ch.close();
      ch.free();
    }
    expect(region.freeBytes).toBe(start);
  });
});
