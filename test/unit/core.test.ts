// core.test.ts — checks on the compiled core and the bundles, not on behaviour:
//   - every layout constant the TypeScript side compiles equals the global the wasm exports;
//   - `atomic.` appears in assembly/ only in atom.ts (so a test build can instrument atomics);
//   - the release module has no mutable globals, no allocator, no memory.grow, and its hot
//     paths compile to atomic instructions;
//   - no `node:` import is reachable from the platform-neutral entry's bundle;
//   - the release module imports only env.memory, env.now, env.park, env.wake and env.spin (no model
//     yield points), and
//     the model build (test/model) imports the yield points and exports asyncify's controls.
// These read build outputs (build/, dist/), which `npm test` makes first.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as layout from "../../assembly/layout";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

function releaseExports(): Record<string, unknown> {
  const bytes = readFileSync(new URL("build/sabre.wasm", root));
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, now: () => 0, park: () => 2, wake: () => 0, spin: () => 1 } });
  return instance.exports as Record<string, unknown>;
}

/** Function bodies of the release module's text form, by function name. */
function releaseFunctions(): Map<string, string> {
  const text = read("build/sabre.wat");
  const funcs = new Map<string, string>();
  for (const chunk of text.split("\n (func ").slice(1)) {
    const name = /^\$(\S+)/.exec(chunk)?.[1];
    if (name) funcs.set(name.split("/").pop()!, chunk);
  }
  return funcs;
}

