// ring.property.test.ts — model-based property tests (fast-check, fixed seed): random
// sequences of operations on a RingBuffer and on a ByteRing, in one thread, compared step by
// step with a plain-array model: every result, every error, and the length after each step.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RingSpace } from "../fixtures/ring-space";
import { ByteRing, Region, RingBuffer } from "sabre";

const SEED = Number(process.env.SABRE_SEED ?? 20261123);
const RUNS = 200;

type Outcome = { value?: unknown; error?: string };
function outcome(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: (e as Error).name };
  }
}

// ---- RingBuffer ------------------------------------------------------------------------------

type RingOp =
  | { op: "push" | "tryPush"; v: number }
  | { op: "pop" | "tryPop" | "close" }
  | { op: "pushMany"; vs: number[]; inRegion: boolean }
  | { op: "popMany"; n: number; inRegion: boolean };

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const ringOp: fc.Arbitrary<RingOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("push" as const, "tryPush" as const), v: int32 }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("pop" as const, "tryPop" as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("pushMany" as const), vs: fc.array(int32, { maxLength: 20 }), inRegion: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("popMany" as const), n: fc.nat(20), inRegion: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const) }) },
);

class RingModel {
  items: number[] = [];
  closed = false;
  constructor(readonly capacity: number) {}
  push(v: number, blocking: boolean): Outcome {
    if (this.closed) return { error: "ClosedError" };
    if (this.items.length === this.capacity) return blocking ? { error: "TimeoutError" } : { value: false };
    this.items.push(v);
    return { value: blocking ? undefined : true };
  }
  pop(blocking: boolean): Outcome {
    if (this.items.length > 0) return { value: this.items.shift() };
    if (this.closed) return { error: "ClosedError" };
    return blocking ? { error: "TimeoutError" } : { value: undefined };
  }
  pushMany(vs: number[]): Outcome {
    if (vs.length === 0) return { value: 0 };
    if (this.closed) return { error: "ClosedError" };
    const n = Math.min(vs.length, this.capacity - this.items.length);
    this.items.push(...vs.slice(0, n));
    return { value: n };
  }
  popMany(n: number): Outcome {
    if (n === 0) return { value: [] };
    if (this.items.length === 0 && this.closed) return { error: "ClosedError" };
    return { value: this.items.splice(0, n) };
  }
}

describe("RingBuffer against an array model", () => {
  it("agrees on every result and length", () => {
    const region = Region.create();
    const start = region.freeBytes;
    const scratch = region.alloc(4 * 20);
    const inRegion = new Int32Array(region.memory.buffer, scratch, 20);
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 8, 16, 32, 64), fc.array(ringOp, { maxLength: 120 }), (capacity, ops) => {
        const ring = RingBuffer.create(region, { capacity });
        const model = new RingModel(capacity);
        try {
          for (const step of ops) {
            let got: Outcome;
            let want: Outcome;
            switch (step.op) {
              case "push":
                got = outcome(() => ring.push(step.v, { timeout: 0 }));
                want = model.push(step.v, true);
                break;
              case "tryPush":
                got = outcome(() => ring.tryPush(step.v));
                want = model.push(step.v, false);
                break;
              case "pop":
                got = outcome(() => ring.pop({ timeout: 0 }));
                want = model.pop(true);
                break;
              case "tryPop":
                got = outcome(() => ring.tryPop());
                want = model.pop(false);
                break;
              case "pushMany": {
                const src = step.inRegion ? inRegion.subarray(0, step.vs.length) : new Int32Array(step.vs.length);
                src.set(step.vs);
                got = outcome(() => ring.pushMany(src));
                want = model.pushMany(step.vs);
                break;
              }
              case "popMany": {
                const dst = step.inRegion ? inRegion.subarray(0, step.n) : new Int32Array(step.n);
                got = outcome(() => [...dst.subarray(0, ring.popMany(dst))]);
                want = model.popMany(step.n);
                break;
              }
              case "close":
                got = outcome(() => ring.close());
                model.closed = true;
                want = { value: undefined };
                break;
            }
            expect(got, JSON.stringify(step)).toEqual(want);
            expect(ring.length).toBe(model.items.length);
            expect(ring.closed).toBe(model.closed);
          }
        } finally {
          ring.free();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    region.free(scratch);
    expect(region.freeBytes).toBe(start);
  });
});

// ---- ByteRing ------------------------------------------------------------------------------

type ByteOp =
  | { op: "write" | "tryWrite"; len: number }
  | { op: "read" | "tryRead" | "view" | "close" }
  | { op: "batch"; lens: number[] };

const byteOp = (max: number): fc.Arbitrary<ByteOp> => {
  const len = fc.oneof(fc.nat(max), fc.integer({ min: Math.max(0, max - 8), max }), fc.nat(Math.min(12, max)));
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("write" as const, "tryWrite" as const), len }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("read" as const, "tryRead" as const, "view" as const) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("batch" as const), lens: fc.array(len, { minLength: 1, maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const) }) },
  );
};

