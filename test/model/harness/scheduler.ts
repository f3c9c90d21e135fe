// scheduler.ts — runs a model test's virtual threads under a strategy, one execution at a
// time, on one shared memory, and checks each execution.
//
// Memory map of the model (one 64 KiB page, shared):
//
//   0        STATIC_LIMIT  REGION_BASE                      regionBytes          65536
//   +-----------+---------+----------------------------------+----------------------+
//   | core data | (free)  | region under test (header, heap) | asyncify save areas   |
//   +-----------+---------+----------------------------------+----------------------+
//                                                             one per thread, STACK_BYTES
//
// The region is initialised with `regionBytes` as its size, so the allocator never reaches
// the save areas. After `setup`, the bytes below `regionBytes` are snapshotted and every
// execution starts from that snapshot.
//
// Futexes are modelled: `wait` compares and blocks atomically when its thread is scheduled;
// `notify` wakes up to `count` waiters on the address in FIFO order (as V8 does); a timed
// wait times out only when no thread can run, the earliest deadline first, and virtual time
// jumps to it. All live threads blocked with no timeout pending is a deadlock; more than
// `stepLimit` steps is reported as a livelock.
import { readFileSync } from "node:fs";
import { checkLinearizable, type Spec } from "./linearizability";
import { executionSeed, hashString, mix32 } from "./rng";
import { Replay, strategyFrom, type Strategy } from "./strategies";
import { ModelViolation, OP, OP_NAMES, VThread, type Body, type HistoryOp, type ModelCore, type ThreadHost } from "./vthread";
import * as L from "../../../assembly/layout";

export const PAGE = 65536;
export const STACK_BYTES = 1024;
export const MAX_THREADS = 8;
export const REGION_LIMIT = PAGE - MAX_THREADS * STACK_BYTES;

const root = new URL("../../../", import.meta.url);
const modules = new Map<string, WebAssembly.Module>();

/** The compiled model build `build/sabre.<build>.wasm` (`model` or `model-bug-*`). */
export function modelModule(build: string): WebAssembly.Module {
  let m = modules.get(build);
  if (!m) {
    const url = new URL(`build/sabre.${build}.wasm`, root);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      throw new Error(`${url.pathname} is missing: run \`node scripts/build.mjs model\` (or npm test) first`);
    }
    m = new WebAssembly.Module(bytes as BufferSource);
    modules.set(build, m);
  }
  return m;
}

/** What `setup` gets: the core (free-running, no pauses) and the threads (to set agents). */
export interface SetupEnv {
  core: ModelCore;
  /** Call a core export by name (no pauses outside a schedule). */
  call(name: string, ...args: number[]): number;
  i32: Int32Array;
  threads: readonly VThread[];
  regionBytes: number;
}

/** What `check` gets at the end of an execution in which every thread returned. */
export interface CheckEnv<C, S> {
  core: ModelCore;
  /** Call a core export by name (no pauses outside a schedule). */
  call(name: string, ...args: number[]): number;
  i32: Int32Array;
  ctx: C;
  state: S;
  history: readonly HistoryOp[];
  fail(message: string, kind?: string): never;
}

