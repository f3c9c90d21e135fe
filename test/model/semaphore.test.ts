// semaphore.test.ts — schedule exploration of the counting semaphore (assembly/semaphore.ts)
// on the model build of the real core: three threads, no permit at the start, at most 2.
//
//   thread 0: acquire(1) ; release(1) ; acquire(2, 5 ms) [; release(2)]
//   thread 1: acquire(1) ; release(1) ; try_acquire(1) ? release(1) : acquire(1, 5 ms) [; release(1)]
//   thread 2: release(1) ; release(1) ; acquire(1)                     (keeps its permit)
//
// acquire runs the shipped step machine of src/sync/semaphore.ts (acquireSteps: the step loop
// over sem_acquire_step / sem_acquire_cancel, parked on SEM_COUNT while it is below n), the
// one that Semaphore.acquire and acquireAsync run, driven by the model's driver (t.run).
// acquire(2, 5 ms) registers as a bulk waiter and times out in the schedules where thread 2
// holds a permit. The machine parks without spinning, so the seeded lost wake-up is reached
// without a long schedule.
// Checked:
//   - never more permits taken than exist: at every successful acquire, the permits acquired
//     so far <= initial + the permits of every release begun so far; SEM_COUNT in [0, max];
//   - no lost wake-up: a thread blocked forever while permits exist is a deadlock;
//   - linearizability of acquire / try_acquire / release against semaphoreSpec (with n);
//   - conservation at the end: SEM_COUNT == initial + released - acquired, no registered
//     waiter left (SEM_WAITERS == SEM_BULK_WAITERS == 0).
// Seeded bug: model-bug-sem-notify-on-zero (release notifies only on the 0 -> n transition):
// two parked acquirers, two releases before the first woken one takes its permit: the
// second acquirer sleeps forever.
// Seeded bug (test-side): the shipped step loop without the semaphore's park rule (mayPark:
// park only on a count < n), a real bug this test found (see the last tests).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { acquireLoop } from "../../src/sync/semaphore";
import { stepLoop } from "../../src/wait/step-loop";
import { modelExecutions, modelSuite, seededBug, semaphoreSpec, type ModelTest, type VThread } from "./harness";

const MAX = 2;

interface Ctx { sem: number; initial: number; staleParkBug: boolean }
interface State { acquired: number; releasing: number; released: number }

function* took(t: VThread, c: Ctx, s: State, n: number) {
  s.acquired += n;
  t.check(s.acquired <= c.initial + s.releasing, `acquired ${s.acquired} permits, only ${c.initial + s.releasing} ever existed`, "over-acquire");
  const count = t.i32[(c.sem + L.SEM_COUNT) >> 2];
  t.check(count >= 0 && count <= MAX, `SEM_COUNT ${count} outside [0, ${MAX}]`, "over-acquire");
  yield* t.pause("holding");
}

function* acquire(t: VThread, c: Ctx, s: State, n: number, timeoutMs: number) {
  const loop = acquireLoop(c.sem, n);
  const machine = stepLoop(c.staleParkBug ? { ...loop, mayPark: undefined } : loop);
  const r = yield* t.op("acquire", [timeoutMs, n], t.run(machine, timeoutMs));
  if (r === L.OK) yield* took(t, c, s, n);
  else t.check(r === L.TIMED_OUT && timeoutMs >= 0, `acquire(${n}, ${timeoutMs}) returned ${r}`);
  return r;
}

function* tryAcquire(t: VThread, c: Ctx, s: State, n: number) {
  const r = yield* t.op("try_acquire", [n], t.call("sem_try_acquire", c.sem, n));
  if (r === L.OK) yield* took(t, c, s, n);
  else t.check(r === L.WOULD_BLOCK, `try_acquire(${n}) returned ${r}`);
  return r;
}

function* release(t: VThread, c: Ctx, s: State, n: number) {
  s.releasing += n; // before the call: its permits may be taken before it returns
  const r = yield* t.op("release", [n], t.call("sem_release", c.sem, n));
  t.check(r === L.OK, `release(${n}) returned ${r}`);
  s.released += n;
}

/**
 * `staleParkBug`: acquire parks on any count read before the step (the shipped loop without
 * its park rule). `small`: the smaller test below instead of the one above.
 */
