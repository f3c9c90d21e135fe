// spawn.test.ts — spawnWorker from 'sabre' with real Web Workers, in headless Chromium (the
// same server and browser as browser.test.ts: scripts/serve.mjs with the isolation headers,
// scripts/chromium.mjs through playwright-core). The page (pages/spawn.js) passes live
// regions, channels and a mutex to a module worker (pages/spawn-worker.js), which gets them
// back attached with attachWorkerData; a worker that throws makes the page's recvAsync on a
// channel passed to it fail with PeerGoneError instead of waiting forever.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
// @ts-expect-error: plain .mjs helpers without type declarations
import { startServer } from "../../scripts/serve.mjs";
// @ts-expect-error: plain .mjs helpers without type declarations
import { launchChromium } from "../../scripts/chromium.mjs";

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;
const errors: string[] = [];

/** Runs window.sabreTests[name](args) in the page and returns its result. */
function run<T = Record<string, unknown>>(name: string, args: object = {}): Promise<T> {
  return page.evaluate(([n, a]) => (window as any).sabreTests[n as string](a), [name, args] as const) as Promise<T>;
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
  page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/test/browser/pages/spawn.html`);
  await page.waitForFunction("window.sabreReady", null, { timeout: 15_000 });
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await server?.close();
  expect(errors).toEqual([]);
});

describe("in Chromium, spawnWorker from 'sabre' (Web Workers)", () => {
  it("revives a Region, Channels and a Mutex nested in objects, arrays and a Map; the worker uses them", async () => {
    const r = await run<any>("data");
    expect(r.workerIsWeb).toBe(true);
    expect(r.result).toEqual({ region: true, lock: true, channels: true, ownMessages: 0 });
    expect(r.counter).toBe(r.expected);
  });

  it("a worker that throws: the page's recvAsync gets PeerGoneError, exited rejects, onCrash runs once", async () => {
    const r = await run<any>("crash");
    expect(r.recv.name).toBe("PeerGoneError");
    expect(r.exited.name).toBe("WorkerCrashError");
    expect(r.exited.message).toContain("boom from the web worker");
    expect(r.crashes).toHaveLength(1);
    expect(r.crashes[0].name).toBe("WorkerCrashError");
  });
});