/** A model test: a few threads, each a short sequence of operations on the core. */
export interface ModelTest<C = unknown, S = unknown> {
  /** Unique in its file: names failure files and selects the test on replay. */
  name: string;
  /** The model build to run: `model` (default) or a seeded-bug build `model-bug-...`. */
  build?: string;
  threads: number;
  /** Size given to region_init (default: all of the page below the save areas). */
  regionBytes?: number;
  /** Once, before the first execution; the region is already initialised. Returns the context. */
  setup(env: SetupEnv): C;
  /** Fresh JS state for each execution (counters, flags), shared by the thread bodies. */
  fresh?(ctx: C): S;
  /** The body of thread `t.id`: a generator that calls core exports with yield*. */
  body(t: VThread, ctx: C, state: S): Body;
  /** After an execution in which every thread returned: invariants, conservation. */
  check?(env: CheckEnv<C, S>): void;
  /** Sequential specification that the recorded history (t.op) must linearize to. */
  spec?: Spec<any>;
  /** Livelock bound (default 20 000 steps). */
  stepLimit?: number;
  /**
   * Fair spinning (off by default): a thread that has performed this many atomic loads in a
   * row (no other kind of step in between) is left out of the runnable set for one step
   * while another thread can run (the step goes to the runnable thread that ran least
   * recently), and its count restarts. For protocols whose loops only
   * spin while another agent finishes a short claimed section (the MPMC ring's try-ops): an
   * OS scheduler eventually runs that agent, PCT's priorities and a preemption-bounded DFS
   * need not. Deterministic, so traces still replay.
   */
  fairSpin?: number;
  /**
   * A thread that may die (a process killed at an arbitrary instruction): in each execution it
   * stops for good just before its step number `at` (0-based, counted over its own steps, each an
   * atomic of the core or a JS pause), where `at` is drawn from the execution's seed in
   * [0, within * 5/4): in about one execution in five it finishes instead. Its body never runs
   * again, its instance is abandoned mid-call, and `onCrash` runs at once, outside every thread
   * (set a word and notify it, so that a watcher thread can report the death as a host would).
   * The crash point comes from the seed, not from the schedule: explore such a test with the
   * random and PCT strategies, never DFS (whose tree assumes a schedule decides everything).
   */
  crash?: CrashSpec<C, S>;
}

export interface CrashSpec<C, S> {
  thread: number;
  within: number;
  onCrash(env: { i32: Int32Array; ctx: C; state: S; notify(ptr: number, count: number): number }): void;
}

export interface Violation { kind: string; message: string }

export interface LogEntry {
  step: number;
  thread: number;
  /** what the thread did: an atomic op, wait, notify, js, start, or a scheduler event */
  op: string;
  ptr?: number;
  /** the word at ptr before the step */
  before?: number;
  note?: string;
}

export interface ExecutionResult {
  violation?: Violation;
  steps: number;
  trace: number[];
  history: HistoryOp[];
  log?: LogEntry[];
}

/** A model test instantiated: the memory, one instance per virtual thread, the snapshot. */
export class Model<C = unknown, S = unknown> implements ThreadHost {
  readonly memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  readonly u8 = new Uint8Array(this.memory.buffer);
  readonly i32 = new Int32Array(this.memory.buffer);
  readonly threads: VThread[] = [];
  readonly ctx: C;
  readonly regionBytes: number;
  readonly build: string;
  scheduling = false;
  now = 0;
  private clock = 0;
  private history: HistoryOp[] = [];
  private waiters: VThread[] = [];
  private snapshot: Uint8Array;
  private log: LogEntry[] | undefined;
  private step = 0;
  /** totals over all executions of this model */
  totalSteps = 0;
  executions = 0;
  /** what the executions covered: "op -> result" counts, waits that blocked, wakes, timeouts */
  readonly coverage = new Map<string, number>();

  constructor(readonly test: ModelTest<C, S>) {
    if (test.threads < 1 || test.threads > MAX_THREADS) throw new Error(`threads must be 1..${MAX_THREADS}`);
    this.build = test.build ?? "model";
    this.regionBytes = test.regionBytes ?? REGION_LIMIT;
    if (this.regionBytes > REGION_LIMIT) throw new Error(`regionBytes must be <= ${REGION_LIMIT}`);
    const module = modelModule(this.build);
    for (let i = 0; i < test.threads; i++) {
      const data = REGION_LIMIT + i * STACK_BYTES;
      this.threads.push(new VThread(i, module, this.memory, data, data + STACK_BYTES, this));
    }
    const core = this.threads[0].core;
    if (core.core_static_end() > L.STATIC_LIMIT) throw new Error("model build's static data passes STATIC_LIMIT");
    const status = core.region_init(this.regionBytes, 0x51a7e);
    if (status !== L.OK) throw new Error(`region_init failed with status ${status}`);
    for (const t of this.threads) t.agent = core.region_new_agent();
    this.ctx = test.setup({ core, call: callOf(core), i32: this.i32, threads: this.threads, regionBytes: this.regionBytes });
    this.snapshot = this.u8.slice(0, this.regionBytes);
  }

