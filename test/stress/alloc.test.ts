// alloc.test.ts — the region allocator under contention from real worker threads: blocks
// never overlap (per-thread patterns survive), and every block comes back. Regression test
// for the heap lock taking "WOULD_DEADLOCK" (every agent locks it as the same pseudo-agent)
// for success, which let two threads into the allocator at once. The browser suite
// (test/browser) runs the same churn with the page's main thread spinning on the lock.
import { describe, expect, it } from "vitest";
import { Region } from "sabre";
import { startWorker } from "sabre/node";
import { stressLevel, stressMultiplier } from "../fixtures/stress-level";

const fixture = new URL("../fixtures/alloc-churn-worker.mjs", import.meta.url);

describe("region allocator under worker threads", { timeout: 30_000 * stressMultiplier() }, () => {
  it("four threads churning alloc/free never share a block, and free everything", async () => {
    const region = Region.create({ size: 1 << 18 });
    const freeAtStart = region.freeBytes;
    const iterations = stressLevel(20_000);
    const results: Array<{ bad: number }> = [];
    await Promise.all(Array.from({ length: 4 }, async () => {
      const { worker, exited } = startWorker(fixture, { data: { region: region.handle, iterations } });
      worker.once("message", (m) => results.push(m as { bad: number }));
      await exited;
    }));
    expect(results.map((r) => r.bad)).toEqual([0, 0, 0, 0]);
    expect(region.usedBlocks).toBe(0);
    expect(region.freeBytes).toBe(freeAtStart);
  });
});