describe("compiled core", () => {
  it("agrees with the TypeScript layout on every constant", () => {
    const exports = releaseExports();
    const names = Object.keys(layout);
    expect(names.length).toBeGreaterThan(50);
    for (const name of names) {
      const global = exports[name];
      expect(global, `wasm export ${name}`).toBeInstanceOf(WebAssembly.Global);
      expect((global as WebAssembly.Global).value, name).toBe((layout as Record<string, number>)[name]);
    }
  });

  it("places the party table and the robustness words where the layout says they fit", () => {
    // the party table fills the region header after its fixed words
    expect(layout.RH_PARTIES).toBeGreaterThanOrEqual(layout.RH_MODEL_HEAP_HOLDERS + 4);
    expect(layout.REGION_HEADER_SIZE).toBe(layout.RH_PARTIES + layout.PARTY_SLOTS * layout.PARTY_SIZE);
    expect(layout.PARTY_START % 8).toBe(0);
    expect(layout.PARTY_START + 8).toBeLessThanOrEqual(layout.PARTY_SIZE);
    expect(1 << layout.PARTY_SLOT_BITS).toBe(layout.PARTY_SLOTS);
    expect(layout.PARTY_SLOT_MASK).toBe(layout.PARTY_SLOTS - 1);
    // agent ids (slot | serial << bits) stay below the owner-died bit
    expect((layout.PARTY_SERIAL_MASK << layout.PARTY_SLOT_BITS) | layout.PARTY_SLOT_MASK).toBe(layout.AGENT_MASK);
    expect(layout.AGENT_MASK & layout.MUTEX_OWNER_DIED).toBe(0);
    // a channel's side masks (one bit per party slot) and its send/recv bookkeeping stay on their lines
    expect(layout.CH_SEND_OPEN).toBeGreaterThanOrEqual(layout.CH_SEND_SEQ + 4);
    expect(layout.CH_SEND_LEFT + 4).toBeLessThanOrEqual(layout.CH_RECV_LOCK);
    expect(layout.CH_RECV_OPEN).toBeGreaterThanOrEqual(layout.CH_RECV_SEQ + 4);
    expect(layout.CH_RECV_OPEN + 4).toBeLessThanOrEqual(layout.CH_COUNT);
    expect(layout.CH_SENDERS).toBeGreaterThanOrEqual(layout.CH_CODEC_TABLE + 4);
    for (const mask of [layout.CH_SENDERS, layout.CH_RECEIVERS, layout.CH_ATTACHED]) expect(mask + layout.PARTY_SLOTS / 8).toBeLessThanOrEqual(layout.CH_RING);
    expect(layout.CH_GONE + 4).toBeLessThanOrEqual(layout.CH_ATTACHED);
  });

  it("keeps atomic operations in assembly/atom.ts only", () => {
    const offenders = readdirSync(new URL("assembly/", root))
      .filter((f) => f.endsWith(".ts") && f !== "atom.ts")
      .filter((f) => /\batomic\./.test(read(`assembly/${f}`).replace(/\/\/.*$/gm, "")));
    expect(offenders).toEqual([]);
  });

  it("has no mutable globals, no allocator and no memory.grow", () => {
    const text = read("build/sabre.wat");
    expect(text).not.toMatch(/\(global \S+ \(mut/);
    expect(text).not.toMatch(/__new|__alloc|__renew|__realloc|\/rt\/stub\//);
    expect(text).not.toMatch(/memory\.grow/);
    expect(text).toMatch(/\(import "env" "memory" \(memory \S+ 1 65536 shared\)\)/);
  });

  it("compiles hot paths to atomic instructions", () => {
    const funcs = releaseFunctions();
    const hot: Record<string, RegExp[]> = {
      // the mutex's STATE and OWNER change together, in one 64-bit atomic (assembly/mutex.ts)
      mutex_try_lock: [/i64\.atomic\.rmw\.cmpxchg/],
      mutex_lock: [/i64\.atomic\.rmw\.cmpxchg|call \$assembly\/mutex\/mutex_(try_lock|lock_step)\b/, /call \$assembly\/atom\/hostPark/],
      mutex_unlock: [/i64\.atomic\.rmw\.xchg/, /call \$assembly\/atom\/hostWake/],
      sem_try_acquire: [/i32\.atomic\.rmw\.cmpxchg/],
      sem_release: [/i32\.atomic\.rmw\.cmpxchg/, /call \$assembly\/atom\/hostWake/],
      sem_acquire_step: [/i32\.atomic\.rmw\.cmpxchg/, /i32\.atomic\.rmw\.add/],
      rw_try_read: [/i32\.atomic\.rmw\.cmpxchg/],
      cv_signal: [/i32\.atomic/],
      barrier_arrive: [/i32\.atomic\.rmw\.cmpxchg/, /call \$assembly\/atom\/hostWake/],
      ring_try_push: [/i32\.atomic\.rmw\.cmpxchg/, /i32\.atomic\.store/],
      ring_try_pop: [/i32\.atomic\.rmw\.cmpxchg/, /i32\.atomic\.load/],
      ring_push_spin: [/i32\.atomic\.load/],
      ring_pop_spin: [/i32\.atomic\.load/],
      br_commit: [/i32\.atomic\.rmw\.cmpxchg/],
      br_release: [/i32\.atomic\.store/],
    };
    for (const [name, patterns] of Object.entries(hot)) {
      const body = funcs.get(name);
      expect(body, `function ${name} in build/sabre.wat`).toBeDefined();
      for (const p of patterns) expect(body, `${name} uses ${p}`).toMatch(p);
      // calls stay inside the core's own functions (no ~lib runtime, no allocator)
      const calls = [...body!.matchAll(/\bcall \$(\S+)/g)].map((m) => m[1]);
      for (const callee of calls) expect(callee, `${name} calls ${callee}`).toMatch(/^assembly\//);
    }
  });

  it("keeps the core's static data below the region header", () => {
    const exports = releaseExports() as { core_static_end(): number };
    expect(exports.core_static_end()).toBeLessThanOrEqual(layout.STATIC_LIMIT);
  });

  it("imports only env.memory, env.now and the region parker's env.park / env.wake / env.spin in the release build", () => {
    const module = new WebAssembly.Module(readFileSync(new URL("build/sabre.wasm", root)));
    const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}:${i.kind}`);
    expect(imports.sort()).toEqual(["env.memory:memory", "env.now:function", "env.park:function", "env.spin:function", "env.wake:function"]);
    expect(read("build/sabre.wat")).not.toMatch(/asyncify|"model"/);
  });

  it("routes every atomic of atom.ts through a model yield point", () => {
    // a wrapper added to atom.ts without `if (isDefined(SABRE_MODEL)) modelYield(...)` (or
    // model.wait / model.notify) would be invisible to the schedule exploration of test/model
    const bodies = read("assembly/atom.ts").split(/\n(?=\/\/ @ts-ignore: decorator\n@inline export function )/).slice(1);
    expect(bodies.length).toBeGreaterThan(9);
    for (const body of bodies) {
      if (!/\batomic\./.test(body)) continue;
      const name = /function (\w+)/.exec(body)![1];
      expect(body, `atom.ts ${name}`).toMatch(/isDefined\(SABRE_MODEL\)[\s\S]*(modelYield|modelWait|modelNotify)\(/);
    }
  });

  it("gives the model build its yield points and asyncify controls", () => {
    const module = new WebAssembly.Module(readFileSync(new URL("build/sabre.model.wasm", root)));
    const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
    expect(imports.sort()).toEqual(["env.memory", "env.now", "model.notify", "model.wait", "model.yield"]);
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const name of ["asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind", "asyncify_stop_rewind"]) {
      expect(exports).toContain(name);
    }
    // the harness's operation codes (test/model/harness/vthread.ts) match atom.ts
    const codes = Object.fromEntries([...read("assembly/atom.ts").matchAll(/export const MODEL_OP_(\w+) = (\d+);/g)].map((m) => [m[1], Number(m[2])]));
    const harness = read("test/model/harness/vthread.ts");
    expect(Object.keys(codes).length).toBeGreaterThan(8);
    for (const [name, code] of Object.entries(codes)) expect(harness, `OP.${name}`).toMatch(new RegExp(`\\b${name}: ${code},`));
  });

  it("reaches no node: module from the platform-neutral entry", () => {
    // the modules an entry reaches through its relative imports (dist/ is one file per source)
    const reach = (entry: string): Map<string, string> => {
      const seen = new Map<string, string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        const code = read(`dist/${file}`);
        seen.set(file, code);
        for (const m of code.matchAll(/(?:from|import)\s*["'](\.\.?\/[^"']+)["']/g)) {
          visit(new URL(m[1], `file:///${file}`).pathname.slice(1));
        }
      };
      visit(entry);
      return seen;
    };
    const neutral = reach("index.js");
    expect(neutral.size).toBeGreaterThan(10);
    for (const [file, code] of neutral) expect(code, `dist/${file}`).not.toMatch(/["']node:[a-z_/]+["']/);
    expect([...reach("node/index.js").values()].some((code) => /["']node:worker_threads["']/.test(code))).toBe(true);
  });
});
