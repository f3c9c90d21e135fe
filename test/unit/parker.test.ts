// parker.test.ts — the region's Parker, through the public API: every kind of parking a region
// can be created with ("atomics", "polling") carries a channel round trip between threads in
// which both sides park, wakes every waiter on a close (the core's wake-all reaches the parker
// as an unsigned count), travels in the region's handle to the threads that attach, and an
// unknown kind is refused with a named error; abortable async waits, which park in slices,
// behave as one wait (woken after a slice, timed out at their deadline, aborted).
import { describe, expect, it } from "vitest";
import { Channel, InvalidArgumentError, Region, RingBuffer } from "sabre";
import { startJobWorker } from "../fixtures/job-worker";

const KINDS = ["atomics", "polling"] as const;

describe.each(KINDS)("Region parking %s", (parking) => {
  it("carries a channel round trip with both sides parked between messages", async () => {
    const region = Region.create({ size: 1 << 18, parking });
    expect(region.parker.kind).toBe(parking);
    expect(region.handle.parking).toBe(parking);
    const requests = Channel.create<number>(region, { capacity: 1 });
    const replies = Channel.create<number>(region, { capacity: 1 });
    const job = startJobWorker("parker-worker.mjs", {
      role: "echo", region: region.handle, requests: requests.handle, replies: replies.handle,
    });
    await job.ready;
    const ROUNDS = 200;
    let sum = 0;
    for (let i = 1; i <= ROUNDS; i++) {
      await requests.sendAsync(i, { timeout: 10_000 });
      sum += await replies.recvAsync({ timeout: 10_000 });
    }
    requests.close();
    expect(sum).toBe((ROUNDS * (ROUNDS + 1)) / 2);
    expect((await job.result).ok).toEqual({ parking, echoed: ROUNDS });
    await job.exited;
  });

  it("wakes every thread blocked on a word when the structure closes", async () => {
    const region = Region.create({ size: 1 << 16, parking });
    const ring = RingBuffer.create(region, { capacity: 4 });
    const jobs = [0, 1].map(() => startJobWorker("parker-worker.mjs", { role: "pop", region: region.handle, ring: ring.handle }));
    await Promise.all(jobs.map((j) => j.ready));
    // both workers are about to block in pop(); give them time to park, then close once
    while (ring.length !== 0) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 50));
    ring.close();
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(results.map((r) => r.ok)).toEqual([{ parking, popped: "ClosedError" }, { parking, popped: "ClosedError" }]);
    await Promise.all(jobs.map((j) => j.exited));
  });
});

describe("abortable async waits past the parker's slice (1 s: an aborted native wait must end soon)", () => {
  it("are still woken by a send after the slice, and still time out at their deadline, not at a slice", async () => {
    const region = Region.create({ size: 1 << 16 });
    const ch = Channel.create<number>(region, { capacity: 1 });
    const controller = new AbortController();
    const t0 = performance.now();
    const late = setTimeout(() => ch.trySend(7), 1300);
    expect(await ch.recvAsync({ signal: controller.signal, timeout: 10_000 })).toBe(7);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1250); // it waited for the send (a slice did not end it)
    clearTimeout(late);
    const t1 = performance.now();
    await expect(ch.recvAsync({ signal: controller.signal, timeout: 1200 })).rejects.toMatchObject({ name: "TimeoutError" });
    expect(performance.now() - t1).toBeGreaterThanOrEqual(1150);
    const pending = ch.recvAsync({ signal: controller.signal });
    setTimeout(() => controller.abort(), 1100);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(ch.trySend(8)).toBe(true); // the aborted wait took nothing
    expect(ch.tryRecv()).toEqual({ ok: true, value: 8 });
  });
});

describe("Region parking option", () => {
  it("refuses an unknown kind with InvalidArgumentError and creates nothing", () => {
    expect(() => Region.create({ parking: "spin" as never })).toThrow(InvalidArgumentError);
    expect(() => Region.create({ parking: "spin" as never })).toThrow(/parking must be one of "atomics", "polling", got string "spin"/);
  });
});
