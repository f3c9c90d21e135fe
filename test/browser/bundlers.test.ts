// bundlers.test.ts — sabre in an app built by a bundler, in headless Chromium: the app in
// test/browser/bundler-app/ (a page that starts a worker with spawnWorker; both import "sabre"
// by name) is built with Vite and with esbuild, as the README's "Bundlers" recipes say, into
// test/browser/output/<bundler>/, served with the cross-origin isolation headers on 127.0.0.1
// (scripts/serve.mjs) and run: the page sends jobs on a Channel, page and worker count under
// one Mutex, the worker replies with its sum. "sabre" resolves to this build's dist/index.js
// (the package's "." export), as in an app that installed it. With Vite, the plain-URL form
// spawnWorker(new URL("./worker.js", import.meta.url)) leaves the worker unbundled (inlined as
// a data: URL still importing "sabre"): the test checks that this is reported as
// WorkerLoadError naming the data: URL, not only as a PeerGoneError on the page.
// The builds are not minified: errors.ts names each error after its class (new.target.name),
// which a minifier renames (a minified build reports "Dn" for PeerGoneError) — until errors get
// literal names, an app that minifies must not rely on error.name.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";
// @ts-expect-error: plain .mjs helpers without type declarations
import { startServer } from "../../scripts/serve.mjs";
// @ts-expect-error: plain .mjs helpers without type declarations
import { launchChromium } from "../../scripts/chromium.mjs";

const app = fileURLToPath(new URL("./bundler-app/", import.meta.url));
const output = fileURLToPath(new URL("./output/", import.meta.url));
const sabreEntry = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

let server: { url: string; close(): Promise<void> };
let browser: Browser;

/** The Vite recipe of README "Bundlers": worker.format "es" (the worker uses top-level await). */
async function buildWithVite(outDir: string): Promise<void> {
  await viteBuild({
    root: app,
    base: "./",
    configFile: false,
    logLevel: "silent",
    resolve: { alias: { sabre: sabreEntry } },
    worker: { format: "es" },
    build: { outDir, emptyOutDir: true, minify: false },
  });
}

/** The esbuild recipe of README "Bundlers": page and worker as two entry points, side by side. */
async function buildWithEsbuild(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await esbuild({
    entryPoints: [`${app}main.js`, `${app}worker.js`],
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    alias: { sabre: sabreEntry },
    minify: false,
    logLevel: "silent",
  });
  copyFileSync(`${app}index.html`, `${outDir}/index.html`);
}

/** Opens an app's page; console errors and page errors land in `errors`. */
async function open(bundler: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/test/browser/output/${bundler}/index.html`);
  await page.waitForFunction("window.bundlerReady", null, { timeout: 15_000 });
  return page;
}

function run(page: Page, form: string): Promise<any> {
  return page.evaluate((f) => (window as any).bundlerTest(f), form);
}

beforeAll(async () => {
  mkdirSync(output, { recursive: true });
  await buildWithVite(`${output}vite`);
  await buildWithEsbuild(`${output}esbuild`);
  server = await startServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("in Chromium, an app bundled with Vite or esbuild", () => {
  it("the builds put the worker in its own bundled file", () => {
    const vite = readdirSync(`${output}vite/assets`);
    expect(vite.some((f) => /^worker-.*\.js$/.test(f))).toBe(true);
    expect(readdirSync(`${output}esbuild`).sort()).toEqual(["index.html", "main.js", "worker.js"]);
  });

  for (const bundler of ["vite", "esbuild"]) {
    for (const form of ["worker", "factory"]) {
      it(`${bundler}: spawnWorker(${form === "worker" ? "new Worker(...)" : "() => new Worker(...)"}) — Channel and Mutex round trip`, async () => {
        const errors: string[] = [];
        const page = await open(bundler, errors);
        try {
          const r = await run(page, form);
          expect(r.error).toBeUndefined();
          expect(r.sum).toBe(r.expectedSum);
          expect(r.counter).toBe(r.expectedCounter);
          expect(r.exited).toEqual({ name: "no error" }); // terminate() resolves exited
          expect(errors).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
  }

  it("esbuild: spawnWorker(new URL(...)) works too (worker.js is an entry point beside main.js)", async () => {
    const errors: string[] = [];
    const page = await open("esbuild", errors);
    try {
      const r = await run(page, "url");
      expect(r.error).toBeUndefined();
      expect(r.sum).toBe(r.expectedSum);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("vite: spawnWorker(new URL(...)) leaves the worker unbundled; that is a WorkerLoadError naming the data: URL", async () => {
    const page = await open("vite", []);
    try {
      const r = await run(page, "url");
      expect(r.error.name).toBe("PeerGoneError"); // the page's sendAsync/recvAsync is woken
      expect(r.exited.name).toBe("WorkerLoadError");
      expect(r.exited.message).toContain("failed to load");
      expect(r.exited.message).toContain("data: URL");
      expect(r.exited.message).toContain('README "Bundlers"');
    } finally {
      await page.close();
    }
  });
});
