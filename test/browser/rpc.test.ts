// rpc.test.ts — sabre's RPC in headless Chromium (the server and browser of spawn.test.ts):
// comlink over sabre between the page and a Web Worker (get, apply, a thrown error with name
// and stack, a proxy() callback and `new` through the side channel posted via the Worker),
// the blocking forms refusing on the page's main thread, and a Web Worker calling functions
// the page serves, synchronously.
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

function run<T = Record<string, unknown>>(name: string): Promise<T> {
  return page.evaluate((n) => (window as any).sabreTests[n](), name) as Promise<T>;
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
  page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/test/browser/pages/rpc.html`);
  await page.waitForFunction("window.sabreReady", null, { timeout: 15_000 });
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await server?.close();
  expect(errors).toEqual([]);
});

describe("in Chromium, sabre's RPC", () => {
  it("comlink over sabre with a Web Worker: get, apply, errors, proxy() callbacks, new", async () => {
    const r = await run<any>("comlink");
    expect(r.value).toBe(42);
    expect(r.sum).toBe(42);
    expect(r.error).toEqual({ name: "RangeError", message: "bad range", stack: "string" });
    expect(r.called).toBe(41);
    expect(r.inc).toBe(2);
  });

  it("the page's main thread may not block: syncFunction and wrapSync refuse", async () => {
    const r = await run<any>("refusals");
    expect(r.syncFunction.name).toBe("BlockingNotAllowedError");
    expect(r.wrapSync.name).toBe("BlockingNotAllowedError");
  });

  it("a Web Worker calls functions the page serves, synchronously", async () => {
    const r = await run<any>("syncFromWorker");
    expect(r.sum).toBe(9900);
    expect(r.error).toEqual({ name: "RangeError", message: "no" });
  });
});
