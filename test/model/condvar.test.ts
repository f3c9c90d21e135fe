// condvar.test.ts — schedule exploration of the condition variable (assembly/condvar.ts) with
// the core mutex, on the model build of the real core: one producer, two consumers, a
// counter of items in shared memory guarded by the mutex (plain reads and writes).
//
//   thread 0 (producer): 2 x { lock ; items++ ; [broadcast] ; unlock ; [signal] }
//                        (the first item is broadcast under the mutex, the second signalled after unlocking)
//   thread 1 (consumer): lock ; while items == 0: cv_wait(-1) ; items-- ; unlock
//   thread 2 (consumer): lockAsync ; while items == 0 and not timed out: waitAsync(5 ms) ;
//                        [items--] ; while items == 0 and not timed out: waitAsync(5 ms) ;
//                        [signal, if an item is left: it may have taken thread 1's signal] ; unlock
//
// Thread 2's second wait (for an item it does not take) can only end by timing out when
// thread 1 took the other item: the timed path runs in those schedules.
//
// waitAsync is src/sync/condvar.ts's protocol: read CV_SEQ under the mutex, cv_wait_begin (which
// unlocks), park in JS on CV_SEQ with a timeout, cv_wait_end, relock with Mutex.lockAsync's
// loop (mutex_lock_step / park on MUTEX_STATE).
// Checked:
//   - mutual exclusion around the items counter (a pause between its read and its write);
//   - the mutex is held by the caller when cv_wait / waitAsync returns, timed out or not;
//   - no lost wake-up: consumer 1 waits without a timeout for one of the two items, so a
//     lost signal leaves it blocked forever (deadlock);
//   - conservation at the end: items == produced - consumed; CV_WAITERS == 0; mutex free.
// Seeded bug: model-bug-cv-signal-no-seq (signal notifies without bumping CV_SEQ): a waiter
// that has read CV_SEQ and unlocked, but not parked yet, misses the signal.
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

interface Ctx { m: number; cv: number; items: number }
interface State { inside: number; produced: number; consumed: number }

function* lock(t: VThread, c: Ctx) {
  t.check((yield* t.call("mutex_lock", c.m, t.agent, -1)) === L.OK, "mutex_lock failed");
}
/** Mutex.lockAsync's loop (src/sync/mutex.ts). */
function* lockAsync(t: VThread, c: Ctx) {
  let parked = 0;
  for (;;) {
    const r = yield* t.call("mutex_lock_step", c.m, t.agent, parked);
    if (r === L.OK) return;
    t.check(r === L.WOULD_BLOCK, `mutex_lock_step returned ${r}`);
    yield* t.wait(c.m + L.MUTEX_STATE, L.MUTEX_CONTENDED);
    parked = 1;
  }
}
function* unlock(t: VThread, c: Ctx) {
  t.check((yield* t.call("mutex_unlock", c.m, t.agent)) === L.OK, "mutex_unlock failed");
}
function held(t: VThread, c: Ctx, after: string) {
  const owner = t.i32[(c.m + L.MUTEX_OWNER) >> 2];
  const state = t.i32[(c.m + L.MUTEX_STATE) >> 2];
  t.check(owner === t.agent && state !== L.MUTEX_UNLOCKED, `${after} returned without the mutex (owner ${owner}, state ${state})`, "mutex not held");
}
/** items += delta under the mutex: a plain read-modify-write with a pause in between. */
function* update(t: VThread, c: Ctx, s: State, delta: number) {
  t.check(s.inside < 0, `inside the critical section with thread ${s.inside}`, "mutual exclusion");
  s.inside = t.id;
  const v = t.i32[c.items >> 2];
  yield* t.pause("items read");
  t.i32[c.items >> 2] = v + delta;
  s.inside = -1;
}
const items = (t: VThread, c: Ctx) => t.i32[c.items >> 2];

/** CondVar.waitAsync (src/sync/condvar.ts): returns whether it timed out. */
function* waitAsync(t: VThread, c: Ctx, timeoutMs: number) {
  const seen = t.i32[(c.cv + L.CV_SEQ) >> 2]; // under the mutex, before begin unlocks it
  t.check((yield* t.call("cv_wait_begin", c.cv, c.m, t.agent)) === L.OK, "cv_wait_begin failed");
  const woke = yield* t.wait(c.cv + L.CV_SEQ, seen, timeoutMs);
  yield* t.call("cv_wait_end", c.cv);
  yield* lockAsync(t, c);
  held(t, c, "waitAsync");
  return woke === L.WAIT_TIMED_OUT;
}

function condvarTest(build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? "condvar" : `condvar (${build})`,
    build,
    threads: 3,
    regionBytes: L.HEAP_START + 1024,
    setup({ core }) {
      const m = core.region_alloc(L.MUTEX_SIZE, L.KIND_MUTEX, 1);
      core.mutex_init(m);
      const cv = core.region_alloc(L.CV_SIZE, L.KIND_CONDVAR, 1);
      core.cv_init(cv);
      return { m, cv, items: core.region_alloc(4, L.KIND_RAW, 1) };
    },
    fresh: () => ({ inside: -1, produced: 0, consumed: 0 }),
    *body(t, c, s) {
      if (t.id === 0) {
        for (let k = 0; k < 2; k++) {
          yield* lock(t, c);
          yield* update(t, c, s, +1);
          s.produced++;
          if (k === 0) yield* t.call("cv_broadcast", c.cv);
          yield* unlock(t, c);
          if (k === 1) yield* t.call("cv_signal", c.cv);
        }
      } else if (t.id === 1) {
        yield* lock(t, c);
        while (items(t, c) === 0) {
          const r = yield* t.call("cv_wait", c.cv, c.m, t.agent, -1);
          t.check(r === L.OK, `cv_wait without timeout returned ${r}`);
          held(t, c, "cv_wait");
        }
        yield* update(t, c, s, -1);
        s.consumed++;
        yield* unlock(t, c);
      } else {
        yield* lockAsync(t, c);
        let timedOut = false;
        while (items(t, c) === 0 && !timedOut) timedOut = yield* waitAsync(t, c, 5);
        if (items(t, c) > 0) {
          yield* update(t, c, s, -1);
          s.consumed++;
        }
        timedOut = false;
        while (items(t, c) === 0 && !timedOut) timedOut = yield* waitAsync(t, c, 5);
        // it may have taken the signal meant for thread 1's item: hand it on
        if (items(t, c) > 0) yield* t.call("cv_signal", c.cv);
        yield* unlock(t, c);
      }
    },
    check({ i32, ctx, state, fail }) {
      const n = i32[ctx.items >> 2];
      if (n !== state.produced - state.consumed) fail(`items ${n} after ${state.produced} produced, ${state.consumed} consumed`, "conservation");
      const waiters = i32[(ctx.cv + L.CV_WAITERS) >> 2];
      if (waiters !== 0) fail(`CV_WAITERS ${waiters} at the end`, "conservation");
      if (i32[(ctx.m + L.MUTEX_STATE) >> 2] !== L.MUTEX_UNLOCKED || i32[(ctx.m + L.MUTEX_OWNER) >> 2] !== 0) fail("the mutex is not free at the end");
    },
  };
}

describe("model: condvar", () => {
  modelSuite(condvarTest("model"), { executions: modelExecutions(30_000), file: import.meta.url });
  seededBug(condvarTest("model-bug-cv-signal-no-seq"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
