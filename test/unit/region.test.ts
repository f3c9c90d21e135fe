// region.test.ts — Region through the public entry: create/attach, header validation, the
// allocator (alloc/free, coalescing, exhaustion), attaching from a real worker thread, and
// poisoning (a trap on corrupt allocator state fails every thread's allocation, none hangs).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Region, CorruptRegionError, ForeignHandleError, InvalidArgumentError, LayoutVersionError, Mailbox, RegionFullError, TimeoutError,
  Mutex, CondVar, RwLock, Barrier,
} from "sabre";
import { startWorker } from "sabre/node";
import { REGION_BASE, RH_ALLOC_LOCK, RH_FREE_HEAD } from "../../assembly/layout"; // to corrupt the header on purpose

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

/** A second memory holding a byte copy of `region`'s memory: same header, new identity. */
function copyOf(region: Region): WebAssembly.Memory {
  const pages = region.byteLength / 65536;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  new Uint8Array(memory.buffer).set(new Uint8Array(region.memory.buffer));
  return memory;
}

describe("Region", () => {
  it("creates a region with the requested heap and attaches to it again", () => {
    const region = Region.create({ size: 100_000 });
    expect(region.freeBytes).toBeGreaterThanOrEqual(100_000);
    expect(region.usedBlocks).toBe(0);
    expect(Region.from(region.handle)).toBe(region);
    expect(region.agent).toBeGreaterThan(0);
  });

  it("rejects bad sizes with a clear error", () => {
    expect(() => Region.create({ size: -1 })).toThrow(InvalidArgumentError);
    expect(() => Region.create({ size: 1.5 })).toThrow(/integer/);
    expect(() => Region.create({ size: 2 ** 31 })).toThrow(InvalidArgumentError);
  });

  it("attaches to a copy of a valid header, and refuses corrupt, foreign or newer ones", () => {
    const region = Region.create({ size: 4096 });
    const copy = copyOf(region);
    const attached = Region.from({ __sabre: "region", memory: copy, id: region.handle.id });
    expect(attached).not.toBe(region);
    expect(attached.freeBytes).toBe(region.freeBytes);

    const wrongId = copyOf(region);
    expect(() => Region.from({ __sabre: "region", memory: wrongId, id: region.handle.id + 1 })).toThrow(ForeignHandleError);

    const newer = copyOf(region);
    new Uint32Array(newer.buffer)[(0x1000 + 4) >> 2] = 99; // RH_VERSION
    expect(() => Region.from({ __sabre: "region", memory: newer, id: region.handle.id })).toThrow(LayoutVersionError);

    const blank = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(() => Region.from({ __sabre: "region", memory: blank, id: 1 })).toThrow(CorruptRegionError);
    const unshared = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    expect(() => Region.from({ __sabre: "region", memory: unshared, id: 1 })).toThrow(CorruptRegionError);
    expect(() => Region.from({} as never)).toThrow(ForeignHandleError);
  });

  it("allocates aligned, zeroed, non-overlapping blocks and coalesces on free", () => {
    const region = Region.create({ size: 64 * 1024 });
    const initial = region.freeBytes;
    const a = region.alloc(10);
    const b = region.alloc(1000);
    const c = region.alloc(0);
    for (const off of [a, b, c]) expect(off % 64).toBe(0);
    expect(new Set([a, b, c]).size).toBe(3);
    region.bytes(b, 1000).fill(7);
    expect(region.bytes(a, 10).every((x) => x === 0)).toBe(true);
    region.free(b);
    const d = region.alloc(900); // reuses b's space, zeroed again
    expect(region.bytes(d, 900).every((x) => x === 0)).toBe(true);
    region.free(a);
    region.free(c);
    region.free(d);
    expect(region.freeBytes).toBe(initial);
    expect(region.usedBlocks).toBe(0);
    expect(() => region.free(d)).toThrow(ForeignHandleError); // double free: refused, nothing changed
    expect(region.freeBytes).toBe(initial);
  });

  it("reports exhaustion with RegionFullError and stays usable", () => {
    const region = Region.create({ size: 8192 });
    expect(() => region.alloc(1 << 20)).toThrow(RegionFullError);
    const a = region.alloc(1024);
    region.free(a);
  });

  it("matches a model under random alloc/free sequences (no overlap, no leak)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ alloc: fc.integer({ min: 0, max: 3000 }) }), fc.record({ free: fc.nat() })), { maxLength: 60 }),
        (ops) => {
          const region = Region.create({ size: 32 * 1024 });
          const initial = region.freeBytes;
          const live: { offset: number; size: number; stamp: number }[] = [];
          let stamp = 1;
          for (const op of ops) {
            if ("alloc" in op) {
              let offset: number;
              try {
                offset = region.alloc(op.alloc);
              } catch (e) {
                expect(e).toBeInstanceOf(RegionFullError);
                continue;
              }
              const s = stamp++ & 0xff || 1;
              region.bytes(offset, op.alloc).fill(s);
              live.push({ offset, size: op.alloc, stamp: s });
            } else if (live.length > 0) {
              const [victim] = live.splice(op.free % live.length, 1);
              region.free(victim.offset);
            }
            for (const blk of live) expect(region.bytes(blk.offset, blk.size).every((x) => x === blk.stamp)).toBe(true);
          }
          for (const blk of live) region.free(blk.offset);
          expect(region.freeBytes).toBe(initial);
          expect(region.usedBlocks).toBe(0);
        },
      ),
      { seed: 20261123, numRuns: 150 },
    );
  });

  it("is shared with a worker thread that attaches from the handle", async () => {
    const region = Region.create({ size: 16 * 1024 });
    const { worker, exited } = startWorker(fixture("region-worker.mjs"), { data: { region: region.handle } });
    const reply = await new Promise<{ offset: number; agent: number }>((r) => worker.once("message", r));
    await exited;
    expect(reply.agent).not.toBe(region.agent);
    expect(region.usedBlocks).toBe(1);
    expect(Array.from(region.bytes(reply.offset, 4))).toEqual([1, 2, 3, 4]);
    region.free(reply.offset);
    expect(region.usedBlocks).toBe(0);
  });

  /** A worker attached to `region`: `go()` makes it allocate and resolves with its report. */
  async function allocWorker(region: Region) {
    const { worker, exited } = startWorker(fixture("region-alloc-worker.mjs"), { data: { region: region.handle } });
    await new Promise((resolve) => worker.once("message", resolve)); // "ready"
    const go = () => {
      const reply = new Promise<{ ok?: number; error?: string }>((resolve) => worker.once("message", resolve));
      worker.postMessage("go");
      return reply;
    };
    return { go, exited };
  }

  it("a trap on a corrupt free list poisons the region: this and every other thread's alloc throw CorruptRegionError", async () => {
    const region = Region.create({ size: 64 * 1024 });
    const other = await allocWorker(region);
    const block = region.alloc(16);
    // a stray write over the free list head: the allocator's walk reads far outside memory
    const words = new Int32Array(region.memory.buffer);
    const head = (REGION_BASE + RH_FREE_HEAD) >> 2;
    const saved = words[head];
    words[head] = 0x7ffffff0;
    expect(() => region.alloc(16)).toThrow(CorruptRegionError);
    words[head] = saved; // even repaired, the region stays poisoned
    expect(await other.go()).toEqual({ error: "CorruptRegionError" }); // not a hang on the heap lock
    expect(() => region.alloc(16)).toThrow(CorruptRegionError);
    expect(() => region.free(block)).toThrow(CorruptRegionError);
    expect(() => Region.from({ ...region.handle, memory: copyOf(region) })).toThrow(CorruptRegionError);
    await other.exited;
  });

  it("an alloc parked on the heap lock when the region is poisoned throws CorruptRegionError", async () => {
    const region = Region.create({ size: 64 * 1024 });
    const other = await allocWorker(region);
    // hold the heap lock as a thread inside the allocator would (contended: waiters park)
    const words = new Int32Array(region.memory.buffer);
    const lock = (REGION_BASE + RH_ALLOC_LOCK) >> 2;
    Atomics.store(words, lock + 1, -1);
    Atomics.store(words, lock, 2);
    const reply = other.go();
    await new Promise((res) => setTimeout(res, 50)); // the worker parks on the lock
    region.core.region_poison(); // what that thread's Region does when its core call traps
    expect(await reply).toEqual({ error: "CorruptRegionError" });
    await other.exited;
  });
});

