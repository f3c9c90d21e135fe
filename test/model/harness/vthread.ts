// vthread.ts — a virtual thread: its own WebAssembly.Instance of the model build of the core
// on the shared memory, made resumable by asyncify, and driven as a JS generator.
//
// How a pause works. The model build calls `model.yield(op, ptr)` before every atomic
// operation and `model.wait(ptr, expected, timeoutNs)` instead of memory.atomic.wait32. When
// the scheduler is running, the import records the pending operation and asks asyncify to
// unwind: the export returns early to `call`, which yields to the scheduler. When the
// scheduler picks this thread again, `call` starts a rewind and calls the same export with
// the same arguments; asyncify restores the wasm stack, the import is reached again, stops
// the rewind and returns (for a wait: the result the scheduler decided), and the operation
// runs. So every step of the scheduler is "perform this thread's pending atomic operation
// and run on to its next pause".
//
// Thread bodies may pause in JS too (a plain `yield`, or `yield* t.pause(label)`), e.g. in
// the middle of a non-atomic read-modify-write inside a critical section.
//
// Asyncify keeps each thread's saved stack in a data buffer in the shared memory, above the
// region under test (see scheduler.ts, "memory map"); asyncify's state globals are per
// instance, which is why each virtual thread has its own instance (test build only).
import type { CoreExports } from "../../../src/region/core";
import type { Steps } from "../../../src/wait/steps";

/** Codes of pending operations: 1..9 are MODEL_OP_* of assembly/atom.ts (a test keeps them equal). */
export const OP = {
  START: 0, LOAD: 1, STORE: 2, ADD: 3, SUB: 4, OR: 5, AND: 6, XCHG: 7, CAS: 8, NOTIFY: 9,
  WAIT: 10, JS: 11,
  /** returning from a wait that was woken or timed out (resumeValue says which) */
  RESUME: 12,
} as const;
export const OP_NAMES = ["start", "load", "store", "add", "sub", "or", "and", "xchg", "cas", "notify", "wait", "js", "resume"];

interface Asyncify {
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

export type ModelCore = CoreExports & Asyncify;

/** What a virtual thread needs from the scheduler that runs it. */
export interface ThreadHost {
  /** False while setting up or checking: then yield points return at once. */
  readonly scheduling: boolean;
  /** Virtual time in ms: advances only when a timeout fires. */
  readonly now: number;
  notify(ptr: number, count: number): number;
  /** A logical clock for the history (call and return events). */
  tick(): number;
  record(op: HistoryOp): void;
}

/** One operation of a recorded history (linearizability.ts). */
export interface HistoryOp {
  thread: number;
  name: string;
  args: unknown[];
  result: unknown;
  call: number;
  /** -1 while pending (the execution stopped before it returned) */
  ret: number;
}

export type Body = Generator<unknown, unknown, unknown>;

/** Thrown by t.fail / t.check: a property of the test does not hold. */
export class ModelViolation extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = "ModelViolation";
  }
}

export class VThread {
  /** The agent id this thread uses with the core (set by the scheduler's setup). */
  agent = 0;
  readonly core: ModelCore;
  readonly i32: Int32Array;
  /** scheduler state */
  state: "ready" | "blocked" | "done" = "ready";
  pendingOp: number = OP.START;
  pendingPtr = 0;
  waitExpected = 0;
  waitTimeoutNs = -1;
  deadline = Infinity;
  resumeValue = 0;
  label = "";
  gen: Body | undefined;
  /** Largest asyncify save area used, in bytes (measured at every unwind). */
  stackHighWater = 0;
  private unwinding = false;
  private rewinding = false;

  constructor(
    readonly id: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly dataPtr: number,
    private readonly dataEnd: number,
    private readonly host: ThreadHost,
  ) {
    this.i32 = new Int32Array(memory.buffer);
    const imports = {
      env: { memory, now: () => host.now },
      model: {
        yield: (op: number, ptr: number) => {
          if (this.rewinding) return this.resumed();
          if (!host.scheduling) return;
          this.pendingOp = op;
          this.pendingPtr = ptr >>> 0;
          this.unwind();
        },
        wait: (ptr: number, expected: number, timeoutNs: bigint) => {
          if (this.rewinding) return this.resumed();
          if (!host.scheduling) throw new Error("model.wait outside a schedule (in setup or check)");
          this.pendingOp = OP.WAIT;
          this.pendingPtr = ptr >>> 0;
          this.waitExpected = expected;
          this.waitTimeoutNs = Number(timeoutNs);
          this.unwind();
          return 0;
        },
        notify: (ptr: number, count: number) => host.notify(ptr >>> 0, count),
      },
    };
    this.core = new WebAssembly.Instance(module, imports).exports as unknown as ModelCore;
  }

