// harness.test.ts — the model-checking harness checks itself: the linearizability checker
// and the specifications on hand-written histories, the strategies (DFS enumerates exactly
// the interleavings, PCT and random are deterministic per seed), the futex model (timeouts,
// deadlock), and trace encoding.
import { describe, expect, it } from "vitest";
import * as L from "../../assembly/layout";
import {
  Model, allocatorSpec, boundedQueueSpec, checkLinearizable, explore, mutexSpec, replay, semaphoreSpec,
  type HistoryOp, type ModelTest,
} from "./harness";
import { BoundedDfs, Pct, RandomWalk, decodeTrace, encodeTrace } from "./harness/strategies";

/** [thread, name, args, result, call, ret] rows as a history */
const h = (...rows: [number, string, unknown[], unknown, number, number][]): HistoryOp[] =>
  rows.map(([thread, name, args, result, call, ret]) => ({ thread, name, args, result, call, ret }));

describe("linearizability checker", () => {
  const q = boundedQueueSpec(2);
  it("accepts a pop that overlaps the push it returns", () => {
    expect(checkLinearizable(h(
      [0, "push", [7], L.OK, 0, 3],
      [1, "pop", [], { status: L.OK, value: 7 }, 1, 2],
    ), q).ok).toBe(true);
  });
  it("rejects FIFO order broken by operations in real-time order", () => {
    const r = checkLinearizable(h(
      [0, "push", [1], L.OK, 0, 1],
      [0, "push", [2], L.OK, 2, 3],
      [1, "pop", [], { status: L.OK, value: 2 }, 4, 5],
    ), q);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.explanation).toMatch(/not linearizable against the bounded queue/);
  });
  it("rejects 'empty' while a completed push says otherwise, accepts it when they overlap", () => {
    expect(checkLinearizable(h([0, "push", [1], L.OK, 0, 1], [1, "pop", [], { status: L.WOULD_BLOCK }, 2, 3]), q).ok).toBe(false);
    expect(checkLinearizable(h([0, "push", [1], L.OK, 0, 3], [1, "pop", [], { status: L.WOULD_BLOCK }, 1, 2]), q).ok).toBe(true);
  });
  it("rejects 'full' below capacity and a value popped twice", () => {
    expect(checkLinearizable(h([0, "push", [1], L.OK, 0, 1], [0, "push", [2], L.WOULD_BLOCK, 2, 3]), q).ok).toBe(false);
    expect(checkLinearizable(h(
      [0, "push", [1], L.OK, 0, 1],
      [1, "pop", [], { status: L.OK, value: 1 }, 2, 5],
      [2, "pop", [], { status: L.OK, value: 1 }, 3, 4],
    ), q).ok).toBe(false);
  });
  it("checks mutexes: two holders at once are rejected, a hand-over is accepted", () => {
    const m = mutexSpec(1);
    expect(checkLinearizable(h([0, "lock", [0, -1], L.OK, 0, 1], [1, "lock", [0, -1], L.OK, 2, 3]), m).ok).toBe(false);
    expect(checkLinearizable(h(
      [0, "lock", [0, -1], L.OK, 0, 1],
      [1, "lock", [0, -1], L.OK, 2, 5],
      [0, "unlock", [0], L.OK, 3, 4],
    ), m).ok).toBe(true);
    // a timed-out lock while the mutex was free the whole time is a bug
    expect(checkLinearizable(h([0, "lock", [0, 5], L.TIMED_OUT, 0, 1]), m).ok).toBe(false);
  });
  it("checks semaphores: no permit out of nothing, overflow only past the maximum", () => {
    const s = semaphoreSpec(1, 2);
    expect(checkLinearizable(h([0, "acquire", [-1], L.OK, 0, 1], [1, "try_acquire", [], L.OK, 2, 3]), s).ok).toBe(false);
    expect(checkLinearizable(h([0, "release", [1], L.OK, 0, 1], [1, "release", [1], L.OVERFLOW, 2, 3]), s).ok).toBe(true);
    expect(checkLinearizable(h([0, "release", [1], L.OVERFLOW, 0, 1]), s).ok).toBe(false);
  });
  it("checks the allocator: overlapping blocks and a failure with room left are rejected", () => {
    const a = allocatorSpec(L.HEAP_START, L.HEAP_START + 256);
    const p = L.HEAP_START + L.BLOCK_HEADER;
    expect(checkLinearizable(h(
      [0, "alloc", [40], { payload: p, usable: 52 }, 0, 1],
      [1, "alloc", [40], { payload: p, usable: 52 }, 2, 3],
    ), a).ok).toBe(false);
    expect(checkLinearizable(h([0, "alloc", [40], { payload: 0, usable: 0 }, 0, 1]), a).ok).toBe(false);
    expect(checkLinearizable(h(
      [0, "alloc", [40], { payload: p, usable: 52 }, 0, 1],
      [0, "free_bytes", [], 192, 2, 3],
      [0, "free", [p], L.OK, 4, 5],
      [0, "free", [p], L.CORRUPT, 6, 7],
    ), a).ok).toBe(true);
  });
});

