// linearizability.ts — is a recorded history linearizable with respect to a sequential
// specification? Wing & Gong's search (J. Parallel Distrib. Comput. 1993): repeatedly pick a
// "minimal" pending operation — one that was called before every remaining operation
// returned — apply it to the specification's state, and backtrack when the specification
// rejects its recorded result; with Lowe's memoization ("Testing for linearizability",
// 2017): a (set of linearized operations, specification state) pair already explored is
// never explored again, which makes the search polynomial for the small histories here.
//
// Only completed operations are checked: operations still pending when an execution
// stopped (a deadlock, a failed assertion) are left out, and such executions are reported
// for their own violation anyway.
import type { HistoryOp } from "./vthread";

/** A sequential specification. `apply` returns the next state, or undefined if the recorded
 * result of `op` is impossible in `state`. States are immutable; `key` identifies one. */
export interface Spec<S> {
  readonly name: string;
  init(): S;
  apply(state: S, op: HistoryOp): S | undefined;
  key(state: S): string;
}

export type LinResult = { ok: true; order: HistoryOp[] } | { ok: false; explanation: string };

export function describeOp(op: HistoryOp): string {
  return `t${op.thread} ${op.name}(${op.args.map((a) => JSON.stringify(a)).join(", ")}) -> ${JSON.stringify(op.result)} [${op.call}..${op.ret}]`;
}

export function checkLinearizable<S>(history: readonly HistoryOp[], spec: Spec<S>): LinResult {
  const ops = history.filter((o) => o.ret >= 0).sort((a, b) => a.call - b.call);
  const n = ops.length;
  if (n > 52) throw new Error(`history of ${n} operations is too long for the checker (keep it to a few per thread)`);
  const full = 2 ** n - 1;
  const seen = new Set<string>();
  const order: HistoryOp[] = [];
  let best: HistoryOp[] = [];
  // the set of linearized ops as a bit mask: 32-bit integer ops while they suffice
  const small = n <= 30;
  const bits = ops.map((_, i) => 2 ** i);
  const has = small
    ? (mask: number, i: number) => (mask & bits[i]) !== 0
    : (mask: number, i: number) => Math.floor(mask / bits[i]) % 2 === 1;

  const search = (mask: number, state: S): boolean => {
    if (mask === full) return true;
    if (order.length > best.length) best = [...order];
    // an op may go next only if it was called before every remaining op returned
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (!has(mask, i) && ops[i].ret < minRet) minRet = ops[i].ret;
    for (let i = 0; i < n; i++) {
      if (has(mask, i)) continue;
      if (ops[i].call > minRet) break; // sorted by call
      const next = spec.apply(state, ops[i]);
      if (next === undefined) continue;
      const m = mask + bits[i];
      const key = `${m}|${spec.key(next)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      order.push(ops[i]);
      if (search(m, next)) return true;
      order.pop();
    }
    return false;
  };

  if (search(0, spec.init())) return { ok: true, order: [...order] };
  const done = new Set(best);
  const rest = ops.filter((o) => !done.has(o));
  return {
    ok: false,
    explanation:
      `history is not linearizable against the ${spec.name} specification. ` +
      `Longest legal prefix: [${best.map(describeOp).join("; ")}]; ` +
      `none of the remaining operations can come next: [${rest.map(describeOp).join("; ")}]`,
  };
}
