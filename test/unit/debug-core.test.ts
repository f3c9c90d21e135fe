// debug-core.test.ts — the debug build of the core, as the stress suites run it: its asserts
// are compiled in and a failed one traps (assembly/debug.ts), and SABRE_CORE_WASM loads it in
// place of the inlined release build in every thread (src/region/core.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);

describe("debug core", () => {
  it("keeps asserts (a trap per assert) in the debug build and none in the release build", () => {
    const debug = readFileSync(new URL("build/sabre.debug.wat", root), "utf8");
    const release = readFileSync(new URL("build/sabre.wat", root), "utf8");
    expect(debug).toMatch(/assembly\/debug\/coreAbort/);
    expect(release).not.toMatch(/coreAbort/);
  });

  it("is what SABRE_CORE_WASM loads, in the main thread and in workers", () => {
    // a child Node with SABRE_CORE_WASM naming a file that is not wasm must fail to compile
    // the core at the first Region.create: proof that the variable, not the inlined bytes, is used
    const script = `import("sabre").then(({ Region }) => { try { Region.create(); console.log("inlined"); } catch (e) { console.log(e.constructor.name); } })`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root, env: { ...process.env, SABRE_CORE_WASM: new URL("package.json", root).pathname }, encoding: "utf8",
    });
    expect(out.trim()).toBe("CompileError");
    const ok = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root, env: { ...process.env, SABRE_CORE_WASM: new URL("build/sabre.debug.wasm", root).pathname }, encoding: "utf8",
    });
    expect(ok.trim()).toBe("inlined");
  });
});