  // ---- ThreadHost ---------------------------------------------------------------------
  tick(): number { return this.clock++; }
  record(op: HistoryOp): void { this.history.push(op); }
  notify(ptr: number, count: number): number {
    const max = count < 0 ? Infinity : count;
    let woken = 0;
    for (let i = 0; i < this.waiters.length && woken < max; ) {
      const w = this.waiters[i];
      if (w.pendingPtr === ptr) {
        this.waiters.splice(i, 1);
        w.state = "ready";
        this.count("futex: woken");
        w.pendingOp = OP.RESUME;
        w.resumeValue = L.WAIT_WOKEN;
        woken++;
        this.log?.push({ step: this.step, thread: w.id, op: "woken", ptr });
      } else i++;
    }
    return woken;
  }

  /** Largest asyncify save area any thread used (bytes; must stay below STACK_BYTES). */
  stackHighWater(): number {
    return Math.max(...this.threads.map((t) => t.stackHighWater));
  }

  /** One execution under `strategy`; `log` records every step (used when replaying). */
  execute(strategy: Strategy, seed: number, log = false): ExecutionResult {
    const test = this.test;
    this.u8.set(this.snapshot);
    this.now = 0;
    this.clock = 0;
    this.history = [];
    this.waiters = [];
    this.log = log ? [] : undefined;
    const state = (test.fresh ? test.fresh(this.ctx) : undefined) as S;
    const threads = this.threads;
    for (const t of threads) {
      t.state = "ready";
      t.pendingOp = OP.START;
      t.pendingPtr = 0;
      t.resumeValue = 0;
      t.gen = test.body(t, this.ctx, state);
    }
    const limit = test.stepLimit ?? 20_000;
    const fairSpin = test.fairSpin ?? Infinity;
    const loadsInRow = threads.map(() => 0);
    const lastRun = threads.map(() => -1);
    const trace: number[] = [];
    const ready: number[] = [];
    let last = -1;
    let violation: Violation | undefined;
    const crash = test.crash;
    const crashAt = crash ? mix32((seed ^ 0x5bd1e995) >>> 0) % Math.ceil((crash.within * 5) / 4) : -1;
    let victimSteps = 0;
    strategy.begin(seed, threads.length);
    this.scheduling = true;
    this.step = 0;
    try {
      while (true) {
        ready.length = 0;
        let live = 0;
        for (const t of threads) {
          if (t.state === "ready") ready.push(t.id);
          if (t.state !== "done") live++;
        }
        if (live === 0) break;
        if (ready.length === 0) {
          if (!this.fireTimeout()) {
            violation = this.deadlock();
            break;
          }
          continue;
        }
        if (this.step >= limit) {
          violation = { kind: "livelock", message: `no end after ${limit} steps (livelock, or raise stepLimit)` };
          break;
        }
        if (ready.length > 1 && fairSpin !== Infinity) {
          const spinner = ready.find((i) => loadsInRow[i] >= fairSpin);
          if (spinner !== undefined) {
            // the step goes to the runnable thread that has waited longest
            loadsInRow[spinner] = 0;
            let oldest = -1;
            for (const i of ready) if (i !== spinner && (oldest < 0 || lastRun[i] < lastRun[oldest])) oldest = i;
            ready.length = 0;
            ready.push(oldest);
          }
        }
        const id = strategy.choose(ready, this.step, last);
        loadsInRow[id] = threads[id].pendingOp === OP.LOAD ? loadsInRow[id] + 1 : 0;
        lastRun[id] = this.step;
        trace.push(id);
        last = id;
        const t = threads[id];
        if (crash && id === crash.thread && victimSteps++ === crashAt) {
          t.state = "done";
          t.gen = undefined;
          t.reset();
          this.count("crash");
          this.log?.push({ step: this.step, thread: id, op: "crash", note: `before its step ${crashAt}` });
          this.step++;
          crash.onCrash({ i32: this.i32, ctx: this.ctx, state, notify: (ptr, count) => this.notify(ptr, count) });
          continue;
        }
        if (this.log) {
          const e: LogEntry = { step: this.step, thread: id, op: t.pendingOp === OP.JS ? t.label : OP_NAMES[t.pendingOp] };
          if (t.pendingOp === OP.RESUME) e.note = ["woken", "not-equal", "timed out"][t.resumeValue];
          else if (t.pendingOp !== OP.START && t.pendingOp !== OP.JS) {
            e.ptr = t.pendingPtr;
            e.before = this.i32[t.pendingPtr >> 2];
          }
          if (t.pendingOp === OP.WAIT) e.note = `expected ${t.waitExpected}, timeout ${t.waitTimeoutNs < 0 ? "none" : t.waitTimeoutNs + " ns"}`;
          this.log.push(e);
        }
        this.step++;
        if (t.pendingOp === OP.WAIT) {
          if (this.i32[t.pendingPtr >> 2] === t.waitExpected) {
            t.state = "blocked";
            this.count("futex: blocked");
            t.deadline = t.waitTimeoutNs < 0 ? Infinity : this.now + (t.waitTimeoutNs + 1) / 1e6;
            this.waiters.push(t);
            continue;
          }
          t.resumeValue = L.WAIT_NOT_EQUAL;
        }
        t.pendingOp = OP.JS;
        t.label = "js";
        let r: IteratorResult<unknown, unknown>;
        try {
          r = t.gen!.next();
        } catch (e) {
          if (e instanceof ModelViolation) violation = { kind: e.kind, message: e.message };
          else if (e instanceof WebAssembly.RuntimeError) violation = { kind: "trap", message: `thread ${id}: ${e.message}` };
          else violation = { kind: "test error", message: `thread ${id}: ${(e as Error)?.stack ?? String(e)}` };
          for (const x of threads) x.reset();
          break;
        }
        if (r.done) t.state = "done";
      }
    } finally {
      this.scheduling = false;
    }
    strategy.end(this.step);
    this.totalSteps += this.step;
    this.executions++;
    const history = this.history;
    for (const op of history) this.countOutcome(op);
    if (!violation && test.check) violation = this.runCheck(state, history);
    if (!violation && test.spec) {
      const lin = checkLinearizable(history, test.spec);
      if (!lin.ok) violation = { kind: "linearizability", message: lin.explanation };
    }
    return { violation, steps: this.step, trace, history, log: this.log };
  }

