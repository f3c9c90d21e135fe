// package.test.ts — what `npm publish` would ship: runs `npm pack --dry-run --json` (scripts
// ignored: `npm test` has just built dist/) and checks the file list. The tarball holds the
// built JavaScript, its types and source maps, the self-contained browser module, README,
// LICENSE and CHANGELOG — and no wasm file (the core is inlined in the JavaScript; the model
// builds are test-only), no source, no test. Every path package.json points at is in it.
// Prints the tarball's size and file count.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { promisify } from "node:util";

const root = new URL("../../", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));

interface PackResult {
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

async function pack(): Promise<PackResult> {
  const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root });
  return JSON.parse(stdout)[0];
}

/** Every file path named by main, types and exports (conditions nested at any depth). */
function pointedAt(value: unknown): string[] {
  if (typeof value === "string") return [value.replace(/^\.\//, "")];
  if (value && typeof value === "object") return Object.values(value).flatMap(pointedAt);
  return [];
}

describe("the npm tarball", () => {
  it("ships the built package and nothing else: no wasm, no sources, no tests", async () => {
    const result = await pack();
    const paths = result.files.map((f) => f.path).sort();
    console.log(
      `npm pack: ${paths.length} files, ${(result.size / 1024).toFixed(1)} KiB packed, ` +
        `${(result.unpackedSize / 1024).toFixed(1)} KiB unpacked\n  ${paths.join("\n  ")}`,
    );
    expect(result.entryCount).toBe(paths.length);
    expect(paths.filter((p) => p.endsWith(".wasm"))).toEqual([]);
    expect(paths.filter((p) => !p.startsWith("dist/"))).toEqual([
      "CHANGELOG.md", "LICENSE", "README.md",
      // the addon's sources, built by the install script on the user's machine (no binary shipped)
      "native/binding.gyp", "native/files.c", "native/futex.c", "native/futex_async.c", "native/install.mjs",
      "native/napi_args.c", "native/process.c", "native/sabre_native.c", "native/sabre_native.h", "native/windows.c",
      "package.json",
      // the worker entries (the pool's threads and child processes with their shared serving
      // loop, createSyncFn's host), loaded by new Worker() or a child process at run time
      "workers/pool-process.mjs", "workers/pool-serve.mjs", "workers/pool-worker.mjs",
      "workers/rpc-host.mjs",
    ]);
    // dist/: one JavaScript file per source file of src/ (so that bundlers drop what a page does
    // not import; see scripts/build.mjs), the browser module with the Pool's Web Worker script
    // beside it, the two entries' types, and a source map per JavaScript file.
    const dist = paths.filter((p) => p.startsWith("dist/"));
    const js = dist.filter((p) => p.endsWith(".js"));
    const sources = (dir: string): string[] => readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(`${dir}${e.name}/`) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [`${dir}${e.name}`] : []);
    const perSource = sources("src/").map((p) => p.replace(/^src\//, "dist/").replace(/\.ts$/, ".js"));
    expect(js).toEqual([...perSource, "dist/browser/pool-worker.js", "dist/browser/sabre.js"].sort());
    for (const path of pkg.sideEffects) expect(paths, `"sideEffects" names ${path}`).toContain(path.replace(/^\.\//, ""));
    expect(dist.filter((p) => p.endsWith(".d.ts"))).toEqual(["dist/index.d.ts", "dist/node/index.d.ts"]);
    expect(dist.filter((p) => p.endsWith(".map"))).toEqual(js.map((p) => `${p}.map`));
    expect(dist.length).toBe(js.length * 2 + 2);
    for (const path of new Set(pointedAt([pkg.main, pkg.types, pkg.exports, pkg.typesVersions]))) {
      expect(paths, `package.json points at ${path}`).toContain(path);
    }
    expect(result.size).toBeLessThan(1 << 20);
  });

  it("package.json says what users and registries read", () => {
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(new URL("LICENSE", root), "utf8")).toMatch(/^MIT License/);
    expect(pkg.type).toBe("module");
    expect(pkg.engines.node).toMatch(/^>=20/);
    expect(pkg.keywords).toContain("shared-memory");
    expect(pkg.scripts.prepare).not.toMatch(/model/); // installing does not build the test-only model builds
  });
});
