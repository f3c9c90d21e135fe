// spsc.test.ts — schedule exploration of the SPSC element ring (assembly/spsc.ts) on the
// model build of the real core: an int32 ring of capacity 4 and 9 elements (value of element
// k: k * 7 + 3, never 0), so the producer often waits for space and positions wrap twice.
//
//   "spsc" (the producer closes after its last element):
//     producer: try_push(e0) (spsc_try_push: the ring is empty) ;
//               push_many(e1..e3) from region memory (spsc_push_many: claim, memory.copy,
//               one CAS), waiting for room (spaceSteps) and pushing the rest while short ;
//               claim + fill from JS (a pause in the middle) + commit, e4..e6: the facade's
//               copy of an ordinary array (spsc_write_claim, TypedArray.set at TAIL.pos,
//               spsc_write_commit), waiting for room the same way ;
//               push(e7), push(e8): try, else wait for one free element and try again ;
//               close
//     consumer: until CLOSED, in turn: try_pop (NaN then spsc_pop_status) ; pop_many into
//               region memory (spsc_pop_many, up to 3) ; claim + check in place (a pause) +
//               release (the facade's copy out); each waits (dataSteps) when it finds none
//   "spsc close": the same producer without its close, a consumer whose waits time out after
//     5 ms, and a third thread that closes the ring at any point.
//
// Waits run the shipped step machines of src/queue/spsc.ts (spaceSteps over spsc_space_step /
// spsc_space_cancel parked on SPSC_SPACE_SEQ; dataSteps over spsc_data_step / spsc_data_cancel
// parked on SPSC_DATA_SEQ: the flag form of wake.ts), the ones the blocking and async forms of
// SpscRing run, driven by the model's driver (t.run).
//
// Checked: every element the consumer gets is the next one in order with its value (an element
// read before it was written is caught here); the consumer receives at least every element
// whose publish returned OK and none that was not claimed, and sees CLOSED only after
// draining; no lost wake-up (deadlock); at the end HEAD == TAIL.pos.
// Seeded bugs that must be found: spsc-publish-before-copy (spsc_push_many publishes the tail
// before it copies the elements in) and spsc-release-no-wake (spsc_read_release forgets to
// wake a producer parked for space).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { dataSteps, spaceSteps } from "../../src/queue/spsc";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

const CAPACITY = 4;
const COUNT = 9;
const value = (k: number) => k * 7 + 3;

interface Ctx { r: number; src: number; dst: number }
interface State {
  /** elements claimed or pushed so far (index of the next) */
  attempted: number;
  /** elements whose publish returned OK */
  confirmed: number;
  /** elements the consumer received */
  received: number;
}
type Gen<R> = Generator<unknown, R, unknown>;

// ---- producer --------------------------------------------------------------------------------

/** Waits for `want` free elements: true, or false when the wait ended (closed). */
function* waitSpace(t: VThread, c: Ctx, want: number): Gen<boolean> {
  const free = yield* t.op("space_wait", [want], t.run(spaceSteps(c.r, want), -1));
  if (free > 0) return true;
  t.check(free === -L.CLOSED, `space wait returned ${free}`);
  return false;
}

/** SpscRing.push: try, else wait for one free element; OK or CLOSED. */
function* push(t: VThread, c: Ctx, s: State): Gen<number> {
  const k = s.attempted;
  for (;;) {
    s.attempted = k + 1; // before the call: the consumer may get it before it returns
    const r = yield* t.op("try_push", [k], t.call("spsc_try_push", c.r, value(k)));
    if (r === L.OK) {
      s.confirmed = k + 1;
      return r;
    }
    s.attempted = k;
    if (r === L.CLOSED) return r;
    t.check(r === L.WOULD_BLOCK, `try_push(e${k}) returned ${r}`);
    if (!(yield* waitSpace(t, c, 1))) return L.CLOSED;
  }
}

/** Pushes elements first .. first+n-1 with `step` (one claim-copy-publish of up to `left`
 *  elements: the count, -WOULD_BLOCK or -CLOSED), waiting for room while short. */
function* pushBatch(t: VThread, c: Ctx, s: State, n: number, step: (left: number) => Gen<number>): Gen<number> {
  let done = 0;
  while (done < n) {
    const k = yield* step(n - done);
    if (k > 0) {
      done += k;
      s.confirmed = s.attempted;
    } else if (k === -L.CLOSED) return L.CLOSED;
    else {
      t.check(k === -L.WOULD_BLOCK, `batch step returned ${k}`);
      if (!(yield* waitSpace(t, c, Math.min(n - done, CAPACITY)))) return L.CLOSED;
    }
  }
  return L.OK;
}

/** spsc_push_many of the next `left` elements, copied from region memory. */
function* pushMany(t: VThread, c: Ctx, s: State, left: number): Gen<number> {
  const k0 = s.attempted;
  for (let j = 0; j < left; j++) t.i32[(c.src >> 2) + j] = value(k0 + j);
  s.attempted = k0 + left; // the core may publish any prefix before it returns
  const k = yield* t.op("push_many", [k0, left], t.call("spsc_push_many", c.r, c.src, left));
  s.attempted = k0 + (k > 0 ? k : 0);
  return k;
}

/** The facade's copy of an ordinary array: claim, fill at TAIL.pos from JS, commit. */
function* claimFillCommit(t: VThread, c: Ctx, s: State, left: number): Gen<number> {
  const k = yield* t.op("write_claim", [left], t.call("spsc_write_claim", c.r, left));
  if (k <= 0) return k;
  const k0 = s.attempted;
  const tail = t.i32[(c.r + L.SPSC_TAIL) >> 2] & (CAPACITY - 1);
  const at = (c.r + L.SPSC_DATA) >> 2;
  for (let j = 0; j < k; j++) {
    if (j === 1) yield* t.pause("fill");
    t.i32[at + ((tail + j) & (CAPACITY - 1))] = value(k0 + j);
  }
  s.attempted = k0 + k;
  const r = yield* t.op("write_commit", [k], t.call("spsc_write_commit", c.r, k));
  if (r === L.OK) return k;
  s.attempted = k0;
  t.check(r === L.CLOSED, `write_commit returned ${r}`);
  return -r;
}