  private outcomeKeys = new Map<string, Map<string, string>>();
  private countOutcome(op: HistoryOp): void {
    let byResult = this.outcomeKeys.get(op.name);
    if (!byResult) this.outcomeKeys.set(op.name, (byResult = new Map()));
    const outcome = outcomeOf(op.result);
    let key = byResult.get(outcome);
    if (!key) byResult.set(outcome, (key = `${op.name} -> ${outcome}`));
    this.count(key);
  }

  private count(key: string): void {
    this.coverage.set(key, (this.coverage.get(key) ?? 0) + 1);
  }

  private runCheck(state: S, history: HistoryOp[]): Violation | undefined {
    try {
      this.test.check!({
        core: this.threads[0].core,
        call: callOf(this.threads[0].core),
        i32: this.i32,
        ctx: this.ctx,
        state,
        history,
        fail: (message: string, kind = "check") => { throw new ModelViolation(kind, message); },
      });
    } catch (e) {
      if (e instanceof ModelViolation) return { kind: e.kind, message: e.message };
      return { kind: "trap", message: `check: ${(e as Error)?.message ?? String(e)}` };
    }
    return undefined;
  }

  /** Nothing can run: time out the earliest timed waiter. False if there is none. */
  private fireTimeout(): boolean {
    let first: VThread | undefined;
    for (const w of this.waiters) if (w.deadline < (first?.deadline ?? Infinity)) first = w;
    if (!first) return false;
    this.waiters.splice(this.waiters.indexOf(first), 1);
    this.now = Math.max(this.now, first.deadline);
    first.state = "ready";
    this.count("futex: timed out");
    first.pendingOp = OP.RESUME;
    first.resumeValue = L.WAIT_TIMED_OUT;
    this.log?.push({ step: this.step, thread: first.id, op: "timeout", ptr: first.pendingPtr, note: `virtual time ${this.now} ms` });
    return true;
  }

  private deadlock(): Violation {
    const blocked = this.threads
      .filter((t) => t.state === "blocked")
      .map((t) => `thread ${t.id} waits on ${t.pendingPtr} (value ${this.i32[t.pendingPtr >> 2]})`);
    return { kind: "deadlock", message: `every live thread is blocked with no timeout pending: ${blocked.join("; ")}` };
  }
}