  /** After a trap: leave asyncify's normal state, whatever the instance was doing. */
  reset(): void {
    const state = this.core.asyncify_get_state();
    if (state === 1) this.core.asyncify_stop_unwind();
    if (state === 2) this.core.asyncify_stop_rewind();
    this.unwinding = false;
    this.rewinding = false;
  }

  private unwind(): void {
    this.i32[this.dataPtr >> 2] = this.dataPtr + 8;
    this.i32[(this.dataPtr + 4) >> 2] = this.dataEnd;
    this.unwinding = true;
    this.core.asyncify_start_unwind(this.dataPtr);
  }

  private resumed(): number {
    this.rewinding = false;
    this.core.asyncify_stop_rewind();
    return this.resumeValue;
  }

  /**
   * Call a core export as this thread; every atomic inside is a pause. Use with yield*:
   * `const r = yield* t.call("mutex_lock", m, t.agent, -1)`.
   */
  *call(name: string, ...args: number[]): Generator<unknown, number, unknown> {
    const f = (this.core as unknown as Record<string, (...a: number[]) => number>)[name];
    if (typeof f !== "function") throw new Error(`the core has no export ${name}`);
    let r = f(...args);
    while (this.unwinding) {
      this.unwinding = false;
      this.core.asyncify_stop_unwind();
      const used = this.i32[this.dataPtr >> 2] - (this.dataPtr + 8);
      if (used > this.stackHighWater) this.stackHighWater = used;
      yield;
      this.rewinding = true;
      this.core.asyncify_start_rewind(this.dataPtr);
      r = f(...args);
    }
    return r;
  }

  /**
   * One operation of the recorded history: `name(args)` returning what `body` returns.
   * `const r = yield* t.op("lock", [0, -1], t.call("mutex_lock", m, t.agent, -1))`.
   */
  *op<R>(name: string, args: unknown[], body: Generator<unknown, R, unknown>): Generator<unknown, R, unknown> {
    const rec: HistoryOp = { thread: this.id, name, args, result: undefined, call: this.host.tick(), ret: -1 };
    this.host.record(rec);
    const r = yield* body;
    rec.result = r;
    rec.ret = this.host.tick();
    return r;
  }

  /**
   * A futex wait from JS on the shared word at byte `ptr` (as the TypeScript runtime parks
   * with Atomics.wait / waitAsync after a core export said WOULD_BLOCK), modelled like the
   * core's: blocks while the word equals `expected`; returns WAIT_WOKEN, WAIT_NOT_EQUAL or
   * WAIT_TIMED_OUT. `timeoutMs` < 0: forever.
   */
  *wait(ptr: number, expected: number, timeoutMs = -1): Generator<unknown, number, unknown> {
    this.pendingOp = OP.WAIT;
    this.pendingPtr = ptr;
    this.waitExpected = expected;
    this.waitTimeoutNs = timeoutMs < 0 ? -1 : Math.round(timeoutMs * 1e6);
    yield;
    return this.resumeValue;
  }

  /**
   * Runs a shipped step machine (src/wait/steps.ts) as this thread: the model's driver. Each
   * core call runs on this thread's instance (every atomic inside a pause), each `load` is a
   * pause then a read, each `park` a modelled futex wait (`timeoutMs` < 0: forever; a timed
   * park times out when the scheduler fires it). The same machine the blocking, async and try
   * drivers run in the runtime, so the model explores the shipped protocol.
   */
  *run<R>(machine: Steps<R>, timeoutMs = -1): Generator<unknown, R, unknown> {
    let input = 0;
    for (;;) {
      const next = machine.next(input);
      if (next.done) return next.value;
      const r = next.value;
      if (r.op === "call") input = yield* this.call(r.fn, ...r.args);
      else if (r.op === "load") {
        yield* this.pause("load");
        input = Atomics.load(this.i32, r.address >> 2);
      } else input = yield* this.wait(r.address, r.expected, timeoutMs);
    }
  }

  /** A futex notify from JS: wakes up to `count` threads waiting on `ptr`. Not a pause. */
  notify(ptr: number, count: number): number {
    return this.host.notify(ptr, count);
  }

  /** A scheduling point in JS (between plain reads and writes of a test). */
  *pause(label = "js"): Generator<unknown, void, unknown> {
    this.label = label;
    yield;
  }

  /** Fail the execution: a property of the test does not hold. */
  fail(message: string, kind = "assertion"): never {
    throw new ModelViolation(kind, `thread ${this.id}: ${message}`);
  }

  check(condition: unknown, message: string, kind = "assertion"): void {
    if (!condition) this.fail(message, kind);
  }
}
