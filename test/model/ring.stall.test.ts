// ring.stall.test.ts — hand-scheduled interleavings of the MPMC ring's protocol: the main
// thread plays a producer (consumer) that stalled between claiming its position (the CAS on
// RING_ENQ / RING_DEQ) and publishing its slot, writing the core's words itself; a worker
// then runs tryPop (tryPush). Vyukov's original reports "empty" ("full") here although a
// later push (pop) has completed; the ring must instead wait for the stalled slot
// (linearizability, DESIGN.md "The core"). Imports internals (layout), as model tests may.
import { describe, expect, it } from "vitest";
import { Region, RingBuffer } from "sabre";
import { startWorker } from "sabre/node";
import * as L from "../../assembly/layout";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const STALL_MS = 150;

function runWorker(data: Record<string, unknown>) {
  const { worker, exited } = startWorker(fixture("ring-stall-worker.mjs"), { data });
  const ready = new Promise((resolve) => worker.once("message", resolve));
  const result = ready.then(() => new Promise<{ value?: number | null; pushed?: boolean; ms: number }>((resolve) => worker.once("message", resolve)));
  return { ready, result, exited };
}

describe("RingBuffer, stalled operations", () => {
  it("tryPop waits for a producer stalled between claim and publish, instead of reporting empty", async () => {
    const region = Region.create();
    const ring = RingBuffer.create(region, { capacity: 4 });
    const words = region.words;
    const enq = (ring.offset + L.RING_ENQ) >> 2;
    const slot0 = (ring.offset + L.RING_SLOTS) >> 2;
    // stalled producer: claims position 0, does not publish
    expect(Atomics.compareExchange(words, enq, 0, 1)).toBe(0);
    // a later push completes (position 1)
    expect(ring.tryPush(5)).toBe(true);
    const w = runWorker({ ring: ring.handle, op: "tryPop" });
    await w.ready;
    await new Promise((r) => setTimeout(r, STALL_MS));
    // the stalled producer resumes: value, then publish seq = position + 1
    words[slot0 + (L.RING_SLOT_VALUE >> 2)] = 7;
    Atomics.store(words, slot0 + (L.RING_SLOT_SEQ >> 2), 1);
    const r = await w.result;
    expect(r.value).toBe(7); // FIFO: the stalled position comes first
    expect(ring.tryPop()).toBe(5);
    await w.exited;
  });

  it("tryPush waits for a consumer stalled between claim and release, instead of reporting full", async () => {
    const region = Region.create();
    const ring = RingBuffer.create(region, { capacity: 2 });
    const words = region.words;
    const deq = (ring.offset + L.RING_DEQ) >> 2;
    const slot0 = (ring.offset + L.RING_SLOTS) >> 2;
    ring.push(1);
    ring.push(2);
    // stalled consumer: claims position 0, has not released the slot
    expect(Atomics.compareExchange(words, deq, 0, 1)).toBe(0);
    // a later pop completes (position 1): the ring has room for one value
    expect(ring.tryPop()).toBe(2);
    const w = runWorker({ ring: ring.handle, op: "tryPush" });
    await w.ready;
    await new Promise((r) => setTimeout(r, STALL_MS));
    // the stalled consumer resumes: releases slot 0 for position 0 + capacity
    Atomics.store(words, slot0 + (L.RING_SLOT_SEQ >> 2), 2);
    const r = await w.result;
    expect(r.pushed).toBe(true);
    expect(ring.tryPop()).toBe(9);
    await w.exited;
  });
});