function callOf(core: ModelCore): (name: string, ...args: number[]) => number {
  return (name, ...args) => {
    const f = (core as unknown as Record<string, (...a: number[]) => number>)[name];
    if (typeof f !== "function") throw new Error(`the core has no export ${name}`);
    return f(...args);
  };
}

/** A result as a coverage bucket: a status code, or a record's status / success. */
function outcomeOf(result: unknown): string {
  if (typeof result === "number") return String(result);
  if (result && typeof result === "object") {
    const r = result as Record<string, unknown>;
    if ("status" in r) return `status ${r.status}`;
    if ("payload" in r) return r.payload ? "block" : "0";
  }
  return result === undefined ? "pending" : "other";
}

export const DEFAULT_STRATEGIES = ["pct:3", "random", "pct:2", "dfs:2"];

export interface ExploreOptions {
  executions: number;
  /** Used round-robin (default DEFAULT_STRATEGIES; SABRE_MODEL_STRATEGIES=a,b overrides). */
  strategies?: string[];
  /** Base seed (default: a hash of the test name; SABRE_MODEL_SEED overrides). */
  seed?: number;
}

export interface Failure {
  test: string;
  build: string;
  strategy: string;
  seed: number;
  execution: number;
  violation: Violation;
  steps: number;
  trace: number[];
  history: HistoryOp[];
  log: LogEntry[];
  /** false if replaying the trace did not give the same violation (a harness bug) */
  replayed: boolean;
}

export interface ExploreResult {
  executions: number;
  steps: number;
  ms: number;
  stackHighWater: number;
  exhausted: string[];
  coverage: Record<string, number>;
  failure?: Failure;
}

export function baseSeed(test: ModelTest<any, any>, seed?: number): number {
  const env = process.env.SABRE_MODEL_SEED;
  if (env === "random") return (Math.random() * 2 ** 32) >>> 0;
  if (env !== undefined && env !== "") return Number(env) >>> 0;
  return seed ?? hashString(test.name);
}

/** Explore up to `executions` schedules; stop at the first violation. */
export function explore<C, S>(test: ModelTest<C, S>, options: ExploreOptions): ExploreResult {
  const model = new Model(test);
  const fromEnv = process.env.SABRE_MODEL_STRATEGIES?.split(",").map((x) => x.trim()).filter(Boolean);
  const strategies = (fromEnv?.length ? fromEnv : options.strategies ?? DEFAULT_STRATEGIES).map(strategyFrom);
  const base = baseSeed(test, options.seed);
  const t0 = performance.now();
  let failure: Failure | undefined;
  let i = 0;
  for (; i < options.executions; i++) {
    const live = strategies.filter((s) => !s.exhausted);
    if (live.length === 0) break;
    const strategy = live[i % live.length];
    const seed = executionSeed(base, i);
    const r = model.execute(strategy, seed);
    if (r.violation) {
      failure = describeFailure(model, strategy.name, seed, i, r);
      i++;
      break;
    }
  }
  return {
    executions: i,
    steps: model.totalSteps,
    ms: performance.now() - t0,
    stackHighWater: model.stackHighWater(),
    exhausted: strategies.filter((s) => s.exhausted).map((s) => s.name),
    coverage: Object.fromEntries([...model.coverage].sort()),
    failure,
  };
}

/** Re-run a failing execution from its trace with the step log on. */
function describeFailure(model: Model<any, any>, strategy: string, seed: number, execution: number, r: ExecutionResult): Failure {
  const again = model.execute(new Replay(r.trace), seed, true);
  return {
    test: model.test.name,
    build: model.build,
    strategy,
    seed,
    execution,
    violation: r.violation!,
    steps: r.steps,
    trace: r.trace,
    history: again.history,
    log: again.log ?? [],
    replayed: again.violation?.kind === r.violation!.kind && again.violation?.message === r.violation!.message,
  };
}

/** Replay one recorded execution (a failure file's trace) with the step log on. */
export function replay<C, S>(test: ModelTest<C, S>, trace: number[], seed = 0): ExecutionResult {
  const model = new Model(test);
  return model.execute(new Replay(trace), seed, true);
}
