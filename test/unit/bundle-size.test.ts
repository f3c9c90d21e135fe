// bundle-size.test.ts — what a bundler keeps of sabre. A consumer project is made in a
// temporary directory (its node_modules/sabre links to this package, so "sabre" resolves
// through package.json "exports" to the built dist/ and "sideEffects" applies, as after an
// install), and small entry files are bundled with esbuild (minified, platform browser):
//   - a page that imports only Mutex,
//   - a page that imports only Channel,
//   - a page that imports the whole package.
// Prints each bundle's minified and gzipped size. Asserts on the modules in each bundle, read
// from esbuild's metafile (never on byte counts): the Mutex-only page carries no msgpackr, no
// codec, channel, mailbox, queue, pool or revival code; the Channel page carries msgpackr and
// the channel (so the check can see them when they are there); the whole package carries every
// module of dist/ that 'sabre' reaches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../", import.meta.url));
let consumer: string;

interface Bundle {
  /** Minified bytes. */
  bytes: number;
  /** Gzipped minified bytes. */
  gzipped: number;
  /** The modules with code in the output, as paths from the package root (`dist/...`,
   *  `node_modules/msgpackr/...`), each with its bytes in the output. */
  modules: Map<string, number>;
}

/** Bundles `source` (an entry file of the consumer) as a page would, and reads its metafile. */
async function bundle(name: string, source: string): Promise<Bundle> {
  const entry = join(consumer, `${name}.js`);
  writeFileSync(entry, source);
  const result = await build({
    absWorkingDir: consumer,
    entryPoints: [entry],
    outfile: join(consumer, "out", `${name}.js`),
    bundle: true, minify: true, format: "esm", platform: "browser", target: "es2022",
    write: false, metafile: true, logLevel: "silent",
  });
  const output = result.outputFiles[0].contents;
  const [meta] = Object.values(result.metafile.outputs);
  const modules = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(meta.inputs)) {
    if (bytesInOutput === 0) continue;
    // esbuild names inputs relative to the consumer; through the link they are this package's files
    const at = path.replace(/\\/g, "/").replace(/^(?:\.\.\/)+/, "/");
    const inPackage = at.match(/(?:^|\/)(dist\/.*|node_modules\/.*)$/);
    modules.set(inPackage ? inPackage[1] : at, bytesInOutput);
  }
  return { bytes: output.length, gzipped: gzipSync(output).length, modules };
}

function report(label: string, b: Bundle): void {
  console.log(`${label}: ${(b.bytes / 1024).toFixed(1)} KiB minified, ${(b.gzipped / 1024).toFixed(1)} KiB gzipped, ${b.modules.size} modules`);
}

const has = (b: Bundle, pattern: RegExp) => [...b.modules.keys()].filter((m) => pattern.test(m));

beforeAll(() => {
  consumer = mkdtempSync(join(tmpdir(), "sabre-bundle-"));
  mkdirSync(join(consumer, "node_modules"));
  symlinkSync(root, join(consumer, "node_modules", "sabre"), "dir");
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
});

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe("bundling sabre (esbuild, minified, as a consumer imports it)", () => {
  it("a page that imports only Mutex carries no msgpackr and no channel, codec, mailbox or revival code", async () => {
    const b = await bundle("mutex-only", 'import { Mutex, Region } from "sabre";\nglobalThis.lock = (r = Region.create()) => Mutex.create(r).lock();\n');
    report("Mutex only", b);
    expect(has(b, /^dist\/sync\/mutex\.js$/)).toHaveLength(1);
    expect(has(b, /msgpackr/)).toEqual([]);
    expect(has(b, /^dist\/(channel|codec|mailbox|queue|pool|wire\/revive|browser\/spawn)\b/)).toEqual([]);
    // what else it holds: the region, the core (inlined wasm), waiting, errors, and the
    // thread-end listener (one of the files package.json names in "sideEffects")
    expect(has(b, /^dist\//).every((m) => /^dist\/(sync\/(mutex|guard)|region|wait|errors|options|browser\/isolation|wire\/thread-end|index)\b/.test(m)))
      .toBe(true);
  });

  it("a page that imports only Channel carries msgpackr and the channel, and no mailbox, ring or pool code", async () => {
    const b = await bundle("channel-only", 'import { Channel, Region } from "sabre";\nglobalThis.open = (r = Region.create()) => Channel.create(r);\n');
    report("Channel only", b);
    expect(has(b, /msgpackr/).length).toBeGreaterThan(0);
    expect(has(b, /^dist\/channel\/channel\.js$/)).toHaveLength(1);
    expect(has(b, /^dist\/(mailbox|queue|pool|wire\/revive|browser\/spawn)\b/)).toEqual([]);
  });

  it("the whole package: every module 'sabre' reaches", async () => {
    const b = await bundle("whole", 'import * as sabre from "sabre";\nglobalThis.sabre = sabre;\n');
    report("whole 'sabre'", b);
    for (const m of ["dist/sync/mutex.js", "dist/channel/channel.js", "dist/mailbox/mailbox.js", "dist/wire/revive.js", "dist/browser/spawn.js"]) {
      expect(b.modules.has(m), m).toBe(true);
    }
    expect(has(b, /msgpackr/).length).toBeGreaterThan(0);
    expect(has(b, /^dist\/node\//)).toEqual([]);
  });
});
