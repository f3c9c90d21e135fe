// process-region.test.ts — file-backed regions (sabre/node createRegion / openRegion): a named
// region attached by an unrelated `node` command; names that are not plain names; files that
// must be refused BEFORE they are mapped (wrong layout version, truncated, a corrupt header, open to others,
// another owner, a symlink); anonymous memfd regions shared with a worker thread; and the
// addon-missing path (SABRE_NATIVE_ABSENT=1, test-only), where threads keep working.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, closeSync, openSync, statSync, symlinkSync, truncateSync, unlinkSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  Channel, CorruptRegionError, InvalidArgumentError, LayoutVersionError, Mutex, RegionExistsError, RegionNotFoundError,
  RegionPermissionError, createRegion, encodeHandles, openRegion, removeRegion, spawnWorker,
} from "sabre/node";

const REGION_BASE = 4096;
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const names: string[] = [];
const fresh = (tag: string) => {
  const name = `t-${tag}-${process.pid}-${names.length}`;
  names.push(name);
  return name;
};
const file = (name: string) => `/dev/shm/sabre-${name}`;

afterEach(() => {
  for (const name of names.splice(0)) {
    try {
      unlinkSync(file(name));
    } catch {
      // already removed by the test
    }
  }
});

describe("named regions", () => {
  it("an unrelated node process attaches by name: mutex counter exact, channel message received", async () => {
    const name = fresh("byname");
    const region = createRegion({ name, size: 1 << 16 });
    expect(statSync(file(name)).mode & 0o777).toBe(0o600);
    const mutex = Mutex.create(region);
    const channel = Channel.create<string>(region, { capacity: 4 });
    const at = region.alloc(4);
    const rounds = 5000;
    const text = encodeHandles({ region, mutex, at, rounds, channel });
    const run = () => promisify(execFile)(process.execPath, [fixture("process-by-name.mjs"), text], { encoding: "utf8" });
    const [a, b] = await Promise.all([run(), run()]);
    expect(JSON.parse(a.stdout)).toEqual({ done: rounds });
    expect(JSON.parse(b.stdout)).toEqual({ done: rounds });
    expect(new Int32Array(region.memory.buffer, at, 1)[0]).toBe(2 * rounds);
    const got = [channel.recv(), channel.recv()].sort();
    expect(got.every((m) => /^hello from \d+$/.test(m))).toBe(true);
    // the same name from this process: a second mapping of the same file
    const again = openRegion(name);
    expect(again.handle.id).toBe(region.handle.id);
    expect(new Int32Array(again.memory.buffer, at, 1)[0]).toBe(2 * rounds);
    removeRegion(name);
    expect(() => openRegion(name)).toThrow(RegionNotFoundError);
  });

  it("refuses names that are not plain names", () => {
    for (const bad of ["../etc/passwd", "a/b", "..", "x..y", "", "a b", "é", "x".repeat(201), "/abs", "nul\0x"]) {
      expect(() => createRegion({ name: bad, size: 4096 }), bad).toThrow(InvalidArgumentError);
      expect(() => openRegion(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => createRegion({ name: 42 as never })).toThrow(InvalidArgumentError);
    const ok = fresh("A.b_c-9");
    createRegion({ name: ok, size: 4096 });
    expect(() => createRegion({ name: ok, size: 4096 })).toThrow(RegionExistsError);
    expect(() => createRegion({ name: ok, sise: 4096 } as never)).toThrow(/unknown option "sise"/);
  });

  it("refuses a wrong layout version, before and after the size checks", () => {
    const name = fresh("version");
    createRegion({ name, size: 4096 });
    const fd = openSync(file(name), "r+");
    writeSync(fd, new Uint8Array(new Uint32Array([99]).buffer), 0, 4, REGION_BASE + 4);
    closeSync(fd);
    expect(() => openRegion(name)).toThrow(LayoutVersionError);
  });

  it("refuses a truncated file without touching the mapping (no SIGBUS)", () => {
    const name = fresh("trunc");
    const region = createRegion({ name, size: 200_000 });
    truncateSync(file(name), region.byteLength - 65536);
    expect(() => openRegion(name)).toThrow(/shorter than the \d+ its header says/);
    truncateSync(file(name), 100);
    expect(() => openRegion(name)).toThrow(CorruptRegionError);
  });

  it("refuses a corrupt header (size field, magic), changing nothing: the repaired file opens", () => {
    const name = fresh("corrupt");
    const region = createRegion({ name, size: 4096 });
    const put = (offset: number, value: number) => {
      const fd = openSync(file(name), "r+");
      writeSync(fd, new Uint8Array(new Uint32Array([value]).buffer), 0, 4, REGION_BASE + offset);
      closeSync(fd);
    };
    for (const size of [12345, 0, 2 ** 31, region.byteLength + 65536]) {
      put(8, size); // RH_SIZE
      expect(() => openRegion(name), String(size)).toThrow(CorruptRegionError);
    }
    put(8, region.byteLength);
    put(0, 0); // RH_MAGIC: never published
    expect(() => openRegion(name)).toThrow(/not initialised/);
    put(0, 0x52424153);
    expect(openRegion(name).handle.id).toBe(region.handle.id);
  });

  it("refuses a file open to group or others, a file of another owner, a symlink, a file that is no region", () => {
    const name = fresh("mode");
    createRegion({ name, size: 4096 });
    chmodSync(file(name), 0o644);
    expect(() => openRegion(name)).toThrow(RegionPermissionError);
    chmodSync(file(name), 0o600);
    expect(openRegion(name).byteLength).toBeGreaterThan(0);
    if (process.getuid?.() === 0) {
      chownSync(file(name), 65534, 65534);
      expect(() => openRegion(name)).toThrow(/belongs to uid 65534/);
    }
    const link = fresh("link");
    symlinkSync(file(name), file(link));
    expect(() => openRegion(link)).toThrow(RegionPermissionError);
    const junk = fresh("junk");
    const fd = openSync(file(junk), "wx", 0o600);
    writeSync(fd, new Uint8Array(3 * 65536).fill(7));
    closeSync(fd);
    expect(() => openRegion(junk)).toThrow(/no sabre region/);
  });
});

describe("anonymous regions", () => {
  it("a sealed memfd region works with a worker thread (futex parking on both sides)", async () => {
    const region = createRegion({ size: 1 << 18 });
    expect(region.handle.parking).toBe("futex");
    const ch = Channel.create<number>(region, { capacity: 1 });
    const back = Channel.create<number>(region, { capacity: 1 });
    const w = spawnWorker(new URL("../fixtures/process-sum-worker.mjs", import.meta.url), { data: { ch, back } });
    for (let i = 1; i <= 100; i++) {
      if (i % 2) ch.send(i);
      else await ch.sendAsync(i);
    }
    ch.close();
    expect(await back.recvAsync()).toBe(5050);
    await w.exited;
    expect(() => encodeHandles({ region })).toThrow(/anonymous region/);
  });
});

describe("without the native addon (SABRE_NATIVE_ABSENT=1, test-only)", () => {
  it("threads keep working; cross-process calls throw NativeAddonMissingError with a code", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
      import { Region, Channel, createRegion, spawnProcess } from "sabre/node";
      const r = Region.create({ size: 1 << 16 });
      const ch = Channel.create(r, { capacity: 2 });
      ch.send(41);
      const seen = [ch.recv() + 1];
      for (const f of [() => createRegion({ size: 4096 }), () => spawnProcess("x.mjs")]) {
        try { f(); seen.push("no error"); } catch (e) { seen.push(e.name + " " + e.code + " " + /SABRE_NATIVE_ABSENT=1/.test(e.message)); }
      }
      console.log(JSON.stringify(seen));
    `], { encoding: "utf8", env: { ...process.env, SABRE_NATIVE_ABSENT: "1" }, cwd: fileURLToPath(new URL("../..", import.meta.url)) });
    expect(JSON.parse(out)).toEqual([42, "NativeAddonMissingError ERR_SABRE_NATIVE_MISSING true", "NativeAddonMissingError ERR_SABRE_NATIVE_MISSING true"]);
  });
});
