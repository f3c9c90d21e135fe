// browser-page.ts — the set-up every browser test shares: scripts/serve.mjs serves the repository
// on 127.0.0.1 with the cross-origin isolation headers, scripts/chromium.mjs launches headless
// Chromium through playwright-core, and a page of test/browser/pages exposes its scenarios as
// `window.sabreTests[name](args)`, resolving to plain result objects.
//
//   const browser = useBrowser();               // beforeAll: server + Chromium; afterAll: close both
//   const { page, errors } = await browser.open(path, ready?)   // records uncaught and console errors
//   const p = usePage("/test/browser/pages/x.html");   // useBrowser + one page for the file:
//   await p.run("scenario", { args });                  // afterAll checks it logged no error
//   p.expectError(/404/)                                // console errors a test provokes on purpose
import { afterAll, beforeAll, expect } from "vitest";
import type { Browser, Page } from "playwright-core";
// @ts-expect-error: plain .mjs helpers without type declarations
import { startServer } from "../../scripts/serve.mjs";
// @ts-expect-error: plain .mjs helpers without type declarations
import { launchChromium } from "../../scripts/chromium.mjs";

export interface OpenedPage {
  page: Page;
  /** Uncaught errors and console errors, except those `expectError` allows. */
  errors: string[];
  /** Allows console errors matching `pattern` (its text and script URL) until called again. */
  expectError(pattern?: RegExp): void;
}

export interface BrowserSession {
  /** The server's origin, as http://127.0.0.1:port. */
  readonly url: string;
  /** Opens `path` in a new page and waits until `ready` (a page expression) is truthy. */
  open(path: string, ready?: string): Promise<OpenedPage>;
}

/** Starts the server and Chromium before the file's tests and closes them after. */
export function useBrowser(): BrowserSession {
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get url() {
      return server.url;
    },
    async open(path, ready = "window.sabreReady") {
      const page = await browser.newPage();
      const errors: string[] = [];
      let expected: RegExp | undefined;
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" && !expected?.test(`${m.text()} ${m.location().url}`)) errors.push(`console: ${m.text()}`);
      });
      await page.goto(server.url + path);
      await page.waitForFunction(ready, null, { timeout: 15_000 });
      return { page, errors, expectError: (pattern) => void (expected = pattern) };
    },
  };
}

/** Runs window.sabreTests[name](args) in `page` and returns its result. */
export function runIn<T = Record<string, unknown>>(page: Page, name: string, args: object = {}): Promise<T> {
  return page.evaluate(([n, a]) => (window as any).sabreTests[n as string](a), [name, args] as const) as Promise<T>;
}

export interface SharedPage {
  /** Runs window.sabreTests[name](args) in the file's page. */
  run<T = Record<string, unknown>>(name: string, args?: object): Promise<T>;
  /** Allows console errors matching `pattern` until called again (see OpenedPage). */
  expectError(pattern?: RegExp): void;
}

/** One page at `path` for the whole file; after its tests, checks that it logged no error. */
export function usePage(path: string): SharedPage {
  const browser = useBrowser();
  let opened: OpenedPage;
  beforeAll(async () => {
    opened = await browser.open(path);
  });
  afterAll(async () => {
    await opened?.page.close();
    expect(opened?.errors ?? []).toEqual([]);
  });
  return {
    run: (name, args = {}) => runIn(opened.page, name, args),
    expectError: (pattern) => opened.expectError(pattern),
  };
}
