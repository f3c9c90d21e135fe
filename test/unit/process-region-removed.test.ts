// process-region-removed.test.ts — a named region whose name was removed (removeRegion) while
// processes still map it: its file stays whole, so death reports and the liveness sweep go on
// for it (a holder that dies after the removal is still recovered with OwnerDeadError); the
// check goes by the region's own open file (fstat of its fd), which each Region closes when it
// is disposed — no fd outlives the Region that holds it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, truncateSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  Mutex, OwnerDeadError, createRegion, decodeHandles, encodeHandles, openRegion, removeRegion, threadDied, type Region,
} from "sabre/node";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
let serial = 0;
const fresh = (what: string) => `removed-${what}-${process.pid}-${++serial}`;
const openFds = () => readdirSync("/proc/self/fd").length;

/** An unrelated process that attaches `mutex` by name, locks it and holds it until killed. */
async function holder(mutex: Mutex) {
  const child = spawn(process.execPath, [fixture("process-lock-holder.mjs"), encodeHandles({ mutex })], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(child.stdout, "data");
  expect(String(line)).toBe("locked\n");
  return child;
}

async function kill(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

describe("a named region removed while mapped", () => {
  it("two processes use it, the name is removed, the holder dies with the mutex: the creator recovers it with OwnerDeadError", async () => {
    const name = fresh("creator");
    const region = createRegion({ name, size: 1 << 16 });
    const mutex = Mutex.create(region);
    const child = await holder(mutex);
    removeRegion(name); // both processes keep the mapping; the file lives on without a name
    expect(() => openRegion(name)).toThrow(/no region of that name/);
    expect(mutex.tryLock()).toBeUndefined(); // alive: never taken over
    await kill(child);
    // this thread blocks: the futex parker's slices run the liveness sweep, which must still
    // walk the unnamed region's party table
    let error: unknown;
    try {
      mutex.lock({ timeout: 10_000 }).unlock();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OwnerDeadError);
    const guard = (error as OwnerDeadError).guard!;
    expect(guard.ownerDied).toBe(true);
    guard.markConsistent();
    guard.unlock();
    expect(mutex.tryLock()?.ownerDied).toBe(false);
    region[Symbol.dispose]();
  });

  it("the survivor attached by name (openRegion): its own open file keeps the walks going after the removal", async () => {
    const name = fresh("opener");
    const created = createRegion({ name, size: 1 << 16 });
    const mutex = Mutex.create(created);
    const { mutex: viaName } = decodeHandles<{ mutex: Mutex }>(encodeHandles({ mutex })); // openRegion(name): a second mapping
    const opened: Region = viaName.region;
    expect(opened).not.toBe(created);
    const child = await holder(mutex);
    removeRegion(name);
    // the creating Region lets go of its file: without a name it can no longer be checked and its
    // walks stop; the opened Region still holds its file, so the recovery must come through it
    created[Symbol.dispose]();
    await kill(child);
    await expect(viaName.lockAsync({ timeout: 10_000 })).rejects.toBeInstanceOf(OwnerDeadError);
    opened[Symbol.dispose]();
  });

  it("each Region closes the file it holds when disposed (no fd leak), stays usable after, and disposing twice is harmless", () => {
    const name = fresh("fds");
    const warm = fresh("warm-up"); // the addon loaded and set up before counting
    createRegion({ name: warm, size: 4096 })[Symbol.dispose]();
    removeRegion(warm);
    const before = openFds();
    const created = createRegion({ name, size: 1 << 16 });
    expect(openFds()).toBe(before + 1);
    const opened = openRegion(name);
    expect(openFds()).toBe(before + 2);
    removeRegion(name);
    expect(openFds()).toBe(before + 2); // removing the name closes nothing
    opened[Symbol.dispose]();
    created[Symbol.dispose]();
    expect(openFds()).toBe(before);
    created[Symbol.dispose]();
    expect(openFds()).toBe(before);
    const mutex = Mutex.create(created); // the mapping is untouched
    mutex.lock().unlock();
  });

  it("a file truncated under its mapping, then unnamed: the walks skip it (its lost pages would raise SIGBUS and kill this process)", () => {
    const name = fresh("trunc");
    const region = createRegion({ name, size: 1 << 16 });
    Mutex.create(region);
    truncateSync(`/dev/shm/sabre-${name}`, 100);
    removeRegion(name);
    expect(threadDied(0x7ffffff0)).toBe(0); // a walk over every region of this thread: this one is skipped
    region[Symbol.dispose]();
    expect(threadDied(0x7ffffff0)).toBe(0);
  });
});
