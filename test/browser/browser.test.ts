// browser.test.ts — sabre in a real browser: headless Chromium (scripts/chromium.mjs: the
// system's or @sparticuz/chromium's, driven by playwright-core) against pages served on 127.0.0.1 by scripts/serve.mjs with the
// cross-origin isolation headers. The main thread of each page and several Web Workers share
// regions; the page may never block, so it uses only try and async forms, natively
// (Atomics.waitAsync) and through the polling fallback (harness.html?nowaitasync), including a
// Channel stress with the sequence/checksum verifier (pages/channel-stress.js) and a
// selectAsync over receive and send cases in two regions with the same verifier, and a Mailbox
// (request/reply between the page and 2 workers, serve and serveAsync, RemoteError, selective
// receive on the page with per-producer order; pages/mailbox-scenario.js). Also: the
// package's "." entry bundled by esbuild, the isolation error on a page served without the
// headers. A missing Chromium fails the suite with what to install.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { stressLevel, stressMultiplier } from "../fixtures/stress-level";
import { runIn, useBrowser } from "./browser-page";

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, "output");

const browser = useBrowser();
const open = (path: string, ready?: string) => browser.open(path, ready);
const run = <T = Record<string, unknown>>(page: Page, name: string, args: object = {}) => runIn<T>(page, name, args);

beforeAll(() => {
  mkdirSync(output, { recursive: true });
});

