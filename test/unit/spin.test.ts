// spin.test.ts — a region parker's adaptive spin (Parker.spinner, src/wait/spin.ts; the Parker
// reached as region.parker, as parker.test.ts does, the rest through the public API): a spin returns as soon as its word differs, spins that run out bring the budget
// down to its minimum (the waits then park after a few microseconds), the core's timed spin
// (begin / spinOn / end) stops once its budget is spent, and round trips whose waits spin
// through it still carry every message (both sides spinning and parking). No timed assertion:
// only where the budget ends up after outcomes the test forces.
import { describe, expect, it } from "vitest";
import { Channel, Region } from "sabre";
import { startJobWorker } from "../fixtures/job-worker";

const MIN_MS = 0.002;

describe("Parker.spinner", () => {
  it("returns at once when the word already differs, and learns nothing from that", () => {
    const region = Region.create({ size: 1 << 16 });
    const spinner = region.parker.spinner!;
    const words = new Int32Array(new SharedArrayBuffer(8));
    const before = spinner.budgetMs;
    expect(spinner.spin(words, 0, 1, false)).toBe(true);
    expect(spinner.spin(words, 0, 1, true)).toBe(true);
    expect(spinner.budgetMs).toBe(before);
  });

  it("spins that run out bring the budget down to its minimum", () => {
    const region = Region.create({ size: 1 << 16, parking: "polling" });
    const spinner = region.parker.spinner!;
    const words = new Int32Array(new SharedArrayBuffer(8));
    expect(spinner.budgetMs).toBeGreaterThan(MIN_MS);
    for (let i = 0; i < 40; i++) expect(spinner.spin(words, 0, 0, i % 2 === 0)).toBe(false);
    expect(spinner.budgetMs).toBe(MIN_MS);
  });

  it("the core's timed spin stops once its budget is spent, and parks after it teach the spinner", () => {
    const spinner = Region.create({ size: 1 << 16 }).parker.spinner!;
    for (let round = 0; round < 40; round++) {
      spinner.begin(false);
      while (spinner.spinOn());
      expect(spinner.spinOn()).toBe(false); // stays stopped until the next begin
      spinner.end();
      spinner.parkedAfterCore();
    }
    expect(spinner.budgetMs).toBe(MIN_MS);
  });

  it.each(["atomics", "polling"] as const)("round trips whose waits spin through it carry every message (%s)", async (parking) => {
    const region = Region.create({ size: 1 << 18, parking });
    const requests = Channel.create<number>(region, { capacity: 1 });
    const replies = Channel.create<number>(region, { capacity: 1 });
    const job = startJobWorker("parker-worker.mjs", {
      role: "echo", region: region.handle, requests: requests.handle, replies: replies.handle,
    });
    await job.ready;
    const ROUNDS = 300;
    let sum = 0;
    for (let i = 1; i <= ROUNDS; i++) {
      // alternate blocking and async forms: both drivers spin through the same spinner
      if (i % 2) {
        requests.send(i, { timeout: 10_000 });
        sum += replies.recv({ timeout: 10_000 });
      } else {
        await requests.sendAsync(i, { timeout: 10_000 });
        sum += await replies.recvAsync({ timeout: 10_000 });
      }
    }
    requests.close();
    expect(sum).toBe((ROUNDS * (ROUNDS + 1)) / 2);
    expect((await job.result).ok).toEqual({ parking, echoed: ROUNDS });
    await job.exited;
  });
});
