// rwlock.test.ts — schedule exploration of the writer-preferring readers-writer lock
// (assembly/rwlock.ts) on the model build of the real core: three threads.
//
//   thread 0: write(-1) ; write_unlock ; read(-1) ; read_unlock
//   thread 1: read(-1) ; write(5 ms) -> TIMED_OUT (its own read lock blocks it) ; read_unlock
//   thread 2: write(5 ms) [; write_unlock] ; read(-1) ; read_unlock
//
// read / write run the shipped step machines of src/sync/rwlock.ts (readSteps / writeSteps:
// the step loop over rw_read_step / rw_read_cancel parked on RW_READ_SEQ and rw_write_step /
// rw_write_cancel parked on RW_WRITE_SEQ), the ones the blocking and async forms run, driven
// by the model's driver (t.run); thread 2's write is observed (not changed) to track its
// registration as a waiting writer.
// Thread 1's write while it holds a read lock registers a waiting writer that can only time
// out: its cancellation runs in every execution (and holds back new readers meanwhile).
// Checked:
//   - a writer is alone (no reader, no other writer inside); readers never with a writer;
//   - writer preference: while thread 2 is registered as a waiting writer (from its step's
//     WOULD_BLOCK to its acquiring step or its cancel), no read that began in that time
//     succeeds in that time;
//   - no lost wake-up: an untimed waiter blocked forever is a deadlock;
//   - linearizability of read / write / read_unlock / write_unlock against rwlockSpec;
//   - a cancelled or timed-out waiter leaves the lock clean: at the end RW_STATE == 0,
//     RW_OWNER == 0, RW_READERS_WAITING == 0.
// Seeded bug: model-bug-rw-unlock-no-wake-readers (write-unlock with no writer waiting does
// not wake the parked readers).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { readSteps, writeSteps } from "../../src/sync/rwlock";
import type { StepRequest, Steps } from "../../src/wait/steps";
import { modelExecutions, modelSuite, rwlockSpec, seededBug, type ModelTest, type VThread } from "./harness";

interface Ctx { rw: number }
interface State {
  writer: number;      // thread inside as writer, -1 none
  readers: number;     // threads holding a read lock
  registered: boolean; // thread 2 is a registered waiting writer
  epoch: number;       // bumped each time thread 2 registers
}

function* enterWrite(t: VThread, s: State) {
  t.check(s.writer < 0 && s.readers === 0, `write lock while writer ${s.writer} / ${s.readers} readers inside`, "exclusion");
  s.writer = t.id;
  yield* t.pause("writing");
}
function* leaveWrite(t: VThread, c: Ctx, s: State) {
  s.writer = -1;
  const r = yield* t.op("write_unlock", [], t.call("rw_write_unlock", c.rw, t.agent));
  t.check(r === L.OK, `write_unlock returned ${r}`);
}
function* enterRead(t: VThread, s: State, epoch: number) {
  t.check(s.writer < 0, `read lock while writer ${s.writer} is inside`, "exclusion");
  t.check(!(s.registered && epoch === s.epoch), "a reader entered while a writer was waiting (writer preference)", "writer preference");
  s.readers++;
  yield* t.pause("reading");
}
function* leaveRead(t: VThread, c: Ctx, s: State) {
  s.readers--;
  const r = yield* t.op("read_unlock", [], t.call("rw_read_unlock", c.rw));
  t.check(r === L.OK, `read_unlock returned ${r}`);
}
const epochNow = (s: State) => (s.registered ? s.epoch : -1);

function* read(t: VThread, c: Ctx, s: State) {
  const epoch = epochNow(s);
  const r = yield* t.op("read", [-1], t.run(readSteps(c.rw, t.agent)));
  t.check(r === L.OK, `read(-1) returned ${r}`);
  yield* enterRead(t, s, epoch);
}

/** Passes `machine`'s requests on unchanged, telling `before` / `after` about each call. */
function* observed<R>(machine: Steps<R>, before: (fn: string) => void, after: (fn: string, result: number) => void): Steps<R> {
  let input = 0;
  for (;;) {
    const next = machine.next(input);
    if (next.done) return next.value;
    const request: StepRequest = next.value;
    if (request.op === "call") before(request.fn);
    input = yield request;
    if (request.op === "call") after(request.fn, input);
  }
}

/** Thread 2's write, tracking its registration as a waiting writer for the preference check. */
function* trackedWrite(t: VThread, c: Ctx, s: State, timeoutMs: number) {
  const machine = observed(writeSteps(c.rw, t.agent), (fn) => {
    if (fn === "rw_write_cancel") s.registered = false; // before the cancel's first atomic: conservative
  }, (fn, r) => {
    if (fn !== "rw_write_step") return;
    // registered from the cas that returned WOULD_BLOCK (no atomic after it in the step)
    // until the acquiring cas (the writer then holds the lock: no reader can enter anyway)
    if (r === L.WOULD_BLOCK && !s.registered) {
      s.registered = true;
      s.epoch++;
    } else if (r !== L.WOULD_BLOCK) s.registered = false;
  });
  return yield* t.op("write", [timeoutMs], t.run(machine, timeoutMs));
}

function rwlockTest(build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? "rwlock" : `rwlock (${build})`,
    build,
    threads: 3,
    regionBytes: L.HEAP_START + 1024,
    setup({ core }) {
      const rw = core.region_alloc(L.RW_SIZE, L.KIND_RWLOCK, 1);
      core.rw_init(rw);
      return { rw };
    },
    fresh: () => ({ writer: -1, readers: 0, registered: false, epoch: 0 }),
    *body(t, c, s) {
      if (t.id === 0) {
        const r = yield* t.op("write", [-1], t.run(writeSteps(c.rw, t.agent)));
        t.check(r === L.OK, `write(-1) returned ${r}`);
        yield* enterWrite(t, s);
        yield* leaveWrite(t, c, s);
        yield* read(t, c, s);
        yield* leaveRead(t, c, s);
      } else if (t.id === 1) {
        yield* read(t, c, s);
        const w = yield* t.op("write", [5], t.run(writeSteps(c.rw, t.agent), 5));
        t.check(w === L.TIMED_OUT, `write(5 ms) while holding a read lock returned ${w}`);
        yield* leaveRead(t, c, s);
      } else {
        if ((yield* trackedWrite(t, c, s, 5)) === L.OK) {
          yield* enterWrite(t, s);
          yield* leaveWrite(t, c, s);
        }
        yield* read(t, c, s);
        yield* leaveRead(t, c, s);
      }
    },
    check({ i32, ctx, fail }) {
      const state = i32[(ctx.rw + L.RW_STATE) >> 2];
      const owner = i32[(ctx.rw + L.RW_OWNER) >> 2];
      const readersWaiting = i32[(ctx.rw + L.RW_READERS_WAITING) >> 2];
      if (state !== 0 || owner !== 0 || readersWaiting !== 0) {
        fail(`not clean at the end: RW_STATE 0x${state.toString(16)}, RW_OWNER ${owner}, RW_READERS_WAITING ${readersWaiting}`, "conservation");
      }
    },
    spec: rwlockSpec(),
  };
}

describe("model: rwlock", () => {
  modelSuite(rwlockTest("model"), { executions: modelExecutions(30_000), file: import.meta.url });
  seededBug(rwlockTest("model-bug-rw-unlock-no-wake-readers"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
