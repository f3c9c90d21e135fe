// barrier.test.ts — schedule exploration of the reusable barrier (assembly/barrier.ts) on
// the model build of the real core: 3 parties, 2 full rounds, then a round only two of them
// join with a timeout.
//
//   thread 0: wait(-1) ; wait(-1)
//   thread 1: wait(-1) ; wait(-1) ; wait(5 ms)
//   thread 2: wait(-1) ; wait(-1) ; wait(5 ms)
//
// Every wait runs the shipped step machine of src/sync/barrier.ts (waitSteps: barrier_arrive,
// then the step loop over barrier_wait_step / barrier_wait_cancel parked on BARRIER_STATE),
// the one Barrier.wait and waitAsync run, driven by the model's driver (t.run). Round 3 can
// never complete (thread 0 does not join): both timed waiters must time out and withdraw
// their arrivals.
// Checked:
//   - generations never mix: a party returns from round r only after all 3 parties began
//     round r, and then the barrier's generation is past r; a wait of round r reports the
//     generation it passed (read right after it returns, it is r + 1, never r + 2: nobody
//     can complete round r + 1 without it);
//   - exactly one leader (BARRIER_LEADER) per completed round;
//   - the timed round: both waits return TIMED_OUT, and at the end BARRIER_STATE is
//     generation 2 with 0 arrivals, BARRIER_WAITERS == 0 (the withdrawals left it clean);
//   - no lost wake-up: an untimed party blocked forever is a deadlock.
// Seeded bug: model-bug-barrier-wake-before-bump (the last arrival notifies before its cas
// that bumps the generation): a woken waiter that parks again on the old state sleeps forever.
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { waitSteps } from "../../src/sync/barrier";
import { modelExecutions, modelSuite, seededBug, type ModelTest, type VThread } from "./harness";

const PARTIES = 3;
const ROUNDS = 2;

interface Ctx { b: number }
interface State { began: number[]; leaders: number[] }

const generation = (t: VThread, c: Ctx) => t.i32[(c.b + L.BARRIER_STATE) >> 2] >>> L.BARRIER_GENERATION_SHIFT;

function* round(t: VThread, c: Ctx, s: State, r: number, timeoutMs = -1) {
  s.began[r]++;
  const status = yield* t.op("wait", [r, timeoutMs], t.run(waitSteps(c.b), timeoutMs));
  if (r >= ROUNDS) {
    t.check(status === L.TIMED_OUT, `round ${r} (cannot complete) returned ${status}`, "withdraw");
    return;
  }
  t.check(status === L.OK || status === L.BARRIER_LEADER, `round ${r} returned ${status}`);
  t.check(s.began[r] === PARTIES, `passed round ${r} when only ${s.began[r]} parties had arrived`, "generation");
  const g = generation(t, c);
  t.check(g === r + 1, `passed round ${r}; the barrier is at generation ${g}, expected ${r + 1}`, "generation");
  if (status === L.BARRIER_LEADER) s.leaders[r]++;
}

function barrierTest(build: string): ModelTest<Ctx, State> {
  return {
    name: build === "model" ? "barrier" : `barrier (${build})`,
    build,
    threads: 3,
    regionBytes: L.HEAP_START + 1024,
    setup({ core }) {
      const b = core.region_alloc(L.BARRIER_SIZE, L.KIND_BARRIER, 1);
      if (core.barrier_init(b, PARTIES) !== L.OK) throw new Error("barrier_init failed");
      return { b };
    },
    fresh: () => ({ began: [0, 0, 0], leaders: [0, 0] }),
    *body(t, c, s) {
      for (let r = 0; r < ROUNDS; r++) yield* round(t, c, s, r);
      if (t.id !== 0) yield* round(t, c, s, ROUNDS, 5);
    },
    check({ i32, ctx, state, fail }) {
      for (let r = 0; r < ROUNDS; r++) {
        if (state.leaders[r] !== 1) fail(`round ${r} had ${state.leaders[r]} leaders`, "leader");
      }
      const word = i32[(ctx.b + L.BARRIER_STATE) >> 2];
      const waiters = i32[(ctx.b + L.BARRIER_WAITERS) >> 2];
      if (word !== ROUNDS << L.BARRIER_GENERATION_SHIFT || waiters !== 0) {
        fail(`at the end: generation ${word >>> L.BARRIER_GENERATION_SHIFT}, arrived ${word & L.BARRIER_ARRIVED_MASK}, waiters ${waiters} (expected ${ROUNDS}, 0, 0)`, "withdraw");
      }
    },
  };
}

describe("model: barrier", () => {
  modelSuite(barrierTest("model"), { executions: modelExecutions(30_000), file: import.meta.url });
  seededBug(barrierTest("model-bug-barrier-wake-before-bump"), {
    executions: modelExecutions(6000),
    expect: ["deadlock"],
    file: import.meta.url,
  });
});
