// condvar.test.ts — schedule exploration of the condition variable (assembly/condvar.ts) with
// the core mutex, on the model build of the real core: one producer, two consumers, a
// counter of items in shared memory guarded by the mutex (plain reads and writes).
//
//   thread 0 (producer): 2 x { lock ; items++ ; [broadcast] ; unlock ; [signal] }
//                        (the first item is broadcast under the mutex, the second signalled after unlocking)
//   thread 1 (consumer): lock ; while items == 0: wait(-1) ; items-- ; unlock
//   thread 2 (consumer): lock ; while items == 0 and not timed out: wait(5 ms) ;
//                        [items--] ; while items == 0 and not timed out: wait(5 ms) ;
//                        [signal, if an item is left: it may have taken thread 1's signal] ; unlock
//
// Thread 2's second wait (for an item it does not take) can only end by timing out when
// thread 1 took the other item: the timed path runs in those schedules.
//
// lock runs the mutex's shipped step machine (lockSteps of src/sync/mutex.ts); wait runs the
// shipped machines of CondVar.wait and waitAsync (src/sync/condvar.ts): parkSteps (read
// CV_SEQ under the mutex, cv_wait_begin, which unlocks, park on CV_SEQ, cv_wait_end) under
// the wait's timeout, then lockSteps with none, all driven by the model's driver (t.run).
// Checked:
//   - mutual exclusion around the items counter (a pause between its read and its write);
//   - the mutex is held by the caller when a wait returns, timed out or not;
//   - no lost wake-up: consumer 1 waits without a timeout for one of the two items, so a
//     lost signal leaves it blocked forever (deadlock);
//   - conservation at the end: items == produced - consumed; CV_WAITERS == 0; mutex free.
// Seeded bug: model-bug-cv-signal-no-seq (signal notifies without bumping CV_SEQ): a waiter
// that has read CV_SEQ and unlocked, but not parked yet, misses the signal.
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { parkSteps } from "../../src/sync/condvar";
import { lockSteps } from "../../src/sync/mutex";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

interface Ctx { m: number; cv: number; items: number }
interface State { inside: number; produced: number; consumed: number }

function* lock(t: VThread, c: Ctx) {
  t.check((yield* t.run(lockSteps(c.m, t.agent))) === L.OK, "lock failed");
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

/** CondVar.wait / waitAsync (src/sync/condvar.ts): returns whether it timed out. */
function* wait(t: VThread, c: Ctx, timeoutMs: number) {
  const r = yield* t.run(parkSteps(c.cv, c.m, t.agent), timeoutMs);
  t.check(r === L.OK || (r === L.TIMED_OUT && timeoutMs >= 0), `wait(${timeoutMs}) returned ${r}`);
  yield* lock(t, c);
  held(t, c, "wait");
  return r === L.TIMED_OUT;
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
        while (items(t, c) === 0) yield* wait(t, c, -1);
        yield* update(t, c, s, -1);
        s.consumed++;
        yield* unlock(t, c);
      } else {
        yield* lock(t, c);
        let timedOut = false;
        while (items(t, c) === 0 && !timedOut) timedOut = yield* wait(t, c, 5);
        if (items(t, c) > 0) {
          yield* update(t, c, s, -1);
          s.consumed++;
        }
        timedOut = false;
        while (items(t, c) === 0 && !timedOut) timedOut = yield* wait(t, c, 5);
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
