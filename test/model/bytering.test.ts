// bytering.test.ts — schedule exploration of the SPSC byte ring (assembly/bytering.ts) on the
// model build of the real core: capacity 32 bytes (frames of at most 12 bytes, 16 with the
// header), so the producer often waits for space and wrap markers are written and skipped.
//
// Frames 0..5 have payloads of 12, 5, 9, 12, 7, 0 bytes; byte j of frame k is pattern(k, j).
//
//   "bytering" (the producer closes after its last frame):
//     producer: try_write(f0) (br_try_write: the ring is empty) ;
//               batch: reserve(f1) ; fill ; reserve(f2) (untimed: a waiting reserve commits
//               f1 before it parks) ; fill (from JS, a pause in the middle) ; commit ;
//               write(f3) (reserve + fill + commit) ; try_write(f4), falling back to write ;
//               write(f5) ; close
//     consumer: until CLOSED, in turn: peek_wait (untimed) + check in place + release ;
//               read (br_read, try) falling back to peek_wait and read ; and so on
//   "bytering close": the same producer without its close (and try_write without fallback),
//     a consumer of timed forms (peek_wait 5 ms, read), and a third thread that closes the
//     ring at any point.
//
// Waiting reserves and peeks run the shipped step machines of src/queue/bytering.ts
// (spaceSteps: the step loop over br_space_step / br_space_cancel parked on BR_SPACE_SEQ;
// dataSteps: br_data_step / br_data_cancel parked on BR_DATA_SEQ), the ones the blocking and
// async forms of ByteRing run, driven by the model's driver (t.run).
//
// Byte positions do not depend on the schedule: f2 always follows a wrap marker (it starts at
// 28, and 28 + 16 > 32), which the consumer's peek skips (waking the producer). The ops are
// recorded (t.op) for the coverage line only; there is no sequential spec here.
//
// Checked: every frame the consumer gets is the next one in order, with its length and content
// (a frame read before its bytes were written is caught here); the frames received are
// exactly those published: at least every frame whose commit returned OK, none that was not
// committed, and the consumer sees CLOSED only after draining; no lost wake-up (deadlock);
// at the end no registered waiter and READ == WRITE.pos.
// Seeded bugs that must be found: br-commit-before-write (br_try_write publishes BR_WRITE
// before copying the payload) and br-release-no-wake (br_release forgets to wake a
// producer parked for space).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { dataSteps, spaceSteps } from "../../src/queue/bytering";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

const CAPACITY = 32;
const FRAMES = [12, 5, 9, 12, 7, 0];
const pattern = (k: number, j: number) => (k * 37 + j * 11 + 5) & 0xff;

interface Ctx { br: number; src: number[]; dst: number }
interface State {
  /** frames reserved or written so far (index of the next) */
  attempted: number;
  /** frames whose covering commit returned OK */
  confirmed: number;
  /** frames the consumer received */
  received: number;
  consumerDone: boolean;
}
type Gen<R> = Generator<unknown, R, unknown>;

// ---- producer --------------------------------------------------------------------------------

function* tryWrite(t: VThread, c: Ctx, s: State): Gen<number> {
  const k = s.attempted++; // before the call: the consumer may get it before it returns
  const r = yield* t.op("try_write", [k], t.call("br_try_write", c.br, c.src[k], FRAMES[k]));
  if (r === L.WOULD_BLOCK) {
    s.attempted--; // nothing reserved
    return r;
  }
  if (r === L.OK) s.confirmed = k + 1;
  else t.check(r === L.CLOSED, `try_write(f${k}) returned ${r}`);
  return r;
}

function* fill(t: VThread, k: number, addr: number) {
  const u8 = new Uint8Array(t.i32.buffer);
  const half = FRAMES[k] >> 1;
  for (let j = 0; j < half; j++) u8[addr + j] = pattern(k, j);
  yield* t.pause("fill");
  for (let j = half; j < FRAMES[k]; j++) u8[addr + j] = pattern(k, j);
}

function* commit(t: VThread, c: Ctx, s: State): Gen<number> {
  const r = yield* t.op("commit", [], t.call("br_commit", c.br));
  if (r === L.OK) s.confirmed = s.attempted;
  else t.check(r === L.CLOSED, `commit returned ${r}`);
  return r;
}

/** ByteRing.reserve (and reserveAsync): frame k's address, or a negated status. */
function* reserve(t: VThread, c: Ctx, s: State, ms: number): Gen<number> {
  const k = s.attempted;
  const a = yield* t.op("reserve", [k, ms], t.run(spaceSteps(c.br, FRAMES[k]), ms));
  if (a >= 0) s.attempted++;
  else t.check(a === -L.CLOSED || (a === -L.TIMED_OUT && ms >= 0), `reserve(f${k}) returned ${a}`);
  return a;
}

/** ByteRing.write: reserve, fill, commit. OK or a status. */
function* write(t: VThread, c: Ctx, s: State): Gen<number> {
  const a = yield* reserve(t, c, s, -1);
  if (a < 0) return -a;
  yield* fill(t, s.attempted - 1, a);
  return yield* commit(t, c, s);
}

function* producer(t: VThread, c: Ctx, s: State, closeAtEnd: boolean) {
  if ((yield* tryWrite(t, c, s)) !== L.OK) return; // f0, into an empty ring (or a closed one)
  // batch: f1 and f2 reserved and filled, one commit (each frame is filled before the next
  // reserve: a waiting reserve commits the frames pending before it parks)
  for (let i = 0; i < 2; i++) {
    const a = yield* reserve(t, c, s, -1);
    if (a < 0) return;
    yield* fill(t, s.attempted - 1, a);
  }
  if ((yield* commit(t, c, s)) !== L.OK) return;
  if ((yield* write(t, c, s)) !== L.OK) return; // f3
  // f4: try, then (only in the closing variant's absence) the blocking form
  const r = yield* tryWrite(t, c, s);
  if (r === L.CLOSED) return;
  if (r === L.WOULD_BLOCK && (!closeAtEnd || (yield* write(t, c, s)) !== L.OK)) return;
  if ((yield* write(t, c, s)) !== L.OK) return; // f5
  if (closeAtEnd) yield* t.op("close", [], t.call("br_close", c.br));
}

