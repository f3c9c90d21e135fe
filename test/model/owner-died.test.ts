// owner-died.test.ts — schedule exploration of robust-lock recovery (assembly/party.ts,
// assembly/mutex.ts mutex_recover, assembly/death.ts party_report) on the model build of the
// real core, with the shipped lock machine (src/sync/mutex.ts lockSteps):
//
//   thread 0 (the victim): lock(M) ; half a critical section ; dies — its death is then
//                          reported (party_report on its slot, as a host's exit watcher does)
//   thread 1:              lock(M) untimed ; critical section ; mark consistent ; unlock(M)
//   thread 2:              lock(M, 5 ms) [; critical section ; mark consistent ; unlock(M)]
//
// Each thread is a party of its own (party_join in setup). Checked:
//   - a live holder is never taken over: OWNER_DEAD only after the victim's death was reported,
//     and only for the one locker that took the lock from it (or found it still marked);
//   - mutual exclusion among the living (a plain counter update under the lock);
//   - no deadlock: thread 1 always gets the lock (woken by the death walk or by a slice);
//   - at the end: the mutex is free and consistent, or still held by the dead victim when no
//     one came for it after the report (thread 2 timed out, thread 1 finished before).
import { describe } from "vitest";
import * as L from "../../assembly/layout";
import { lockSteps } from "../../src/sync/mutex";
import { modelExecutions, modelSuite, type ModelTest, type VThread } from "./harness";

interface Ctx { m: number; counter: number; agents: number[] }
interface State { inside: number; dead: boolean; tookOver: number; victimHeld: boolean }

const lock = (t: VThread, c: Ctx, timeoutMs: number) => t.run(lockSteps(c.m, c.agents[t.id]), timeoutMs);

function* critical(t: VThread, c: Ctx, s: State, leave = true) {
  t.check(s.inside < 0, `entered the critical section while thread ${s.inside} is inside`, "mutual exclusion");
  s.inside = t.id;
  const v = t.i32[c.counter >> 2];
  yield* t.pause("cs read");
  t.i32[c.counter >> 2] = v + 1;
  if (leave) s.inside = -1;
}

function* locker(t: VThread, c: Ctx, s: State, timeoutMs: number) {
  const r = yield* lock(t, c, timeoutMs);
  if (r === L.TIMED_OUT && timeoutMs >= 0) return;
  t.check(r === L.OK || r === L.OWNER_DEAD, `lock returned ${r}`);
  if (r === L.OWNER_DEAD) {
    t.check(s.dead, "took the lock over from a holder whose death was not reported", "robustness");
    s.tookOver++;
    s.victimHeld = false;
    t.check((yield* t.call("mutex_consistent", c.m, c.agents[t.id])) === L.OK, "mutex_consistent failed");
  }
  yield* critical(t, c, s);
  t.check((yield* t.call("mutex_unlock", c.m, c.agents[t.id])) === L.OK, "unlock failed");
}

const test: ModelTest<Ctx, State> = {
  name: "owner died",
  threads: 3,
  regionBytes: L.HEAP_START + 1024,
  setup({ core }) {
    const m = core.region_alloc(L.MUTEX_SIZE, L.KIND_MUTEX, 1);
    core.mutex_init(m);
    const agents = [0, 1, 2].map((i) => core.party_join(100 + i, 0, 0));
    return { m, counter: core.region_alloc(4, L.KIND_RAW, 1), agents };
  },
  fresh: () => ({ inside: -1, dead: false, tookOver: 0, victimHeld: false }),
  *body(t, c, s) {
    if (t.id === 0) {
      t.check((yield* lock(t, c, -1)) === L.OK, "the victim's lock failed");
      s.victimHeld = true;
      yield* critical(t, c, s, false);
      // dies here; a watcher reports it (the victim's section ends with it)
      s.inside = -1;
      s.dead = true;
      const slot = c.agents[0] & L.PARTY_SLOT_MASK;
      t.check((yield* t.call("party_report", slot, 1, 1)) === 1, "the first report of a death must record it");
    } else {
      yield* locker(t, c, s, t.id === 1 ? -1 : 5);
    }
  },
  check({ i32, ctx, state, fail }) {
    if (state.tookOver > 1) fail(`${state.tookOver} lockers took the lock over from one death`, "robustness");
    const st = i32[(ctx.m + L.MUTEX_STATE) >> 2];
    const owner = i32[(ctx.m + L.MUTEX_OWNER) >> 2];
    if (state.victimHeld) {
      if (st === L.MUTEX_UNLOCKED || owner !== ctx.agents[0]) fail(`the dead victim's lock changed hands unseen: state ${st}, owner ${owner}`);
    } else if (st !== L.MUTEX_UNLOCKED || owner !== 0) {
      fail(`mutex not free and consistent at the end: state ${st}, owner ${owner}`);
    }
  },
};

describe("model: owner died", () => {
  modelSuite(test, { executions: modelExecutions(20_000), file: import.meta.url });
});
