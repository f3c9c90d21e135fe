// alloc.test.ts — schedule exploration of the region allocator (assembly/alloc.ts) on the
// model build of the real core: three threads allocate and free blocks of a small heap
// (six 64-byte units, so some allocations fail for want of space, depending on the schedule).
//
//   thread 0: a = alloc(100) ; free_bytes() ; free(a)
//   thread 1: a = alloc(40)  ; b = alloc(200) ; free(a) ; free(b)
//   thread 2: a = alloc(52)  ; used_blocks()  ; free(a)
//
// Checked:
//   - no overlap: a new block never intersects a block another thread holds, and each
//     owner's fill pattern is intact when it frees (nobody else wrote into its payload);
//   - linearizability of alloc / free / free_bytes / used_blocks against allocatorSpec
//     (which also says an allocation may fail only when no gap is large enough);
//   - conservation at the end: every byte is free again, in one coalesced block that is the
//     whole free list, and the counters say so.
// Seeded bug: build model-bug-alloc-unlocked-search (first-fit searched before taking the
// heap lock) must be found.
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { allocatorSpec, modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

const HEAP_UNITS = 6;
const REGION_BYTES = L.HEAP_START + HEAP_UNITS * L.ALLOC_ALIGN;
const HEAP_END = L.HEAP_START + HEAP_UNITS * L.ALLOC_ALIGN;
const SPAN = HEAP_END - L.HEAP_START;

interface Held { start: number; end: number; thread: number }
interface State { held: Held[] }

function* alloc(t: VThread, s: State, bytes: number) {
  const r = yield* t.op("alloc", [bytes], (function* () {
    const payload = yield* t.call("region_alloc", bytes, L.KIND_RAW, 1);
    const usable = payload ? yield* t.call("region_block_bytes", payload) : 0;
    return { payload, usable };
  })());
  if (r.payload === 0) return 0;
  const start = r.payload - L.BLOCK_HEADER;
  const end = start + r.usable + L.BLOCK_OVERHEAD;
  const clash = s.held.find((h) => start < h.end && h.start < end);
  if (clash) t.fail(`alloc(${bytes}) returned [${start}, ${end}) overlapping thread ${clash.thread}'s block [${clash.start}, ${clash.end})`, "overlap");
  s.held.push({ start, end, thread: t.id });
  new Uint8Array(t.i32.buffer, r.payload, r.usable).fill(0xa0 + t.id); // the owner's pattern
  yield* t.pause("filled");
  return r.payload;
}

function* free(t: VThread, s: State, payload: number) {
  if (!payload) return;
  const h = s.held.find((b) => b.start === payload - L.BLOCK_HEADER)!;
  const bytes = new Uint8Array(t.i32.buffer, payload, h.end - h.start - L.BLOCK_OVERHEAD);
  if (bytes.some((b) => b !== 0xa0 + t.id)) t.fail(`the payload of its block at ${payload} was written by someone else`, "overlap");
  s.held.splice(s.held.indexOf(h), 1);
  const r = yield* t.op("free", [payload], t.call("region_free", payload, L.KIND_RAW, 1));
  t.check(r === L.OK, `free(${payload}) returned ${r}`);
}

function allocTest(build: string): ModelTest<null, State> {
  return {
    name: build === "model" ? "alloc" : `alloc (${build})`,
    build,
    threads: 3,
    regionBytes: REGION_BYTES,
    setup: () => null,
    fresh: () => ({ held: [] }),
    *body(t, _c, s) {
      if (t.id === 0) {
        const a = yield* alloc(t, s, 100);
        yield* t.op("free_bytes", [], t.call("region_free_bytes"));
        yield* free(t, s, a);
      } else if (t.id === 1) {
        const a = yield* alloc(t, s, 40);
        const b = yield* alloc(t, s, 200);
        yield* free(t, s, a);
        yield* free(t, s, b);
      } else {
        const a = yield* alloc(t, s, 52);
        yield* t.op("used_blocks", [], t.call("region_used_blocks"));
        yield* free(t, s, a);
      }
    },
    check({ core, i32, fail }) {
      const word = (a: number) => i32[a >> 2] >>> 0;
      if (core.region_free_bytes() !== SPAN) fail(`free bytes ${core.region_free_bytes()} at the end, expected ${SPAN}`, "conservation");
      if (core.region_used_blocks() !== 0) fail(`${core.region_used_blocks()} used blocks at the end`, "conservation");
      const head = word(L.REGION_BASE + L.RH_FREE_HEAD);
      if (head !== L.HEAP_START || word(L.HEAP_START) !== SPAN || word(HEAP_END - L.BLOCK_FOOTER) !== SPAN ||
        word(L.HEAP_START + L.FREE_NEXT) !== 0 || word(L.HEAP_START + L.FREE_PREV) !== 0) {
        fail(`heap not one coalesced free block at the end: free head ${head}, header ${word(L.HEAP_START)}, footer ${word(HEAP_END - L.BLOCK_FOOTER)}`, "conservation");
      }
    },
    spec: allocatorSpec(L.HEAP_START, HEAP_END),
  };
}

describe("model: region allocator", () => {
  modelSuite(allocTest("model"), { executions: modelExecutions(50_000), file: import.meta.url });
  seededBug(allocTest("model-bug-alloc-unlocked-search"), {
    executions: modelExecutions(6000),
    // a trap counts: the corrupted free list sends the allocator out of bounds
    expect: ["overlap", "linearizability", "conservation", "trap"],
    file: import.meta.url,
  });
  // The heap lock once let two agents in: every agent takes it as ANONYMOUS_AGENT, and the
  // mutex's relock check read contention as "you already hold it" (found by the browser tests).
  seededBug(allocTest("model-bug-alloc-anonymous-relock"), {
    executions: modelExecutions(6000),
    expect: ["overlap", "linearizability", "conservation", "trap"],
    file: import.meta.url,
  });
});
