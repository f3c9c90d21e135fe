// mutex.test.ts — schedule exploration of the futex mutex (assembly/mutex.ts) on the model
// build of the real core: three threads, two mutexes, blocking, timed and try locks.
//
//   thread 0: lock(M)      ; critical section ; lock(N, 5 ms) [; unlock(N)] ; unlock(M)
//   thread 1: lock(N)      ; lock(M, 5 ms) [; critical section ; unlock(M)] ; unlock(N)
//   thread 2: try_lock(M) [; critical section ; unlock(M)] ; lock(M) ; critical section ; unlock(M)
//
// Locks run the shipped step machine of src/sync/mutex.ts (lockSteps: mutex_lock_step until
// OK, parking on MUTEX_STATE while it is MUTEX_CONTENDED), the one that Mutex.lock and
// Mutex.lockAsync run, driven here by the model's driver (t.run).
//
// Threads 0 and 1 take M and N in opposite orders with timeouts, so some schedules block
// both and the modelled timeouts fire (the timed path of mutex_lock runs). Checked:
//   - mutual exclusion: the critical section increments a shared counter non-atomically
//     with a pause in between, and asserts nobody else is inside;
//   - no lost wake-up / no deadlock: the scheduler reports threads blocked forever;
//   - linearizability of every lock / try_lock / unlock against mutexSpec;
//   - at the end: counter == critical sections entered; both mutexes free, no owner.
// Seeded bugs that must be found: model-bug-mutex-no-wake (unlock forgets notify) and
// model-bug-mutex-relock-cas (a woken waiter re-acquires with cas(0, 1) instead of xchg(2)).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { lockSteps } from "../../src/sync/mutex";
import { modelExecutions, modelSuite, mutexSpec, seededBug, type ModelTest, type VThread } from "./harness";

interface Ctx { mutex: number[]; counter: number }
interface State { inside: number; entered: number }
const M = 0;
const N = 1;

const lock = (t: VThread, c: Ctx, i: number, timeoutMs: number) =>
  t.op("lock", [i, timeoutMs], t.run(lockSteps(c.mutex[i], t.agent), timeoutMs));
const tryLock = (t: VThread, c: Ctx, i: number) => t.op("try_lock", [i], t.call("mutex_try_lock", c.mutex[i], t.agent));
const tryLockThenLock = (t: VThread, c: Ctx, i: number) => t.op("lock", [i, -1], t.run(lockSteps(c.mutex[i], t.agent)));
const unlock = (t: VThread, c: Ctx, i: number) => t.op("unlock", [i], t.call("mutex_unlock", c.mutex[i], t.agent));

function* critical(t: VThread, c: Ctx, s: State) {
  t.check(s.inside < 0, `entered the critical section while thread ${s.inside} is inside`, "mutual exclusion");
  s.inside = t.id;
  const v = t.i32[c.counter >> 2]; // a plain read-modify-write: only the lock protects it
  yield* t.pause("cs read");
  t.i32[c.counter >> 2] = v + 1;
  yield* t.pause("cs write");
  s.inside = -1;
  s.entered++;
}

function mutexTest(build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? "mutex" : `mutex (${build})`,
    build,
    threads: 3,
    regionBytes: L.HEAP_START + 1024, // a small heap: less memory to restore per execution
    setup({ core }) {
      const mutex = [0, 1].map(() => {
        const m = core.region_alloc(L.MUTEX_SIZE, L.KIND_MUTEX, 1);
        core.mutex_init(m);
        return m;
      });
      return { mutex, counter: core.region_alloc(4, L.KIND_RAW, 1) };
    },
    fresh: () => ({ inside: -1, entered: 0 }),
    *body(t, c, s) {
      if (t.id === 0) {
        t.check((yield* lock(t, c, M, -1)) === L.OK, "lock(M) without timeout failed");
        yield* critical(t, c, s);
        if ((yield* lock(t, c, N, 5)) === L.OK) yield* unlock(t, c, N);
        t.check((yield* unlock(t, c, M)) === L.OK, "unlock(M) failed");
      } else if (t.id === 1) {
        t.check((yield* lock(t, c, N, -1)) === L.OK, "lock(N) without timeout failed");
        if ((yield* lock(t, c, M, 5)) === L.OK) {
          yield* critical(t, c, s);
          yield* unlock(t, c, M);
        }
        t.check((yield* unlock(t, c, N)) === L.OK, "unlock(N) failed");
      } else {
        if ((yield* tryLock(t, c, M)) === L.OK) {
          yield* critical(t, c, s);
          yield* unlock(t, c, M);
        }
        t.check((yield* tryLockThenLock(t, c, M)) === L.OK, "lock(M) failed");
        yield* critical(t, c, s);
        yield* unlock(t, c, M);
      }
    },
    check({ i32, ctx, state, fail }) {
      if (i32[ctx.counter >> 2] !== state.entered) fail(`lost update: counter ${i32[ctx.counter >> 2]} after ${state.entered} critical sections`, "mutual exclusion");
      for (const m of ctx.mutex) {
        if (i32[(m + L.MUTEX_STATE) >> 2] !== L.MUTEX_UNLOCKED || i32[(m + L.MUTEX_OWNER) >> 2] !== 0) {
          fail(`mutex at ${m} not free at the end: state ${i32[(m + L.MUTEX_STATE) >> 2]}, owner ${i32[(m + L.MUTEX_OWNER) >> 2]}`);
        }
      }
    },
    spec: mutexSpec(2),
  };
}

describe("model: mutex", () => {
  modelSuite(mutexTest("model"), { executions: modelExecutions(50_000), file: import.meta.url });
  seededBug(mutexTest("model-bug-mutex-no-wake"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
  seededBug(mutexTest("model-bug-mutex-relock-cas"), {
    executions: modelExecutions(6000),
    // the waiter whose wake-up was lost sleeps forever (deadlock), or, when the lock is
    // held uncontended, spins on wait(2) returning not-equal (livelock)
    expect: ["deadlock", "livelock"],
    file: import.meta.url,
  });
});