describe("Disposal: using a Region", () => {
  it("[Symbol.dispose] frees this thread's reply inboxes and nothing shared; the region stays usable; idempotent", async () => {
    const region = Region.create();
    const server = Mailbox.create<number>(region);
    const free = region.freeBytes;
    {
      using scoped = region;
      await expect(server.requestAsync(1, { timeout: 5 })).rejects.toThrow(TimeoutError);
      expect(scoped.freeBytes).toBeLessThan(free); // the request made this thread's reply inbox
    }
    expect(region.freeBytes).toBe(free);
    // a reply to the freed inbox is dropped; the server's mailbox and the region keep working
    expect(server.receiveRequest({ timeout: 1000 }).reply(2)).toBe(false);
    region.free(region.alloc(64));
    region[Symbol.dispose](); // nothing left to release
    // an async request still waiting for its reply: dispose throws and frees nothing
    const pending = server.requestAsync(3, { timeout: 10_000 });
    const held = region.freeBytes;
    expect(() => region[Symbol.dispose]()).toThrow(InvalidArgumentError);
    expect(region.freeBytes).toBe(held);
    (await server.receiveRequestAsync({ timeout: 1000 })).reply(9);
    expect(await pending).toBe(9);
    region[Symbol.dispose]();
    expect(region.freeBytes).toBe(free);
  });
});

describe("bad input: Region.create's options and a create's region argument", () => {
  it("refuses an unknown option key, naming it and the known ones", () => {
    expect(() => Region.create({ sise: 4096 } as never)).toThrow(InvalidArgumentError);
    expect(() => Region.create({ sise: 4096 } as never)).toThrow(/unknown option "sise"; known options: size, parking/);
    expect(() => Region.create(null as never)).toThrow(InvalidArgumentError);
  });

  it("says the type of a bad value", () => {
    expect(() => Region.create({ size: "4096" as never })).toThrow(/got string "4096"/);
  });

  it("every create refuses a region argument that is not a Region with a named error", () => {
    for (const bad of [null, undefined, {}, "region", 7]) {
      expect(() => Mutex.create(bad as never)).toThrow(InvalidArgumentError);
      expect(() => CondVar.create(bad as never)).toThrow(InvalidArgumentError);
      expect(() => RwLock.create(bad as never)).toThrow(InvalidArgumentError);
      expect(() => Barrier.create(bad as never, 2)).toThrow(InvalidArgumentError);
    }
    expect(() => Mutex.create(null as never)).toThrow("Mutex.create expects a Region (made by Region.create or Region.from), got null");
    expect(() => Mutex.create({} as never)).toThrow(/Mutex\.create expects a Region .*got object \{\}/);
  });
});