for (const variant of ["Atomics.waitAsync", "polling fallback"] as const) {
  const path = `/test/browser/pages/harness.html${variant === "polling fallback" ? "?nowaitasync" : ""}`;

  describe(`in Chromium, page waits by ${variant}`, () => {
    let page: Page;
    let errors: string[];
    beforeAll(async () => {
      ({ page, errors } = await open(path));
    });
    afterAll(async () => {
      await page?.close();
      expect(errors).toEqual([]);
    });

    it("the page is isolated and may not block; workers may; async waits are native or polled as chosen", async () => {
      const env = await run<any>(page, "environment");
      expect(env.page.crossOriginIsolated).toBe(true);
      expect(env.page.blockingAllowed).toBe(false);
      expect(env.worker).toEqual({ crossOriginIsolated: true, blockingAllowed: true, nativeWaitAsync: true });
      if (variant === "Atomics.waitAsync") {
        expect(env.page.atomicsWaitAsync).toBe("function"); // this Chromium has it
        expect(env.page.nativeWaitAsync).toBe(true);
      } else {
        expect(env.page.nativeWaitAsync).toBe(false);
      }
    });

    it("a region shared by the page and three workers: distinct agents, allocator churn without overlap", async () => {
      const r = await run<any>(page, "region");
      expect(r.distinctAgents).toBe(4);
      expect(r.bad).toBe(0);
      expect(r.counted).toBe(r.expected);
      expect(r.usedBlocksAfter).toBe(0);
      expect(r.freeBytesRestored).toBe(true);
    });

    it("a mutex between the page (lockAsync) and three workers (lock): exclusion, timeout, abort", async () => {
      const r = await run<any>(page, "mutex");
      expect(r.nativeWaitAsync).toBe(variant === "Atomics.waitAsync");
      expect(r.blockingLock).toBe("BlockingNotAllowedError");
      expect(r.tryWhileFree).toBe(true);
      expect(r.tryWhileHeld).toBe("undefined");
      expect(r.timedOut).toBe("TimeoutError");
      expect(r.aborted).toBe("AbortError");
      expect(r.counter).toBe(r.expected);
      expect(r.lockedAfter).toBe(false);
    });

    it("RingBuffer stress, 3 producers x 3 consumers (page + 4 workers): no loss, no duplicate, per-producer order, checksums", async () => {
      const n = stressLevel(20_000);
      const r = await run<any>(page, "ringStress", { n, seed: 0x5ab1e + (variant === "polling fallback" ? 1 : 0) });
      expect(r.count).toBe(3 * n);
      expect(r.missing).toBe(0);
      expect(r.dups).toBe(0);
      expect(r.order).toBe(0);
      expect(r.bad).toBe(0);
      expect(r.checksumOk).toBe(true);
      expect(r.lengthAfter).toBe(0);
      expect(r.perConsumer.every((c: number) => c > 0)).toBe(true); // the page consumed too
    }, 30_000 * stressMultiplier());

    it("ByteRing frames both ways between the page (async) and workers (blocking): order and every byte", async () => {
      const n = stressLevel(3000);
      const r = await run<any>(page, "byteRing", { n });
      expect(r.pageRead).toEqual({ count: n, bad: 0 });
      expect(r.workerRead).toEqual({ count: n, bad: 0 });
    }, 30_000 * stressMultiplier());

    it("Channel stress, 2 producer workers x 2 consumers (a worker + the page, tryRecv and recvAsync), 2 KiB ring, 0 B to 3x ring messages: exactly once, in order per producer, intact", async () => {
      const n = stressLevel(1500);
      const r = await run<any>(page, "channelStress", { n, seed: 0xc4a7 + (variant === "polling fallback" ? 1 : 0) });
      expect(r.perProducer).toEqual([{ received: n, wrong: 0 }, { received: n, wrong: 0 }]);
      expect(r.bad).toBe(0);
      expect(r.order).toBe(0);
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.lenAfter).toBe(0);
      expect(r.perConsumer.every((c: number) => c > 0)).toBe(true); // the page consumed too
    }, 30_000 * stressMultiplier());

    it("selectAsync on the page: recv cases in two regions (buffered, rendezvous) and a send case, with 3 workers: every message once, in order, intact", async () => {
      const n = stressLevel(300);
      const r = await run<any>(page, "selectMix", { n, seed: 0x5e1ec7 + (variant === "polling fallback" ? 1 : 0) });
      expect(r.defaultOnEmpty).toBe(-1);
      expect(r.blockingThrows).toBe(true);
      expect(r.received).toEqual([n, n]);
      expect(r.sent).toBe(n);
      expect(r.consumed).toBe(n);
      expect(r.bad).toBe(0);
      expect(r.order).toBe(0);
    }, 30_000 * stressMultiplier());

    it("Mailbox: requestAsync (many in flight) from the page and blocking request from a worker to a worker's serve, serveAsync on the page, RemoteError, timeout and abort (late replies dropped), selective receiveAsync: every reply once and matching, order per producer", async () => {
      const k = stressLevel(300);
      const kPage = stressLevel(100);
      const n = stressLevel(200);
      const lanes = 12;
      const failures = 3;
      const r = await run<any>(page, "mailbox", { k, kPage, n, lanes, failures, seed: 0x3b0c5 + (variant === "polling fallback" ? 1 : 0) });
      expect(r.nativeWaitAsync).toBe(variant === "Atomics.waitAsync");
      expect(r.blocking).toEqual(["BlockingNotAllowedError", "BlockingNotAllowedError", "BlockingNotAllowedError"]);
      expect(r.page).toEqual({
        replies: k, once: true, mismatched: 0, maxInFlight: lanes, failed: Array(failures).fill("RemoteError"), timedOut: "TimeoutError", aborted: "AbortError",
      });
      expect(r.workerB).toEqual({ okA: k, badA: 0, okPage: kPage, badPage: 0 });
      expect(r.servedByA).toBe(2 * k + failures + 2); // and the two given up on: answered late, dropped
      expect(r.servedByPage).toBe(kPage);
      expect(r.selective).toMatchObject({ hi: [true, true], lo: [true, true], received: 2 * n, bad: 0 });
      expect(r.selective.savedAfterHi).toBeGreaterThanOrEqual(r.selective.minSaved); // the "lo" read past were kept
      expect(r.selective.minSaved).toBeGreaterThan(0);
      expect(r.afterClose).toBe("ClosedError");
      expect(r.tryAfterClose).toEqual({ ok: false, closed: true });
      expect(r.lens).toEqual([0, 0, 0]);
    }, 30_000 * stressMultiplier());

    it("a semaphore between the page (acquireAsync) and three workers (acquire): never over its permits", async () => {
      const r = await run<any>(page, "semaphore");
      expect(r.blockingAcquire).toBe("BlockingNotAllowedError");
      expect(r.violations).toBe(0);
      expect(r.maxSeen).toBeGreaterThanOrEqual(1);
      expect(r.maxSeen).toBeLessThanOrEqual(r.permits);
      expect(r.insideAfter).toBe(0);
      expect(r.count).toBe(r.permits);
      expect(r.waiters).toBe(0);
    });
  });
}