function* producer(t: VThread, c: Ctx, s: State, closeAtEnd: boolean) {
  if ((yield* push(t, c, s)) !== L.OK) return; // e0
  if ((yield* pushBatch(t, c, s, 3, (left) => pushMany(t, c, s, left))) !== L.OK) return; // e1..e3
  if ((yield* pushBatch(t, c, s, 3, (left) => claimFillCommit(t, c, s, left))) !== L.OK) return; // e4..e6
  if ((yield* push(t, c, s)) !== L.OK) return; // e7
  if ((yield* push(t, c, s)) !== L.OK) return; // e8
  if (closeAtEnd) yield* t.op("close", [], t.call("spsc_close", c.r));
}

// ---- consumer --------------------------------------------------------------------------------

function checkValue(t: VThread, s: State, v: number) {
  const k = s.received;
  t.check(k < s.attempted, `received ${v} after ${k} elements, but only ${s.attempted} were pushed`, "values");
  t.check(v === value(k), `element ${k}: ${v}, expected ${value(k)} (read before it was written?)`, "values");
  s.received++;
}

/** Waits for an element: the count available, or a negated status (-CLOSED, -TIMED_OUT). */
const waitData = (t: VThread, c: Ctx, ms: number) => t.op("data_wait", [ms], t.run(dataSteps(c.r), ms));

function* consumer(t: VThread, c: Ctx, s: State, timed: boolean) {
  let last = 0;
  for (let turn = 0; ; turn++) {
    let got: number;
    if (turn % 3 === 0) {
      const v = yield* t.op("try_pop", [], t.call("spsc_try_pop", c.r));
      if (v === v) {
        checkValue(t, s, v);
        continue;
      }
      got = -(yield* t.call("spsc_pop_status", c.r));
    } else if (turn % 3 === 1) {
      got = yield* t.op("pop_many", [], t.call("spsc_pop_many", c.r, c.dst, 3));
      for (let j = 0; j < got; j++) checkValue(t, s, t.i32[(c.dst >> 2) + j]);
      if (got > 0) continue;
    } else {
      got = yield* t.op("read_claim", [], t.call("spsc_read_claim", c.r, 2));
      if (got > 0) {
        const head = t.i32[(c.r + L.SPSC_HEAD) >> 2];
        const at = (c.r + L.SPSC_DATA) >> 2;
        for (let j = 0; j < got; j++) {
          if (j === 1) yield* t.pause("read in place");
          checkValue(t, s, t.i32[at + ((head + j) & (CAPACITY - 1))]);
        }
        t.check((yield* t.call("spsc_read_release", c.r, got)) === L.OK, "release failed");
        continue;
      }
    }
    if (got === -L.WOULD_BLOCK) {
      last = yield* waitData(t, c, timed ? 5 : -1);
      if (last > 0 || (last === -L.TIMED_OUT && timed)) continue;
    } else last = got;
    break;
  }
  t.check(last === -L.CLOSED, `consumer stopped with ${last}`);
  t.check(s.received >= s.confirmed, `CLOSED after ${s.received} elements, but ${s.confirmed} were published`, "values");
}

// ---- the tests ---------------------------------------------------------------------------------

type Variant = "spsc" | "spsc close";

function spscTest(variant: Variant, build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? variant : `${variant} (${build})`,
    build,
    threads: variant === "spsc" ? 2 : 3,
    regionBytes: L.HEAP_START + 2048,
    setup({ core }) {
      const r = core.region_alloc(core.spsc_size_of(CAPACITY, L.SPSC_INT32), L.KIND_SPSC, 1);
      if (core.spsc_init(r, CAPACITY, L.SPSC_INT32) !== L.OK) throw new Error("spsc_init failed");
      return { r, src: core.region_alloc(16, L.KIND_RAW, 1), dst: core.region_alloc(16, L.KIND_RAW, 1) };
    },
    fresh: () => ({ attempted: 0, confirmed: 0, received: 0 }),
    *body(t, c, s) {
      if (t.id === 0) yield* producer(t, c, s, variant === "spsc");
      else if (t.id === 1) yield* consumer(t, c, s, variant === "spsc close");
      else yield* t.op("close", [], t.call("spsc_close", c.r));
    },
    check({ i32, ctx, state, fail }) {
      if (variant === "spsc" && state.received !== COUNT) fail(`received ${state.received} of ${COUNT} elements`, "values");
      const head = i32[(ctx.r + L.SPSC_HEAD) >> 2];
      const tail = i32[(ctx.r + L.SPSC_TAIL) >> 2] & L.SPSC_POS_MASK;
      if (head !== tail) fail(`consumer done with HEAD ${head} != TAIL ${tail}`, "conservation");
    },
  };
}

describe("model: SPSC element ring", () => {
  modelSuite(spscTest("spsc", "model"), { executions: modelExecutions(20_000), file: import.meta.url });
  modelSuite(spscTest("spsc close", "model"), { executions: modelExecutions(20_000), file: import.meta.url });
  seededBug(spscTest("spsc", "model-bug-spsc-publish-before-copy"), {
    executions: modelExecutions(6000),
    expect: ["values"],
    file: import.meta.url,
  });
  seededBug(spscTest("spsc", "model-bug-spsc-release-no-wake"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