type Entry = { start: number; size: number; marker: boolean; data?: number[]; published: boolean };

/** The byte ring's specification, on plain numbers: contiguous frames, wrap markers that the
 *  reader skips, frames up to capacity/2 - 4 bytes, batches publish at commit. */
class ByteModel extends RingSpace<Entry> {
  closed = false;
  get published(): number {
    let p = this.read;
    for (const e of this.entries) if (e.published) p = e.start + e.size;
    return p;
  }
  reserve(data: number[]): boolean {
    return this.place(4 + ((data.length + 3) & ~3), (start, size, marker) =>
      marker ? { start, size, marker, published: false } : { start, size, marker, data, published: false });
  }
  commit(): void {
    for (const e of this.entries) e.published = true;
  }
  next(): number[] | undefined {
    while (this.entries.length && this.entries[0].published && this.entries[0].marker) this.pop();
    const head = this.entries[0];
    return head?.published ? head.data : undefined;
  }
  take(): number[] | undefined {
    const data = this.next();
    if (data) this.pop();
    return data;
  }
}

const frame = (len: number, seed: number) => Array.from({ length: len }, (_, i) => (i * 7 + seed * 13) & 255);

describe("ByteRing against a model", () => {
  it("agrees on every result and on the bytes in use", () => {
    const region = Region.create();
    const start = region.freeBytes;
    fc.assert(
      fc.property(
        fc.constantFrom(16, 32, 64, 128).chain((cap) => fc.tuple(fc.constant(cap), fc.array(byteOp(cap / 2 - 4), { maxLength: 120 }))),
        ([capacity, ops]) => {
          const ring = ByteRing.create(region, { capacity });
          const model = new ByteModel(capacity);
          let n = 0;
          try {
            for (const step of ops) {
              let got: Outcome;
              let want: Outcome;
              switch (step.op) {
                case "write":
                case "tryWrite": {
                  const data = frame(step.len, n++);
                  got = outcome(() =>
                    step.op === "write" ? ring.write(Uint8Array.from(data), { timeout: 0 }) : ring.tryWrite(Uint8Array.from(data)),
                  );
                  if (model.closed) want = { error: "ClosedError" };
                  else if (model.reserve(data)) {
                    model.commit();
                    want = { value: step.op === "write" ? undefined : true };
                  } else want = step.op === "write" ? { error: "TimeoutError" } : { value: false };
                  break;
                }
                case "batch": {
                  const datas = step.lens.map((len) => frame(len, n++));
                  got = outcome(() => {
                    let k = 0;
                    for (const d of datas) {
                      const view = ring.tryReserve(d.length);
                      if (!view) break;
                      view.set(d);
                      k++;
                    }
                    ring.commit();
                    return k;
                  });
                  if (model.closed) want = { error: "ClosedError" };
                  else {
                    let k = 0;
                    for (const d of datas) {
                      if (!model.reserve(d)) break;
                      k++;
                    }
                    model.commit();
                    want = { value: k };
                  }
                  break;
                }
                case "read":
                case "tryRead":
                case "view": {
                  got = outcome(() => {
                    if (step.op === "read") return [...ring.read({ timeout: 0 })];
                    if (step.op === "tryRead") {
                      const f = ring.tryRead();
                      return f && [...f];
                    }
                    const v = ring.tryReadView();
                    if (!v) return undefined;
                    const copy = [...v];
                    ring.release();
                    return copy;
                  });
                  const data = model.take();
                  if (data) want = { value: data };
                  else if (model.closed) want = { error: "ClosedError" };
                  else want = step.op === "read" ? { error: "TimeoutError" } : { value: undefined };
                  break;
                }
                case "close":
                  got = outcome(() => ring.close());
                  model.closed = true;
                  model.entries = model.entries.filter((e) => e.published);
                  want = { value: undefined };
                  break;
              }
              expect(got, JSON.stringify(step)).toEqual(want);
              expect(ring.usedBytes).toBe(model.published - model.read);
              expect(ring.closed).toBe(model.closed);
            }
          } finally {
            ring.free();
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(region.freeBytes).toBe(start);
  });
});
