// suite.ts — the vitest side: one call per protocol test declares the exploration, one per
// seeded bug declares that the harness must find it. Both obey SABRE_MODEL_REPLAY.
import { expect, it } from "vitest";
import { explore, replay, type ExploreOptions, type ModelTest } from "./scheduler";
import { formatFailure, formatLogEntry, readFailure, replayRequest, writeFailure } from "./failure";

export interface SuiteOptions extends Omit<ExploreOptions, "executions"> {
  /** executions with SABRE_STRESS=light (heavy: >= 100 000); see budget.ts */
  executions: number;
  /** the test file, for the replay command in failure files (import.meta.url) */
  file: string;
}

function relFile(file: string): string {
  const m = /test\/model\/.*$/.exec(file);
  return m ? m[0] : file;
}

/** Replays the requested failure if it belongs to this test: returns true if it did. */
function replayIfRequested(test: ModelTest<any, any>, quiet = false): boolean | "skip" {
  const req = replayRequest();
  if (!req) return false;
  if (req.test !== test.name) return "skip";
  if (req.build !== (test.build ?? "model")) throw new Error(`failure file is for build ${req.build}, test ${test.name} runs ${test.build ?? "model"}`);
  const r = replay(test, req.traceSteps, req.seed);
  if (!quiet) console.log((r.log ?? []).map(formatLogEntry).join("\n"));
  if (!r.violation) throw new Error(`replay of ${req.path} ran ${r.steps} steps without a violation (fixed?)`);
  throw new Error(formatFailure(r.violation, { ...req, steps: r.steps, history: r.history }, req.path));
}

/** Explore `test` and expect no violation. */
export function modelSuite(test: ModelTest<any, any>, options: SuiteOptions): void {
  const executions = options.executions;
  it(`${test.name}: ${executions} schedules without a violation`, (ctx) => {
    if (replayIfRequested(test) === "skip") return ctx.skip();
    const r = explore(test, { ...options, executions });
    const rate = `${Math.round(r.steps / (r.ms / 1000))} steps/s, ${Math.round(r.executions / (r.ms / 1000))} executions/s`;
    console.log(`model ${test.name}: ${r.executions} executions, ${r.steps} steps in ${Math.round(r.ms)} ms (${rate}); asyncify stack <= ${r.stackHighWater} B${r.exhausted.length ? `; exhausted ${r.exhausted.join(", ")}` : ""}`);
    console.log(`  covered: ${Object.entries(r.coverage).map(([k, n]) => `${k}: ${n}`).join(", ")}`);
    if (r.failure) {
      const path = writeFailure(r.failure, relFile(options.file));
      const file = readFailure(path);
      throw new Error(formatFailure(r.failure.violation, r.failure, path, file.replay));
    }
    expect(r.executions).toBeGreaterThan(0);
  }, budgetTimeout(executions));
}

/**
 * A test's time limit for `executions` schedules: the runner's default (60 s) for the default
 * budget, and room for the heavy one (SABRE_STRESS=heavy: 100 000 schedules of a channel
 * scenario run the shipped step machines, 40-150 s on a shared 2-core machine). A bound that
 * keeps a hung exploration from running forever, not a speed assertion.
 */
function budgetTimeout(executions: number): number {
  return Math.max(60_000, executions * 3);
}

export interface SeededBugOptions extends SuiteOptions {
  /** the violation kinds that count as finding the bug */
  expect: string[];
}

/** The harness must find the bug seeded in `test.build` within the budget, and its failure file must replay. */
export function seededBug(test: ModelTest<any, any>, options: SeededBugOptions): void {
  it(`${test.name}: the seeded bug is found within ${options.executions} schedules and replays`, (ctx) => {
    if (replayIfRequested(test) === "skip") return ctx.skip();
    const r = explore(test, options);
    expect(r.failure, `${test.name}: no violation in ${r.executions} executions`).toBeDefined();
    const f = r.failure!;
    console.log(`model ${test.name}: found ${f.violation.kind} after ${r.executions} executions (${f.strategy}, ${f.steps} steps): ${f.violation.message}`);
    expect(options.expect).toContain(f.violation.kind);
    expect(f.replayed, "the trace replays to the same violation").toBe(true);
    const path = writeFailure(f, relFile(options.file));
    const file = readFailure(path);
    const again = replay(test, file.traceSteps, file.seed);
    expect(again.violation).toEqual(f.violation);
    // and through the environment variable, as a user replays it
    const saved = process.env.SABRE_MODEL_REPLAY;
    process.env.SABRE_MODEL_REPLAY = path;
    try {
      expect(() => replayIfRequested(test, true)).toThrow(`${f.violation.kind}: ${f.violation.message}`);
    } finally {
      if (saved === undefined) delete process.env.SABRE_MODEL_REPLAY;
      else process.env.SABRE_MODEL_REPLAY = saved;
    }
  }, budgetTimeout(options.executions));
}