function semaphoreTest(build: string, { staleParkBug = false, small = false } = {}): ModelTest<Ctx, State> {
  const initial = 0;
  const base = small ? "semaphore small" : "semaphore";
  return {
    name: staleParkBug ? `${base} (park on a stale count >= n)` : build === "model" ? base : `${base} (${build})`,
    build,
    threads: 3,
    regionBytes: L.HEAP_START + 1024,
    setup({ core }) {
      const sem = core.region_alloc(L.SEM_SIZE, L.KIND_SEMAPHORE, 1);
      if (core.sem_init(sem, initial, MAX) !== L.OK) throw new Error("sem_init failed");
      return { sem, initial, staleParkBug };
    },
    fresh: () => ({ acquired: 0, releasing: 0, released: 0 }),
    *body(t, c, s) {
      if (small) {
        // thread 0: acquire(1) ; release(1)   thread 1: release(1)   thread 2: try_acquire(1) [; release(1)]
        if (t.id === 0) {
          yield* acquire(t, c, s, 1, -1);
          yield* release(t, c, s, 1);
        } else if (t.id === 1) {
          yield* release(t, c, s, 1);
        } else {
          if ((yield* tryAcquire(t, c, s, 1)) === L.OK) yield* release(t, c, s, 1);
        }
        return;
      }
      if (t.id === 0) {
        yield* acquire(t, c, s, 1, -1);
        yield* release(t, c, s, 1);
        if ((yield* acquire(t, c, s, 2, 5)) === L.OK) yield* release(t, c, s, 2);
      } else if (t.id === 1) {
        yield* acquire(t, c, s, 1, -1);
        yield* release(t, c, s, 1);
        if ((yield* tryAcquire(t, c, s, 1)) === L.OK) yield* release(t, c, s, 1);
        else if ((yield* acquire(t, c, s, 1, 5)) === L.OK) yield* release(t, c, s, 1);
      } else {
        yield* release(t, c, s, 1);
        yield* release(t, c, s, 1);
        yield* acquire(t, c, s, 1, -1);
      }
    },
    check({ i32, ctx, state, fail }) {
      const count = i32[(ctx.sem + L.SEM_COUNT) >> 2];
      const expected = ctx.initial + state.released - state.acquired;
      if (count !== expected) fail(`SEM_COUNT ${count}, expected ${ctx.initial} + ${state.released} released - ${state.acquired} acquired = ${expected}`, "conservation");
      const waiters = i32[(ctx.sem + L.SEM_WAITERS) >> 2];
      const bulk = i32[(ctx.sem + L.SEM_BULK_WAITERS) >> 2];
      if (waiters !== 0 || bulk !== 0) fail(`waiters left registered: SEM_WAITERS ${waiters}, SEM_BULK_WAITERS ${bulk}`, "conservation");
    },
    spec: semaphoreSpec(initial, MAX),
  };
}

describe("model: semaphore", () => {
  modelSuite(semaphoreTest("model"), { executions: modelExecutions(30_000), file: import.meta.url });
  seededBug(semaphoreTest("model-bug-sem-notify-on-zero"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
  // Regression of a real bug this test found: the step loop parked on the count read before
  // the step even when it was >= n. Read 1; others take it 1 -> 2 -> 1 -> 0; the step
  // registers and sees 0; a release 0 -> 1 notifies before the park; the park on 1 sleeps
  // with a permit available.
  seededBug(semaphoreTest("model", { staleParkBug: true }), {
    executions: modelExecutions(30_000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
  // A smaller test of the same: thread 0's acquire reads 1 (thread 1's release), thread 2's
  // try_acquire takes it, the step registers and sees 0, thread 2's release 0 -> 1 notifies
  // before the park. It takes 4 preemptions (between the read and the step, after the take,
  // before the park, and one to start): beyond dfs:2 and PCT's 2 change points, so this test
  // runs depth-first with 4.
  const deep = ["dfs:4", "pct:3"];
  modelSuite(semaphoreTest("model", { small: true }), { executions: modelExecutions(20_000), strategies: deep, file: import.meta.url });
  seededBug(semaphoreTest("model", { small: true, staleParkBug: true }), {
    executions: modelExecutions(6000),
    strategies: deep,
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
