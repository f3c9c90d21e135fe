// chromium.mjs — finds and launches headless Chromium for the browser tests and the browser
// benchmark, through playwright-core. Which binary, first match wins:
//   1. SABRE_CHROMIUM, if set (must exist: a wrong path is an error, never a fallback);
//   2. /usr/bin/chromium, Debian's `chromium` package (what .ci/run installs);
//   3. the Chromium inside the devDependency @sparticuz/chromium: shipped in the npm package
//      itself (brotli-compressed, no install script, no download), decompressed on first use
//      into the OS temp dir (/tmp/chromium, ~3 s), so `npm test` works on a machine with no
//      system browser and no outside network.
// The launch flags are ours, never @sparticuz/chromium's default `args`: those are tuned for
// AWS Lambda and include switches that enable SharedArrayBuffer or disable web security,
// which would make the cross-origin-isolation tests pass for the wrong reason.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";

/**
 * Flags: no sandbox and no zygote (CI runs as root; the bundled build has no setuid sandbox
 * helper), no GPU, and nothing that phones home (background networking, component updates,
 * sync, QUIC): on a machine with a closed network those only produce refused connections.
 * playwright-core adds --headless and a fresh temporary --user-data-dir of its own for every
 * launch (and removes it on close).
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--no-zygote",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

/** Holds `fn` under a lock directory shared by every process on the machine (vitest runs the
 * browser test files in parallel; two of them must not decompress into /tmp at once). */
async function withLock(dir, fn) {
  for (const started = Date.now(); ; ) {
    try {
      mkdirSync(dir);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      // A holder that died leaves the directory behind; decompressing takes seconds, not minutes.
      if (Date.now() - statSync(dir, { throwIfNoEntry: false })?.mtimeMs > 120_000) rmSync(dir, { recursive: true, force: true });
      if (Date.now() - started > 180_000) throw new Error(`waited 3 minutes for ${dir}; remove it if no test is running`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bundled Chromium of @sparticuz/chromium, decompressed once per machine (a marker file
 * named after the package version records a completed decompression). */
async function bundledChromium() {
  const require = createRequire(import.meta.url);
  let entry;
  try {
    entry = require.resolve("@sparticuz/chromium"); // its exports hide package.json
  } catch {
    return undefined; // not installed (npm install --omit=dev)
  }
  const { version } = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8"));
  const ready = join(tmpdir(), `sabre-sparticuz-chromium-${version}.ready`);
  return withLock(join(tmpdir(), "sabre-sparticuz-chromium.lock"), async () => {
    if (existsSync(ready)) {
      const path = readFileSync(ready, "utf8");
      if (existsSync(path)) return path;
    }
    const { default: bundled } = await import("@sparticuz/chromium");
    const path = await bundled.executablePath();
    writeFileSync(ready, path);
    return path;
  });
}

/** Which Chromium the tests use: `{ path, source }`; throws, with what to do, when none is found. */
export async function resolveChromium() {
  const fromEnv = process.env.SABRE_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`SABRE_CHROMIUM=${fromEnv} does not exist: point it at a Chromium binary or unset it.`);
    return { path: fromEnv, source: "SABRE_CHROMIUM" };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: "system" };
  const path = await bundledChromium();
  if (path) return { path, source: "@sparticuz/chromium" };
  throw new Error(
    "No Chromium for the browser tests: install the devDependencies (`npm install`, which brings " +
      "@sparticuz/chromium), or Debian's package (`apt-get install -y chromium`, as .ci/run does), " +
      "or set SABRE_CHROMIUM to a Chromium binary.",
  );
}

/** Launches headless Chromium (see resolveChromium for which one). */
export async function launchChromium() {
  const { path, source } = await resolveChromium();
  // The bundled build brings its own fonts (decompressed next to it); point fontconfig there.
  const env = source === "@sparticuz/chromium" ? { ...process.env, FONTCONFIG_PATH: process.env.FONTCONFIG_PATH ?? join(tmpdir(), "fonts") } : undefined;
  return chromium.launch({ executablePath: path, headless: true, args: CHROMIUM_ARGS, env });
}
