// failure.ts — failure files: what a failing execution writes, and how it is replayed.
//
// A failure file (JSON) holds the test name, the build, the strategy and seed that found it,
// the violation, the schedule as a run-length encoded trace of thread ids, the recorded
// history and a log of every step. `SABRE_MODEL_REPLAY=<file> npx vitest run test/model/...`
// re-runs exactly that execution in the test of the same name (other tests skip).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeTrace, encodeTrace } from "./strategies";
import type { Failure, LogEntry, Violation } from "./scheduler";
import { describeOp } from "./linearizability";
import { OP_NAMES } from "./vthread";

const root = fileURLToPath(new URL("../../../", import.meta.url));

export interface FailureFile extends Omit<Failure, "trace" | "log"> {
  format: "sabre-model-failure/1";
  trace: string;
  log: string[];
  replay: string;
}

/** Where failure files go: SABRE_MODEL_FAILURES or build/model-failures/. */
export function failureDir(): string {
  const dir = process.env.SABRE_MODEL_FAILURES;
  return dir ? resolve(dir) : join(root, "build", "model-failures");
}

export function writeFailure(failure: Failure, testFile: string): string {
  const path = join(failureDir(), `${failure.test.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-|-$/g, "")}.json`);
  const rel = isAbsolute(testFile) ? testFile.replace(root, "") : testFile;
  const file: FailureFile = {
    format: "sabre-model-failure/1",
    ...failure,
    trace: encodeTrace(failure.trace),
    log: failure.log.map(formatLogEntry),
    replay: `SABRE_MODEL_REPLAY=${path} npx vitest run ${rel}`,
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 1) + "\n");
  return path;
}

/** One step of the log: `#12   t1 cas     @4288 (was 1)` = step 12, thread 1 did a cas on
 * the word at byte 4288, which held 1 before. */
export function formatLogEntry(e: LogEntry): string {
  return [
    `#${e.step}`.padEnd(6),
    `t${e.thread}`,
    e.op.padEnd(7),
    e.ptr !== undefined ? `@${e.ptr}` : "",
    e.before !== undefined ? `(was ${e.before})` : "",
    e.note ?? "",
  ].filter(Boolean).join(" ");
}

export function readFailure(path: string): FailureFile & { traceSteps: number[] } {
  const file = JSON.parse(readFileSync(path, "utf8")) as FailureFile;
  if (file.format !== "sabre-model-failure/1") throw new Error(`${path} is not a sabre model failure file`);
  return { ...file, traceSteps: decodeTrace(file.trace) };
}

/** The failure file to replay (SABRE_MODEL_REPLAY), if any. */
export function replayRequest(): (FailureFile & { traceSteps: number[]; path: string }) | undefined {
  const path = process.env.SABRE_MODEL_REPLAY;
  if (!path) return undefined;
  return { ...readFailure(resolve(path)), path: resolve(path) };
}

/** A failure as the message of a failed test. */
export function formatFailure(v: Violation, f: { test: string; strategy: string; seed: number; execution: number; steps: number; history: Failure["history"] }, path?: string, replay?: string): string {
  return [
    `${f.test}: ${v.kind}: ${v.message}`,
    `found by ${f.strategy} (seed ${f.seed}, execution ${f.execution}) after ${f.steps} steps`,
    `history: ${f.history.map(describeOp).join("; ")}`,
    path ? `failure file: ${path}` : "",
    replay ? `replay: ${replay}` : "",
  ].filter(Boolean).join("\n");
}

export { OP_NAMES };
