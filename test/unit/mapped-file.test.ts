// mapped-file.test.ts — memory-mapped files as data (sabre/node mapFile): a read-write mapping
// shared with unrelated `node` processes (an Atomics counter kept in the file's own bytes is
// exact across three processes, and flush() puts it on disk); a read-only mapping whose writes
// stay private while it sees the file change; a file truncated or grown under its mapping is
// MappedFileChangedError, never a SIGBUS (the lost pages read as zeros, the process lives);
// disposal; bad input.
import { execFile } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, MappedFile, MappedFileChangedError, mapFile } from "sabre/node";
import { stressLevel } from "../fixtures/stress-level";

const dir = mkdtempSync(join(tmpdir(), "sabre-mapped-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function fileOf(bytes: number | Uint8Array): string {
  const path = join(dir, `f${n++}.bin`);
  writeFileSync(path, typeof bytes === "number" ? new Uint8Array(bytes) : bytes, { mode: 0o600 });
  return path;
}
const peer = fileURLToPath(new URL("../fixtures/mapped-file-peer.mjs", import.meta.url));

describe("mapFile", () => {
  it("read-write: an Atomics counter in the file's bytes is exact across 3 processes; flush puts it on disk", async () => {
    const path = fileOf(3 * 4096 + 100);
    const rounds = stressLevel(20_000);
    using file = mapFile(path, { write: true });
    expect(file.size).toBe(3 * 4096 + 100);
    expect(file.writable).toBe(true);
    const words = file.view(Int32Array);
    Atomics.store(words, 1, 4242);
    const run = () => promisify(execFile)(process.execPath, [peer, path, String(rounds)], { encoding: "utf8" });
    const both = Promise.all([run(), run()]);
    for (let i = 0; i < rounds; i++) Atomics.add(words, 0, 1);
    const out = (await both).map((r) => JSON.parse(r.stdout));
    expect(out).toEqual([{ done: rounds, sawMarker: 4242 }, { done: rounds, sawMarker: 4242 }]);
    expect(Atomics.load(words, 0)).toBe(3 * rounds);
    expect(Atomics.load(words, 2)).toBeGreaterThan(0); // a peer's pid, written through its mapping
    file.bytes[file.size - 1] = 0x5a;
    file.flush();
    const disk = readFileSync(path);
    expect(disk.length).toBe(3 * 4096 + 100);
    expect(new DataView(disk.buffer, disk.byteOffset).getInt32(0, true)).toBe(3 * rounds);
    expect(disk[disk.length - 1]).toBe(0x5a);
  });

  it("read-only: reads the file, sees another writer's changes, and its own writes never reach the file", () => {
    const bytes = new Uint8Array(2 * 4096).fill(1);
    const path = fileOf(bytes);
    using ro = mapFile(path);
    expect(ro.writable).toBe(false);
    expect(ro.bytes.every((b) => b === 1)).toBe(true);
    const fd = openSync(path, "r+");
    writeSync(fd, new Uint8Array([9, 9, 9, 9]), 0, 4, 4096); // another writer, second page
    closeSync(fd);
    expect([...ro.bytes.subarray(4096, 4100)]).toEqual([9, 9, 9, 9]);
    ro.bytes[0] = 77; // private to this mapping
    ro.flush(); // nothing to write: only checks
    expect(ro.bytes[0]).toBe(77);
    expect(readFileSync(path)[0]).toBe(1);
  });

  it("a file truncated under its mapping: the lost pages read as zeros (no SIGBUS) and check/flush throw MappedFileChangedError", () => {
    const path = fileOf(new Uint8Array(4 * 4096).fill(3));
    const file = mapFile(path, { write: true });
    const fd = openSync(path, "r+");
    ftruncateSync(fd, 4096); // another descriptor shrinks it to one page
    closeSync(fd);
    expect(file.bytes[0]).toBe(3); // the page still in the file
    expect(file.bytes[3 * 4096 + 5]).toBe(0); // past the new end: a SIGBUS absorbed, zeros
    file.bytes[2 * 4096] = 8; // a write past the end lands in private memory, never kills
    expect(() => file.check()).toThrow(MappedFileChangedError);
    expect(() => file.flush()).toThrow(/changed size under its mapping \(mapped 16384 bytes, now 4096; pages past its new end were touched/);
    try {
      file.check();
      throw new Error("check did not throw");
    } catch (error) {
      expect((error as MappedFileChangedError).code).toBe("ERR_SABRE_MAPPED_FILE_CHANGED");
    }
    file.close(); // disposal never throws
    expect(file.closed).toBe(true);
    expect(readFileSync(path).length).toBe(4096);
  });

  it("a file grown under its mapping is reported by check; the mapping keeps its size", () => {
    const path = fileOf(4096);
    using file = mapFile(path, { write: true });
    const fd = openSync(path, "r+");
    ftruncateSync(fd, 3 * 4096);
    closeSync(fd);
    expect(file.bytes.length).toBe(4096);
    expect(() => file.check()).toThrow(MappedFileChangedError);
    truncateSync(path, 4096);
    file.check(); // back to its mapped size, and no page was lost: fine again
  });

  it("close (and using) unmaps: views read zeros and never touch the file; calls after close are refused", () => {
    const path = fileOf(new Uint8Array(4096).fill(6));
    let view: Int32Array;
    {
      using file = mapFile(path, { write: true });
      view = file.view(Int32Array, 8, 4);
      expect(view[0]).toBe(0x06060606);
      expect(file).toBeInstanceOf(MappedFile);
    }
    expect(view[0]).toBe(0);
    view[1] = 12345;
    expect(readFileSync(path).every((b) => b === 6)).toBe(true);
    const file = mapFile(path);
    file.close();
    file.close(); // idempotent
    expect(() => file.flush()).toThrow(InvalidArgumentError);
    expect(() => file.check()).toThrow(/was unmapped by close\(\)/);
  });

  it("refuses bad input with named errors", () => {
    const empty = fileOf(0);
    expect(() => mapFile(empty)).toThrow(/1 to \d+ bytes/);
    expect(() => mapFile(dir)).toThrow();
    expect(() => mapFile(join(dir, "missing.bin"))).toThrow(/ENOENT/);
    const path = fileOf(100);
    expect(() => mapFile(path, { writable: true } as never)).toThrow(/unknown option "writable"/);
    expect(() => mapFile(path, { write: "yes" } as never)).toThrow(InvalidArgumentError);
    expect(() => mapFile(42 as never)).toThrow(InvalidArgumentError);
    using file = mapFile(new URL(`file://${path}`));
    expect(file.size).toBe(100);
    expect(file.view(Uint16Array).length).toBe(50);
    expect(file.view(Float64Array, 8, 2).length).toBe(2);
    expect(() => file.view(Int32Array, 2)).toThrow(/multiple of 4/);
    expect(() => file.view(Int32Array, 0, 26)).toThrow(/from 0 to 25/);
    expect(() => file.view(Array as never)).toThrow(/typed array constructor/);
  });
});