// ---- consumer --------------------------------------------------------------------------------

function checkFrame(t: VThread, c: Ctx, s: State, len: number, addr: number) {
  const k = s.received;
  t.check(k < s.attempted, `received a frame (${len} bytes) after ${k} frames, but only ${s.attempted} were reserved`, "frames");
  t.check(len === FRAMES[k], `frame ${k}: length ${len}, expected ${FRAMES[k]}`, "frames");
  const u8 = new Uint8Array(t.i32.buffer);
  for (let j = 0; j < len; j++) {
    if (u8[addr + j] !== pattern(k, j)) t.fail(`frame ${k}: byte ${j} is ${u8[addr + j]}, expected ${pattern(k, j)} (read before it was written?)`, "frames");
  }
  s.received++;
}

/** ByteRing's waiting peek (readView, read, and their async forms): a length or a negated status. */
const peekWait = (t: VThread, c: Ctx, ms: number) => t.op("peek_wait", [ms], t.run(dataSteps(c.br), ms));

function* consumer(t: VThread, c: Ctx, s: State, timed: boolean) {
  let len = 0;
  for (let turn = 0; ; turn++) {
    if (turn % 2 === 0) {
      // peek (blocking) + check in place + release
      len = yield* peekWait(t, c, timed ? 5 : -1);
      if (len === -L.TIMED_OUT && timed) continue;
      if (len < 0) break;
      checkFrame(t, c, s, len, yield* t.call("br_frame_addr", c.br));
      yield* t.pause("read in place");
      t.check((yield* t.call("br_release", c.br)) === L.OK, "release failed");
    } else {
      // read (try, copies), else wait and read
      len = yield* t.op("read", [], t.call("br_read", c.br, c.dst, 16));
      if (len === -L.WOULD_BLOCK) {
        const w = yield* peekWait(t, c, timed ? 5 : -1);
        if (w === -L.TIMED_OUT) continue;
        if (w < 0) { len = w; break; }
        len = yield* t.call("br_read", c.br, c.dst, 16);
        t.check(len === w, `read after a peek of ${w} returned ${len}`, "frames");
      }
      if (len < 0) break;
      checkFrame(t, c, s, len, c.dst);
    }
  }
  t.check(len === -L.CLOSED, `consumer stopped with ${len}`);
  t.check(s.received >= s.confirmed, `CLOSED after ${s.received} frames, but ${s.confirmed} were committed`, "frames");
  s.consumerDone = true;
}

// ---- the tests ---------------------------------------------------------------------------------

type Variant = "bytering" | "bytering close";

function byteringTest(variant: Variant, build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? variant : `${variant} (${build})`,
    build,
    threads: variant === "bytering" ? 2 : 3,
    regionBytes: L.HEAP_START + 2048,
    setup({ core, i32 }) {
      const br = core.region_alloc(core.br_size_of(CAPACITY), L.KIND_BYTERING, 1);
      if (core.br_init(br, CAPACITY) !== L.OK) throw new Error("br_init failed");
      const u8 = new Uint8Array(i32.buffer);
      const src = FRAMES.map((len, k) => {
        const a = core.region_alloc(Math.max(len, 1), L.KIND_RAW, 1);
        for (let j = 0; j < len; j++) u8[a + j] = pattern(k, j);
        return a;
      });
      return { br, src, dst: core.region_alloc(16, L.KIND_RAW, 1) };
    },
    fresh: () => ({ attempted: 0, confirmed: 0, received: 0, consumerDone: false }),
    *body(t, c, s) {
      if (t.id === 0) yield* producer(t, c, s, variant === "bytering");
      else if (t.id === 1) yield* consumer(t, c, s, variant === "bytering close");
      else yield* t.op("close", [], t.call("br_close", c.br));
    },
    check({ i32, ctx, state, fail }) {
      if (variant === "bytering" && state.received !== FRAMES.length) fail(`received ${state.received} of ${FRAMES.length} frames`, "frames");
      const dw = i32[(ctx.br + L.BR_DATA_WAITERS) >> 2];
      const sw = i32[(ctx.br + L.BR_SPACE_WAITERS) >> 2];
      // flags (wake.ts): a raised flag left behind (a waiter that gave up) costs one spare wake-up
      if (dw < 0 || dw > 1 || sw < 0 || sw > 1) fail(`waiter flags not 0 or 1: BR_DATA_WAITERS ${dw}, BR_SPACE_WAITERS ${sw}`, "conservation");
      const read = i32[(ctx.br + L.BR_READ) >> 2];
      const write = i32[(ctx.br + L.BR_WRITE) >> 2] & L.BR_POS_MASK;
      if (read !== write) fail(`consumer done with READ ${read} != WRITE ${write}`, "conservation");
    },
  };
}

describe("model: SPSC byte ring", () => {
  modelSuite(byteringTest("bytering", "model"), { executions: modelExecutions(20_000), file: import.meta.url });
  modelSuite(byteringTest("bytering close", "model"), { executions: modelExecutions(20_000), file: import.meta.url });
  seededBug(byteringTest("bytering", "model-bug-br-commit-before-write"), {
    executions: modelExecutions(6000),
    expect: ["frames"],
    file: import.meta.url,
  });
  seededBug(byteringTest("bytering", "model-bug-br-release-no-wake"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
