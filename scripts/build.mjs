// build.mjs — builds everything a user needs from the repo's own sources:
//   1. asc: assembly/ -> build/sabre.wasm (release, -O3) and build/sabre.debug.wasm
//   2. the release wasm inlined as base64 into src/region/core-wasm.generated.ts
//   3. esbuild: every src/ file -> its own dist/ file (ESM, imports between them kept, the
//      layout constants inlined where used), so that a bundler drops whole modules a page does
//      not reach ("sideEffects" in package.json names the few files that run code on load):
//      a page that imports only Mutex bundles no channel, codec or msgpackr code
//      (test/unit/bundle-size.test.ts); and src/index.ts -> dist/browser/sabre.js: one
//      self-contained ESM file (platform browser, the wasm inlined) for a plain
//      <script type="module"> or a Web Worker, no bundler needed
//   4. types: tsc -> build/types/ (one .d.ts per source, @internal stripped), bundled by
//      rollup-plugin-dts into dist/index.d.ts and dist/node/index.d.ts
//   5. only with the argument `model` (npm run build:model; `npm test` runs it): the model
//      (schedule-exploration) builds for test/model: asc target `model` and one target per
//      seeded bug (`model-bug-*`, asconfig.json), each made resumable with Binaryen's
//      asyncify -> build/sabre.<target>.wasm. Test-only, never part of the package, and
//      about two minutes from scratch, so `npm install` (prepare) does not build them.
// `node scripts/build.mjs` does steps 1-4 (what `npm install` runs through prepare);
// `wasm` stops after step 2; `model` does only step 5 (skipping builds that are up to date).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, rmSync, readdirSync, statSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const only = process.argv[2];

function step(label, fn) {
  const t0 = performance.now();
  process.stdout.write(`build: ${label} ... `);
  fn();
  process.stdout.write(`${Math.round(performance.now() - t0)} ms\n`);
}

async function stepAsync(label, fn) {
  const t0 = performance.now();
  process.stdout.write(`build: ${label} ... `);
  await fn();
  process.stdout.write(`${Math.round(performance.now() - t0)} ms\n`);
}

function run(bin, args) {
  execFileSync(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
}

const asc = join(dirname(require.resolve("assemblyscript/package.json")), "bin", "asc.js");
const wasmOpt = join(dirname(require.resolve("binaryen/package.json")), "bin", "wasm-opt");
mkdirSync(join(root, "build"), { recursive: true });

// The model builds: every atomic of assembly/atom.ts calls the imports model.yield /
// model.wait, which asyncify lets unwind (suspend) and rewind (resume) the instance.
const MODEL_FEATURES = ["threads", "bulk-memory", "sign-ext", "mutable-globals", "nontrapping-float-to-int"];
// A model build is skipped while it is newer than every input (assembly/, asconfig, this file).
function inputsTime() {
  const files = readdirSync(join(root, "assembly")).map((f) => join(root, "assembly", f));
  files.push(join(root, "asconfig.json"), fileURLToPath(import.meta.url));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}
function buildModels() {
  const targets = Object.keys(JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8")).targets)
    .filter((t) => t === "model" || t.startsWith("model-bug-"));
  const newest = inputsTime();
  for (const target of targets) {
    const out = join(root, "build", `sabre.${target}.wasm`);
    if (existsSync(out) && statSync(out).mtimeMs > newest) continue;
    const pre = join("build", `sabre.${target}.pre.wasm`);
    step(`asc ${target} + asyncify`, () => {
      run(asc, ["assembly/index.ts", "--config", "asconfig.json", "--target", target, "--outFile", pre]);
      run(wasmOpt, [
        pre, ...MODEL_FEATURES.map((f) => `--enable-${f}`),
        "--asyncify", "--pass-arg=asyncify-imports@model.yield,model.wait", "-O3",
        "-o", join("build", `sabre.${target}.wasm`),
      ]);
      rmSync(join(root, pre), { force: true });
    });
  }
}
/** Every .ts source under `dir` (the generated core included), as paths for esbuild. */
function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** esbuild plugin: an import of another src/ file stays an import of its dist/ file (with the
 *  .js extension Node needs); assembly/layout.ts, constants only, is inlined where used. */
const moduleByModule = {
  name: "module-by-module",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === "entry-point") return undefined;
      const target = join(args.resolveDir, args.path);
      if (!target.startsWith(join(root, "src"))) return undefined; // assembly/layout.ts: bundled
      return { path: `${args.path}.js`, external: true };
    });
  },
};

