// node/native.ts — loads the native addon (native/sabre_native.c) for 'sabre/node', once per
// thread, and says why when it cannot.
//
// The addon is optional: `npm install` builds it (native/install.mjs) and never fails without
// it. Everything between threads works without it; each cross-process call asks for it with
// `nativeAddon(what)`, which throws NativeAddonMissingError naming what is missing and how
// to get it. `nativeProblem()` is the same reason as text (undefined when the addon loaded).
//
// Found by walking up from this module's file to the package root (the built file sits in
// dist/ or dist/node/, the source in src/node/) and loading native/build/Release/
// sabre_native.node from there. Test-only: SABRE_NATIVE_ABSENT=1 makes the loader behave as
// if the addon were absent (so the error path can be tested on a machine that has it).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NativeAddonMissingError } from "./errors";

/** What the addon exports (see native/sabre_native.c for each function's contract). */
export interface NativeAddon {
  readonly pageSize: number;
  readonly SEALS: number;
  mapWindow(bytes: Uint8Array, fd: number, fileOffset: number): void;
  unmapWindow(bytes: Uint8Array): void;
  futexWait(words: Int32Array, index: number, expected: number, timeoutMs: number): number;
  futexWake(words: Int32Array, index: number, count: number): number;
  futexWaitAsync(words: Int32Array, index: number, expected: number, timeoutMs: number, callback: (code: number) => void): object;
  futexCancel(job: object): boolean;
  memfdCreate(name: string, size: number): number;
  seals(fd: number): number;
  shmOpen(name: string, create: boolean, size: number): number;
  shmUnlink(name: string): void;
  fstat(fd: number): { size: number; uid: number; mode: number; regular: boolean };
  geteuid(): number;
  close(fd: number): void;
  mkfifo(path: string, mode: number): void;
  processStart(pid: number): { start: number; state: string; exitStatus: number } | null;
  yieldCpu(): void;
  mapFileWindow(bytes: Uint8Array, fd: number, fileOffset: number, writable: boolean): void;
  msyncWindow(bytes: Uint8Array): void;
  guardWindow(bytes: Uint8Array): number;
  unguardWindow(slot: number): void;
  windowFaulted(slot: number): boolean;
  futexWaitv(arrays: Int32Array[], indexes: number[], expected: number[], timeoutMs: number): number;
}

const ADDON = join("native", "build", "Release", "sabre_native.node");

let loaded: NativeAddon | undefined;
let problem: string | undefined;
let tried = false;

function load(): void {
  tried = true;
  if (process.env.SABRE_NATIVE_ABSENT === "1") {
    problem = "the native addon is disabled by SABRE_NATIVE_ABSENT=1 (a test-only switch): unset it";
    return;
  }
  if (process.platform !== "linux") {
    problem = `the native addon supports Linux only (this is ${process.platform})`;
    return;
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  let file: string | undefined;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, ADDON))) {
      file = join(dir, ADDON);
      break;
    }
    dir = dirname(dir);
  }
  if (!file) {
    problem =
      `the native addon was not built (no ${ADDON} in the sabre package): it is built by \`npm install\` with node-gyp, ` +
      "which needs a C compiler, make, python3 and Node's headers; run `node native/install.mjs` in the package to build it and see why it failed";
    return;
  }
  try {
    loaded = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (error) {
    problem = `the native addon at ${file} failed to load (${(error as Error).message}); rebuild it with \`node native/install.mjs\` in the package`;
  }
}

/** Why the addon is unavailable, or undefined when it loaded. */
export function nativeProblem(): string | undefined {
  if (!tried) load();
  return problem;
}

/** The addon, or NativeAddonMissingError saying that `what` needs it, what is missing and how to get it. */
export function nativeAddon(what: string): NativeAddon {
  if (!tried) load();
  if (loaded) return loaded;
  throw new NativeAddonMissingError(`${what} needs sabre's native addon, which is unavailable: ${problem}. Between threads, everything works without it.`);
}