describe("in Chromium, the demo page", () => {
  it("streams work through a RingBuffer to a pool of Web Workers with live throughput (screenshot: test/browser/output/demo.png)", async () => {
    const { page, errors } = await open("/demo/?workers=3", "window.demoState?.rate > 0 && window.demoState.received > 50000");
    await page.setViewportSize({ width: 900, height: 720 });
    await page.waitForTimeout(1200); // a few refreshes of the live figures
    const state = await page.evaluate(() => (window as any).demoState);
    expect(state).toMatchObject({ isolated: true, running: true, workers: 3 });
    expect(await page.textContent("#wait")).toBe("Atomics.waitAsync");
    await page.screenshot({ path: join(output, "demo.png") });
    await page.click("#toggle"); // stop: the pool drains and the page verifies every item
    await page.waitForFunction("window.demoState.verified", null, { timeout: 15_000 });
    const verified = await page.evaluate(() => (window as any).demoState.verified);
    expect(verified.ok).toBe(true);
    expect(verified.received).toBe(verified.sent);
    expect(await page.textContent("#check")).toMatch(/verified: all .* items came back exactly once/);
    await page.close();
    expect(errors).toEqual([]);
  });

  it("served without COOP/COEP, it names the missing headers instead of failing cryptically", async () => {
    const { page } = await open("/unisolated/demo/", "window.demoState?.error");
    const text = await page.innerText("#error");
    await page.screenshot({ path: join(output, "demo-unisolated.png") });
    await page.close();
    expect(text).toMatch(/not cross-origin isolated/);
    expect(text).toMatch(/Cross-Origin-Opener-Policy: same-origin — missing/);
    expect(text).toMatch(/Cross-Origin-Embedder-Policy: require-corp — missing/);
  });
});

describe("in Chromium, packaging and isolation", () => {
  it("the '.' entry bundled by esbuild (platform browser) runs in a page and its worker", async () => {
    const result = await build({
      absWorkingDir: join(here, "..", ".."),
      entryPoints: [join(here, "pages", "bundled-entry.js")],
      outfile: join(output, "bundled.js"),
      bundle: true, format: "esm", platform: "browser", target: "es2022", logLevel: "silent", metafile: true,
    });
    // resolved through package.json "exports" to the built dist/, not to src/
    expect(Object.keys(result.metafile.inputs).some((f) => f.startsWith("dist/index.js"))).toBe(true);
    const { page, errors } = await open("/test/browser/pages/bundled.html", "window.bundledResult");
    const r = await page.evaluate(() => (window as any).bundledResult);
    await page.close();
    expect(r).toEqual({ counter: 2000, expected: 2000, workerMayBlock: true, pageMayBlock: false });
    expect(errors).toEqual([]);
  });

  it("aborted async waits let their regions go: 300 regions, each with an aborted recvAsync, in one page", async () => {
    const { page, errors } = await open("/test/browser/pages/harness.html");
    const r = await run<any>(page, "abortedWaits", { n: 300 }).finally(() => page.close());
    expect(r).toEqual({ made: 300, aborted: 300, error: null });
    expect(errors).toEqual([]);
  });

  it("a page served without COOP/COEP gets CrossOriginIsolationError naming both headers", async () => {
    const { page } = await open("/unisolated/test/browser/pages/harness.html");
    const r = await run<any>(page, "createRegion");
    await page.close();
    expect(r.ok).toBe(false);
    expect(r.name).toBe("CrossOriginIsolationError");
    expect(r.message).toContain("Cross-Origin-Opener-Policy: same-origin");
    expect(r.message).toContain("Cross-Origin-Embedder-Policy: require-corp");
  });
});
