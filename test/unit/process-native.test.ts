// process-native.test.ts — the native addon (native/sabre_native.c) on its own: futex wait and
// wake (also from another process), waiting on words of two memories at once (futexWaitv), async waits on the addon's threads and their cancel,
// sealed memfds, /dev/shm files created 0600 with O_EXCL, mkfifo, and the liveness probe.
import { execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const addonPath = fileURLToPath(new URL("../../native/build/Release/sabre_native.node", import.meta.url));
const native = createRequire(import.meta.url)(addonPath);

const page = (n: number) => new WebAssembly.Memory({ initial: n, maximum: n, shared: true });

describe("native addon", () => {
  it("futexWait: not-equal, timed out; futexWake counts the waiters it woke", () => {
    const words = new Int32Array(new SharedArrayBuffer(64));
    words[1] = 7;
    expect(native.futexWait(words, 1, 6, 1000)).toBe(1);
    expect(native.futexWait(words, 1, 7, 5)).toBe(2);
    expect(native.futexWake(words, 1, 1)).toBe(0);
  });

  it("futexWaitAsync resolves on a wake, on a timeout, and with 3 when cancelled", async () => {
    const words = new Int32Array(new SharedArrayBuffer(64));
    let settled = false;
    const woken = new Promise((resolve) => native.futexWaitAsync(words, 2, 0, -1, (code: number) => { settled = true; resolve(code); }));
    const timed = new Promise((resolve) => native.futexWaitAsync(words, 3, 0, 10, resolve));
    let job: object | undefined;
    const cancelled = new Promise((resolve) => { job = native.futexWaitAsync(words, 4, 0, -1, resolve); });
    // the word never changes: only a wake that finds the waiter parked ends its wait (an
    // earlier one finds nobody), so wake until it has ended
    while (!settled) {
      native.futexWake(words, 2, 1);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await woken).toBe(0);
    expect(await timed).toBe(2);
    expect(native.futexCancel(job)).toBe(true);
    expect(await cancelled).toBe(3);
    expect(native.futexCancel(job)).toBe(false);
  });

  it("a futex wake crosses processes on a memfd window (MAP_SHARED | MAP_FIXED over wasm memory)", async () => {
    const memory = page(2);
    const fd = native.memfdCreate("t", 2 * 65536);
    native.mapWindow(new Uint8Array(memory.buffer, 4096, 2 * 65536 - 4096), fd, 4096);
    const words = new Int32Array(memory.buffer);
    const at = 8192 / 4;
    const child = spawn(process.execPath, ["-e", `
      const n = require(${JSON.stringify(addonPath)});
      const m = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
      n.mapWindow(new Uint8Array(m.buffer, 4096, 2 * 65536 - 4096), 3, 4096);
      const w = new Int32Array(m.buffer);
      Atomics.store(w, ${at} + 1, 1); n.futexWake(w, ${at} + 1, 1);
      const r = n.futexWait(w, ${at}, 0, 30000);
      process.stdout.write(String(r) + " " + Atomics.load(w, ${at}));
    `], { stdio: ["ignore", "pipe", "inherit", fd] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    while (Atomics.load(words, at + 1) === 0) native.futexWait(words, at + 1, 0, 50);
    // the child is in (or about to enter) its futex wait: store, then wake until it is out
    Atomics.store(words, at, 42);
    const done = new Promise((resolve) => child.on("exit", resolve));
    native.futexWake(words, at, 1);
    expect(await done).toBe(0);
    expect(["0 42", "1 42"]).toContain(out);
    native.close(fd);
  });

  it("futexWaitv parks on words of two memfd windows: not-equal, timed out, woken from another process on the second", async () => {
    const [m1, m2] = [page(2), page(2)];
    const [fd1, fd2] = [native.memfdCreate("a", 2 * 65536), native.memfdCreate("b", 2 * 65536)];
    native.mapWindow(new Uint8Array(m1.buffer, 4096, 2 * 65536 - 4096), fd1, 4096);
    native.mapWindow(new Uint8Array(m2.buffer, 4096, 2 * 65536 - 4096), fd2, 4096);
    const [w1, w2] = [new Int32Array(m1.buffer), new Int32Array(m2.buffer)];
    const at = 8192 / 4;
    expect(native.futexWaitv([w1, w2], [at, at], [0, 5], 1000)).toBe(1);
    expect(native.futexWaitv([w1, w2], [at, at], [0, 0], 5)).toBe(2);
    expect(() => native.futexWaitv([w1], [at, at], [0, 0], 5)).toThrow(TypeError);
    const child = spawn(process.execPath, ["-e", `
      const n = require(${JSON.stringify(addonPath)});
      const m = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
      n.mapWindow(new Uint8Array(m.buffer, 4096, 2 * 65536 - 4096), 3, 4096);
      const w = new Int32Array(m.buffer);
      Atomics.store(w, ${at} + 1, 1); n.futexWake(w, ${at} + 1, 1);
      while (Atomics.load(w, ${at} + 2) === 0) { Atomics.store(w, ${at}, 1); n.futexWake(w, ${at}, 1); n.futexWait(w, ${at} + 2, 0, 5); }
    `], { stdio: ["ignore", "inherit", "inherit", fd2] });
    while (Atomics.load(w2, at + 1) === 0) native.futexWait(w2, at + 1, 0, 50);
    // parked on a word of each memory: the child's store and wake on the second ends it
    expect([0, 1]).toContain(native.futexWaitv([w1, w2], [at, at], [0, 0], 30_000));
    expect(Atomics.load(w2, at)).toBe(1);
    Atomics.store(w2, at + 2, 1);
    native.futexWake(w2, at + 2, 1);
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(0);
    native.close(fd1);
    native.close(fd2);
  });

  it("memfdCreate seals the file: no shrink, no grow, no more seal changes", () => {
    const fd = native.memfdCreate("sealed", 65536);
    expect(native.seals(fd) & native.SEALS).toBe(native.SEALS);
    expect(native.fstat(fd).size).toBe(65536);
    const r = execFileSync(process.execPath, ["-e", `
      const fs = require("node:fs");
      try { fs.ftruncateSync(3, 4096); console.log("shrunk"); } catch (e) { console.log(e.code); }
    `], { stdio: ["ignore", "pipe", "inherit", fd], encoding: "utf8" });
    expect(r.trim()).toBe("EPERM");
    native.close(fd);
  });

  it("shmOpen creates /dev/shm files 0600 with O_EXCL, refuses '/' and '..', reports fstat", () => {
    const name = `sabre-native-test-${process.pid}`;
    const fd = native.shmOpen(name, true, 65536);
    try {
      const st = native.fstat(fd);
      expect(st).toEqual({ size: 65536, uid: native.geteuid(), mode: 0o600, regular: true });
      expect(statSync(`/dev/shm/${name}`).mode & 0o777).toBe(0o600);
      expect(() => native.shmOpen(name, true, 65536)).toThrow(expect.objectContaining({ code: "EEXIST" }));
      const again = native.shmOpen(name, false, 0);
      expect(native.fstat(again).size).toBe(65536);
      native.close(again);
    } finally {
      native.close(fd);
      native.shmUnlink(name);
    }
    expect(existsSync(`/dev/shm/${name}`)).toBe(false);
    expect(() => native.shmOpen("../etc", true, 10)).toThrow(TypeError);
    expect(() => native.shmOpen("..", false, 0)).toThrow(TypeError);
    expect(() => native.shmOpen("nope-" + process.pid, false, 0)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  it("mkfifo makes a FIFO", () => {
    const dir = mkdtempSync(join(tmpdir(), "sabre-fifo-"));
    try {
      native.mkfifo(join(dir, "f"), 0o600);
      expect(statSync(join(dir, "f")).isFIFO()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("processStart pins a pid to one process; a dead pid is null", async () => {
    const me = native.processStart(process.pid);
    expect(me.start).toBeGreaterThan(0);
    expect(native.processStart(process.pid)).toEqual(me);
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    const started = native.processStart(child.pid);
    expect(started.state).not.toBe("Z");
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(native.processStart(child.pid)?.start === started.start && native.processStart(child.pid)?.state !== "Z").toBe(false);
  });
});
