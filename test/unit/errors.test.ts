// errors.test.ts — the error classes through the public entry: every exported error class has
// a unique stable `code` and a literal `name` equal to its export name; names and codes survive
// `esbuild --minify` (which renames classes); errors keep their class and code when they cross
// to a worker through sabre's wire form (spawnWorker data) and when a worker's uncaught sabre
// error comes back to the parent; a failure reply carries the handler error's code.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import * as sabre from "sabre";
import {
  Mailbox, PeerGoneError, Region, RemoteError, SabreError, TimeoutError, WorkerCrashError, errorFromWire, errorToWire, fromWire, toWire,
} from "sabre";
import { spawnWorker } from "sabre/node";

const root = fileURLToPath(new URL("../../", import.meta.url));
const LONG = 30_000;

/** Every exported class that is SabreError or extends it, by export name. */
const errorExports = Object.entries(sabre).filter(
  ([, v]) => typeof v === "function" && (v === SabreError || v.prototype instanceof SabreError),
) as [string, new (message: string) => SabreError][];

describe("error classes", () => {
  it("every exported error class has a unique code and a literal name equal to its export name", () => {
    expect(errorExports.length).toBeGreaterThanOrEqual(21);
    const codes = new Map<string, string>();
    for (const [exported, C] of errorExports) {
      const e = new C("m");
      expect(e.name, exported).toBe(exported);
      expect(e.code, exported).toMatch(/^ERR_SABRE(_[A-Z_]+)?$/);
      expect(codes.get(e.code), `${exported} reuses ${e.code}`).toBeUndefined();
      codes.set(e.code, exported);
      expect(e).toBeInstanceOf(Error);
      expect(e.message).toBe("m");
      // the name is the class's own, not the constructor's (which a minifier renames)
      expect(Object.getOwnPropertyDescriptor(e, "name")?.value).toBe(exported);
      // and its code rebuilds exactly this class on the other side of a thread
      const back = errorFromWire(structuredClone(errorToWire(e)));
      expect(Object.getPrototypeOf(back), exported).toBe(C.prototype);
    }
  });

  it("names and codes survive esbuild --minify of a bundle that imports sabre", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sabre-minify-"));
    try {
      const entry = [
        'import * as s from "sabre";',
        "const out = [];",
        "for (const [k, C] of Object.entries(s)) {",
        "  if (typeof C !== 'function' || !(C === s.SabreError || C.prototype instanceof s.SabreError)) continue;",
        "  const e = new C('x');",
        "  out.push([k, e.name, e.code, C.name]);",
        "}",
        "console.log(JSON.stringify(out));",
      ].join("\n");
      const outfile = join(dir, "bundle.mjs");
      await build({
        stdin: { contents: entry, resolveDir: root, loader: "js" },
        bundle: true, minify: true, format: "esm", platform: "node", outfile, logLevel: "silent",
        alias: { sabre: join(root, "dist/index.js") },
      });
      writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
      const rows = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: "utf8" })) as [string, string, string, string][];
      expect(rows.length).toBe(errorExports.length);
      const renamed = rows.filter(([k, , , cls]) => cls !== k).length;
      expect(renamed).toBeGreaterThan(0); // the minifier did rename classes: the check below means something
      for (const [exported, name, code] of rows) {
        expect(name, exported).toBe(exported);
        expect(code, exported).toBe(new (sabre as unknown as Record<string, new (m: string) => SabreError>)[exported]("x").code);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("errors across threads", () => {
  it("toWire / fromWire: an error comes back as its class with its code, fields and cause", () => {
    const crash = new WorkerCrashError("w", { exitCode: 3, cause: new TimeoutError("t") });
    const wire = toWire({ crash, plain: new RangeError("r") });
    const back = fromWire(structuredClone(wire)) as { crash: Error; plain: Error };
    expect(back.crash).toBeInstanceOf(WorkerCrashError);
    expect(back.crash).toMatchObject({ name: "WorkerCrashError", code: "ERR_SABRE_WORKER_CRASH", message: "w", exitCode: 3 });
    expect(back.crash.cause).toBeInstanceOf(TimeoutError);
    expect(back.plain).toMatchObject({ name: "RangeError", message: "r" });
    // a code sabre does not know keeps its name and code on a plain Error
    const foreign = errorFromWire(errorToWire(Object.assign(new Error("e"), { name: "DbError", code: "E_DB" })));
    expect(foreign).toMatchObject({ name: "DbError", code: "E_DB", message: "e" });
  });

  it("errors posted to a worker in spawnWorker data arrive as their class with their code", async () => {
    const started = spawnWorker(new URL("../fixtures/spawn-worker.mjs", import.meta.url), {
      data: { mode: "errors", errors: [new TimeoutError("t"), new WorkerCrashError("w", { exitCode: 3, cause: new PeerGoneError("p") }), new RangeError("r")] },
    });
    const reply = await new Promise((resolve) => started.worker.once("message", resolve));
    expect(reply).toEqual([
      { cls: "TimeoutError", name: "TimeoutError", code: "ERR_SABRE_TIMEOUT", message: "t" },
      { cls: "WorkerCrashError", name: "WorkerCrashError", code: "ERR_SABRE_WORKER_CRASH", message: "w", exitCode: 3, cause: "ERR_SABRE_PEER_GONE" },
      { cls: "Error", name: "RangeError", message: "r" },
    ]);
    await started.exited;
  });

  it("a worker's uncaught sabre error rejects `exited` with that class and code", async () => {
    const ch = sabre.Channel.create<number>(Region.create());
    const started = spawnWorker(new URL("../fixtures/spawn-worker.mjs", import.meta.url), { data: { mode: "throw-sabre", ch } });
    const error = await started.exited.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PeerGoneError);
    expect(error).toMatchObject({ name: "PeerGoneError", code: "ERR_SABRE_PEER_GONE", message: "gone from the worker" });
  });

  it("a mailbox failure reply carries the handler error's code; the cause is its class", async () => {
    const server = Mailbox.create<string>(Region.create());
    const serving = server.serveAsync(() => {
      throw new TimeoutError("the database did not answer");
    });
    const err = (await server.requestAsync("q", { timeout: LONG }).catch((e: unknown) => e)) as RemoteError;
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: "ERR_SABRE_REMOTE", remoteName: "TimeoutError", remoteCode: "ERR_SABRE_TIMEOUT" });
    expect(err.cause).toBeInstanceOf(TimeoutError);
    expect((err.cause as Error).message).toBe("the database did not answer");
    server.close();
    await serving;
  });
});
