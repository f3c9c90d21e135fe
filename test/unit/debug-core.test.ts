// debug-core.test.ts — the debug build of the core, as the stress suites run it: its asserts
// are compiled in and a failed one traps (assembly/debug.ts), and SABRE_CORE_WASM loads it in
// place of the inlined release build in every thread (src/region/core.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as L from "../../assembly/layout";

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

  // A child Node on `wasm` (or the inlined release core) corrupts one word of each structure,
  // as a stray write would, and runs one operation on it; prints what each did.
  function corrupted(wasm: string | undefined, cases: string[]): Record<string, string> {
    const script = `
      import { Region, Mutex, Semaphore, RingBuffer } from "sabre";
      const out = {};
      const poke = (region, at, v) => { new Int32Array(region.memory.buffer)[at >> 2] = v; };
      const run = (name, f) => { try { out[name] = String(f()); } catch (e) { out[name] = e.name + ": " + e.message; } };
      const cases = ${JSON.stringify(cases)};
      if (cases.includes("mutex")) { const r = Region.create(); const m = Mutex.create(r); poke(r, m.offset + ${L.MUTEX_STATE}, 7); run("mutex", () => m.tryLock()); }
      if (cases.includes("semaphore")) { const r = Region.create(); const s = Semaphore.create(r, { initial: 1 }); poke(r, s.offset + ${L.SEM_COUNT}, -5); run("semaphore", () => s.tryAcquire()); }
      if (cases.includes("ring")) { const r = Region.create(); const q = RingBuffer.create(r, { capacity: 8 }); poke(r, q.offset + ${L.RING_DEQ}, 3); run("ring", () => q.tryPop()); }
      console.log(JSON.stringify(out));`;
    const env = { ...process.env };
    if (wasm) env.SABRE_CORE_WASM = new URL(wasm, root).pathname;
    else delete env.SABRE_CORE_WASM;
    return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, env, encoding: "utf8", timeout: 30_000 }));
  }

  it("a corrupted structure trips an invariant assert in the debug build (a trap), not a wrong answer", () => {
    // mutex STATE 7 (not 0, 1 or 2); semaphore COUNT -5 (below 0); ring DEQ ahead of ENQ: each
    // operation traps at its assert (coreAbort: `unreachable`, a WebAssembly.RuntimeError)
    const trap = "RuntimeError: unreachable";
    expect(corrupted("build/sabre.debug.wasm", ["mutex", "semaphore", "ring"])).toEqual({ mutex: trap, semaphore: trap, ring: trap });
    // the release build checks nothing: the same corruption reads as "held" and "no permits"
    // (the ring would spin forever: not run)
    expect(corrupted(undefined, ["mutex", "semaphore"])).toEqual({ mutex: "undefined", semaphore: "false" });
  });
});