/** n threads that each pause `pauses` times in JS and touch nothing. */
function pausing(threads: number, pauses: number): ModelTest<null, null> {
  return {
    name: `pausing ${threads}x${pauses}`,
    threads,
    setup: () => null,
    *body(t) {
      for (let i = 0; i < pauses; i++) yield* t.pause();
    },
  };
}

describe("strategies", () => {
  it("bounded DFS enumerates every interleaving exactly once, and no more than the bound allows", () => {
    // 2 threads x 3 steps: C(6, 3) = 20 interleavings
    const all = explore(pausing(2, 2), { executions: 1000, strategies: ["dfs:99"] });
    expect(all.executions).toBe(20);
    expect(all.exhausted).toEqual(["dfs:99"]);
    const none = explore(pausing(2, 2), { executions: 1000, strategies: ["dfs:0"] });
    expect(none.executions).toBe(2);
    const model = new Model(pausing(3, 1));
    const dfs = new BoundedDfs(99);
    const traces = new Set<string>();
    while (!dfs.exhausted) traces.add(model.execute(dfs, 0).trace.join(""));
    expect(traces.size).toBe(90); // 6! / (2! 2! 2!)
  });

  it("PCT and random walk are deterministic per seed", () => {
    const model = new Model(pausing(3, 4));
    for (const make of [() => new Pct(3), () => new RandomWalk()]) {
      const a = model.execute(make(), 42).trace;
      expect(model.execute(make(), 42).trace).toEqual(a);
      const others = [1, 2, 3, 4, 5].map((s) => model.execute(make(), s).trace.join(""));
      expect(new Set(others).size).toBeGreaterThan(1);
    }
  });

  it("encodes traces run-length and back", () => {
    const t = [0, 0, 0, 1, 2, 2, 0];
    expect(encodeTrace(t)).toBe("0*3 1 2*2 0");
    expect(decodeTrace(encodeTrace(t))).toEqual(t);
  });
});

describe("futex model", () => {
  /** one thread locks a mutex that setup left held by a foreign agent */
  const heldMutex = (timeoutMs: number): ModelTest<{ m: number }, null> => ({
    name: `held mutex ${timeoutMs}`,
    threads: 1,
    setup({ core }) {
      const m = core.region_alloc(L.MUTEX_SIZE, L.KIND_MUTEX, 1);
      core.mutex_init(m);
      core.mutex_try_lock(m, 999);
      core.mutex_lock_step(m, 999, 1); // mark it contended, as a parked waiter would
      return { m };
    },
    *body(t, { m }) {
      const r = yield* t.op("lock", [0, timeoutMs], t.call("mutex_lock", m, t.agent, timeoutMs));
      t.check(r === L.TIMED_OUT, `expected TIMED_OUT, got ${r}`);
    },
  });

  it("fires a timeout when nothing else can run, in virtual time", () => {
    const model = new Model(heldMutex(7));
    const r = model.execute(new RandomWalk(), 1, true);
    expect(r.violation).toBeUndefined();
    expect(model.now).toBeGreaterThanOrEqual(7);
    expect(r.log!.some((e) => e.op === "timeout")).toBe(true);
  });

  it("reports a deadlock when a thread waits forever, and the trace replays it", () => {
    const test = heldMutex(-1);
    const r = explore(test, { executions: 10 });
    expect(r.failure?.violation.kind).toBe("deadlock");
    expect(r.failure?.replayed).toBe(true);
    expect(replay(test, r.failure!.trace).violation).toEqual(r.failure!.violation);
  });

  it("runs the linearizability check on real executions (a wrong spec is caught)", () => {
    const wrong = { ...mutexSpec(1), name: "mutex that never times out" };
    wrong.apply = (st, op) => (op.result === L.TIMED_OUT ? undefined : mutexSpec(1).apply(st, op));
    const r = explore({ ...heldMutex(3), spec: wrong }, { executions: 5 });
    expect(r.failure?.violation.kind).toBe("linearizability");
    expect(r.failure?.violation.message).toMatch(/t0 lock\(0, 3\) -> 1/);
  });

  it("models JS-side waits and notifies (t.wait / t.notify) like the core's", () => {
    const test: ModelTest<{ w: number }, null> = {
      name: "js futex",
      threads: 2,
      setup: ({ core }) => ({ w: core.region_alloc(4, L.KIND_RAW, 1) }),
      *body(t, { w }) {
        if (t.id === 0) {
          const r = yield* t.wait(w, 0);
          t.check(t.i32[w >> 2] === 1 || r === L.WAIT_NOT_EQUAL, `woken (${r}) before the store`);
        } else {
          yield* t.pause();
          t.i32[w >> 2] = 1;
          t.notify(w, 1);
        }
      },
    };
    const r = explore(test, { executions: 50, strategies: ["dfs:9"] });
    expect(r.failure).toBeUndefined();
    expect(r.coverage["futex: woken"]).toBeGreaterThan(0);
    expect(r.exhausted).toEqual(["dfs:9"]);
  });

  it("reports a livelock at the step limit", () => {
    const test: ModelTest<null, null> = {
      name: "spinner",
      threads: 1,
      stepLimit: 500,
      setup: () => null,
      *body(t) {
        while (true) yield* t.call("region_free_bytes");
      },
    };
    expect(explore(test, { executions: 1 }).failure?.violation.kind).toBe("livelock");
  });
});