if (only === "model") {
  buildModels();
  process.exit(0);
}
step("asc release", () => run(asc, ["assembly/index.ts", "--config", "asconfig.json", "--target", "release"]));
step("asc debug", () => run(asc, ["assembly/index.ts", "--config", "asconfig.json", "--target", "debug"]));
step("inline wasm", () => {
  const wasm = readFileSync(join(root, "build", "sabre.wasm"));
  writeFileSync(
    join(root, "src", "region", "core-wasm.generated.ts"),
    "// core-wasm.generated.ts — written by scripts/build.mjs from build/sabre.wasm; do not edit.\n" +
      `export const CORE_WASM_BASE64 = ${JSON.stringify(wasm.toString("base64"))};\n`,
  );
});
if (only !== "wasm") {
  const esbuild = await import("esbuild");
  rmSync(join(root, "dist"), { recursive: true, force: true });
  await stepAsync("esbuild", async () => {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: sourceFiles(join(root, "src")),
      outbase: "src",
      outdir: "dist",
      bundle: true, // each file alone: the plugin leaves its imports of src/ files as imports
      format: "esm",
      platform: "neutral",
      target: "es2022",
      external: ["node:*", "msgpackr"], // msgpackr: a dependency, resolved by Node or the bundler
      plugins: [moduleByModule],
      sourcemap: true,
      sourcesContent: false, // line mappings only: each file's map would repeat the layout it inlines
      logLevel: "warning",
    });
  });
  const browser = {
    absWorkingDir: root, bundle: true, format: "esm", platform: "browser", target: "es2022", sourcemap: true,
    sourcesContent: false, // line mappings only: the sources (msgpackr's included) would double the package
    logLevel: "warning",
  };
  step("esbuild browser", () => {
    esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: { sabre: "src/index.ts" },
      outdir: "dist/browser",
      bundle: true,
      ignoreAnnotations: true, // one file with everything: package.json's "sideEffects" names dist/ files, not src/
      format: "esm",
      platform: "browser",
      target: "es2022",
      sourcemap: true,
      sourcesContent: false,
      logLevel: "warning",
    });
  });
  await stepAsync("esbuild pool web worker", async () => {
    // the Pool's Web Worker script beside the browser module (src/browser/pool.ts loads
    // `./pool-worker.js` beside itself: dist/browser/pool.js in the per-source build, or the
    // bundle dist/browser/sabre.js): "sabre" becomes ./sabre.js, the self-contained module
    await esbuild.build({
      ...browser,
      entryPoints: { "pool-worker": "workers/pool-web-worker.mjs" },
      outdir: "dist/browser",
      plugins: [{ name: "sabre-beside", setup(b) { b.onResolve({ filter: /^sabre$/ }, () => ({ path: "./sabre.js", external: true })); } }],
    });
  });
  // Types: tsc emits one .d.ts per source file (build/types, stripInternal drops @internal),
  // then rollup-plugin-dts bundles them into one file per entry, next to its JS:
  // dist/index.d.ts and dist/node/index.d.ts (which imports the shared declarations from
  // '../index.js', so a class is the same type from 'sabre' and 'sabre/node'). tsc's per-file
  // output imports its neighbours without extensions (src/ uses bundler resolution), which
  // consumers under node16/nodenext cannot resolve; the bundle has no relative imports but
  // that one, written with its extension, and nothing the entries do not export.
  rmSync(join(root, "build", "types"), { recursive: true, force: true });
  step("tsc types", () => run(require.resolve("typescript/bin/tsc"), ["-p", "tsconfig.json"]));
  const [{ rollup }, { dts }] = await Promise.all([import("rollup"), import("rollup-plugin-dts")]);
  await stepAsync("bundle types", async () => {
    const bundle = await rollup({
      input: { index: "build/types/src/index.d.ts", "node/index": "build/types/src/node/index.d.ts" },
      plugins: [dts({ respectExternal: false })],
      external: [/^node:/],
      onwarn(warning) {
        throw new Error(`rollup-plugin-dts: ${warning.message}`);
      },
    });
    // everything outside src/node/ belongs to 'sabre' (index.d.ts): rollup would otherwise move
    // the shared declarations into a third file when 'sabre/node' shadows one of its exports
    // (Pool, spawnWorker) with its own
    const manualChunks = (id) => (id.includes(`${join("build", "types", "src", "node")}/`) ? undefined : "index");
    await bundle.write({ dir: join(root, "dist"), format: "es", manualChunks, entryFileNames: "[name].d.ts", chunkFileNames: "[name]-[hash].d.ts" });
    await bundle.close();
  });
}
