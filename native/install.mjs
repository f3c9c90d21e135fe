// install.mjs — builds the native addon (native/binding.gyp) during `npm install`, and never
// fails the install: without the addon everything between threads works, and only the
// cross-process calls of 'sabre/node' throw NativeAddonMissingError (src/node/native.ts).
//
// Runs node-gyp (shipped with npm: npm_config_node_gyp, else npm's bundled copy, else a
// node-gyp on PATH) in native/, offline (see nodedir below), so the addon lands at native/build/Release/sabre_native.node.
// On failure it prints ONE line saying cross-process features are unavailable and why; the
// compiler's output is kept in native/build-error.log. SABRE_SKIP_NATIVE=1 skips the build.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const log = join(here, "build-error.log");

function unavailable(why) {
  console.log(`sabre: cross-process features (sabre/node createRegion, openRegion, spawnProcess) are unavailable: ${why}`);
  process.exit(0);
}

if (process.env.SABRE_SKIP_NATIVE === "1") unavailable("SABRE_SKIP_NATIVE=1 skipped building the native addon");
if (process.platform !== "linux") unavailable(`the native addon supports Linux only, this is ${process.platform}`);

function nodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const npmCli = process.env.npm_execpath;
  if (npmCli) candidates.push(join(dirname(npmCli), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  candidates.push(join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  for (const c of candidates) if (existsSync(c)) return [process.execPath, [c]];
  return ["node-gyp", []];
}

// Headers: npm's configured nodedir, else this Node's own (its prefix/include/node), else the
// system's. N-API is ABI-stable, so headers of any Node >= 20 build an addon for all of them.
function nodedir() {
  if (process.env.npm_config_nodedir) return [];
  for (const prefix of [join(dirname(process.execPath), ".."), "/usr/local", "/usr"]) {
    if (existsSync(join(prefix, "include", "node", "node_api.h"))) return [`--nodedir=${prefix}`];
  }
  return [];
}

const [cmd, pre] = nodeGyp();
const r = spawnSync(cmd, [...pre, "rebuild", ...nodedir()], { cwd: here, encoding: "utf8", env: process.env });
if (r.error || r.status !== 0) {
  writeFileSync(log, `${r.error ? String(r.error) : ""}\n${r.stdout ?? ""}\n${r.stderr ?? ""}`);
  const first = (r.stderr ?? "").split("\n").find((l) => /error/i.test(l))?.trim();
  unavailable(
    r.error ? `node-gyp could not run (${r.error.code ?? r.error.message})` : `node-gyp failed${first ? ` (${first.slice(0, 160)})` : ""}; details in ${log}`,
  );
}
rmSync(log, { force: true });
if (!existsSync(join(here, "build", "Release", "sabre_native.node"))) unavailable("node-gyp ran but produced no addon");
