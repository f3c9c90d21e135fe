// windows.ts — linearizability of long recorded histories (issue 3, item 7: the release build
// under real worker threads), which Wing & Gong's search cannot take whole (it is exponential
// in the number of concurrent operations, and checkLinearizable stops at 52).
//
// A history is cut at its quiescent points: instants at which no operation is pending (every
// operation called before has returned, none called after has begun). Operations of different
// windows are ordered by real time, so a linearization of the whole history is one of each
// window in turn — provided each window starts from a state that some linearization of the
// windows before it ends in. The checker therefore carries the SET of end states of each
// window (all linearizations, deduplicated by the specification's key) into the next: exact,
// not an approximation, as long as that set stays small (for a queue it only grows with pushes
// that were concurrent and never observed apart).
import { describeOp, type Spec } from "./linearizability";
import type { HistoryOp } from "./vthread";

/** Splits a completed history (every ret >= 0) at its quiescent points, in call order. */
export function quiescentWindows(history: readonly HistoryOp[]): HistoryOp[][] {
  const ops = [...history].sort((a, b) => a.call - b.call);
  const windows: HistoryOp[][] = [];
  let current: HistoryOp[] = [];
  let maxRet = -Infinity;
  for (const op of ops) {
    if (op.ret < 0) throw new Error(`pending operation in a history to window: ${describeOp(op)}`);
    if (current.length > 0 && op.call > maxRet) {
      windows.push(current);
      current = [];
    }
    current.push(op);
    maxRet = Math.max(maxRet, op.ret);
  }
  if (current.length > 0) windows.push(current);
  return windows;
}

/** Every state in which some linearization of `ops` from one of `starts` ends (empty: none). */
export function linearizationEnds<S>(ops: readonly HistoryOp[], spec: Spec<S>, starts: readonly S[], maxOps = 30): S[] {
  const sorted = [...ops].sort((a, b) => a.call - b.call);
  const n = sorted.length;
  if (n > maxOps) throw new Error(`a window of ${n} operations is too large to check (bound the concurrency)`);
  const full = 2 ** n - 1;
  const seen = new Set<string>();
  const ends = new Map<string, S>();
  const search = (mask: number, state: S): void => {
    if (mask === full) {
      ends.set(spec.key(state), state);
      return;
    }
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (!(mask & (1 << i)) && sorted[i].ret < minRet) minRet = sorted[i].ret;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) continue;
      if (sorted[i].call > minRet) break;
      const next = spec.apply(state, sorted[i]);
      if (next === undefined) continue;
      const m = mask | (1 << i);
      const key = `${m}|${spec.key(next)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      search(m, next);
    }
  };
  for (const s of starts) {
    const key = `0|${spec.key(s)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    search(0, s);
  }
  return [...ends.values()];
}

export type WindowsResult =
  | { ok: true; windows: number; largest: number; maxStates: number }
  | { ok: false; window: number; explanation: string };

/** Checks a whole history window by window, carrying the set of possible states across. */
export function checkWindows<S>(history: readonly HistoryOp[], spec: Spec<S>, maxOps = 30): WindowsResult {
  const windows = quiescentWindows(history);
  let states: S[] = [spec.init()];
  let largest = 0;
  let maxStates = 1;
  for (let w = 0; w < windows.length; w++) {
    largest = Math.max(largest, windows[w].length);
    const ends = linearizationEnds(windows[w], spec, states, maxOps);
    if (ends.length === 0) {
      return {
        ok: false,
        window: w,
        explanation:
          `window ${w} of ${windows.length} is not linearizable against the ${spec.name} specification from ` +
          `any of its ${states.length} possible start state(s) [${states.map((s) => spec.key(s)).join(" | ")}]: ` +
          windows[w].map(describeOp).join("; "),
      };
    }
    states = ends;
    maxStates = Math.max(maxStates, states.length);
  }
  return { ok: true, windows: windows.length, largest, maxStates };
}
