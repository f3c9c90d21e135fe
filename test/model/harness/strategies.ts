// strategies.ts — who runs next. A strategy sees, at every step, the ids of the virtual
// threads that can run (ascending) and the id of the thread that ran last, and picks one.
//
//   random      uniform random walk over the runnable threads;
//   pct:D       PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with
//               Probabilistic Guarantees of Finding Bugs", ASPLOS 2010): distinct random
//               priorities, the highest runnable thread runs; at D-1 random steps the running
//               thread drops below every other. Finds any bug of depth D with probability
//               >= 1/(n k^(D-1)) per execution (n threads, k steps);
//   dfs:C       systematic depth-first search over schedules with at most C preemptions
//               (Musuvathi & Qadeer, "Iterative context bounding", PLDI 2007); stateful
//               across executions, `exhausted` once every schedule within the bound ran;
//   replay      follows a recorded trace exactly (a divergence is an error of the harness).
import { Rng } from "./rng";

export interface Strategy {
  /** As written in a failure file: `random`, `pct:3`, `dfs:2`, `replay`. */
  readonly name: string;
  /** True once a systematic strategy has nothing left to explore. */
  readonly exhausted: boolean;
  begin(seed: number, threads: number): void;
  choose(ready: readonly number[], step: number, last: number): number;
  end(steps: number): void;
}

export class RandomWalk implements Strategy {
  readonly name = "random";
  readonly exhausted = false;
  private rng = new Rng(1);
  begin(seed: number): void { this.rng = new Rng(seed); }
  choose(ready: readonly number[]): number { return ready[this.rng.below(ready.length)]; }
  end(): void {}
}

export class Pct implements Strategy {
  readonly name: string;
  readonly exhausted = false;
  private rng = new Rng(1);
  private priority: number[] = [];
  private changeAt: number[] = [];
  /** Estimate of the steps of an execution (k in the paper): the longest seen so far. */
  private k = 64;
  constructor(private readonly depth: number) {
    if (!(depth >= 1)) throw new Error(`pct depth must be >= 1, got ${depth}`);
    this.name = `pct:${depth}`;
  }
  begin(seed: number, threads: number): void {
    this.rng = new Rng(seed);
    // a random permutation of the priorities depth .. depth+threads-1 (higher runs first)
    const p = Array.from({ length: threads }, (_, i) => this.depth + i);
    for (let i = p.length - 1; i > 0; i--) {
      const j = this.rng.below(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    this.priority = p;
    this.changeAt = [];
    for (let i = 1; i < this.depth; i++) this.changeAt.push(1 + this.rng.below(this.k));
  }
  choose(ready: readonly number[], step: number): number {
    let best = this.highest(ready);
    for (let i = 0; i < this.changeAt.length; i++) {
      if (this.changeAt[i] === step) {
        // change point i+1: the thread about to run drops below all others
        this.priority[best] = this.depth - 1 - i;
        best = this.highest(ready);
      }
    }
    return best;
  }
  private highest(ready: readonly number[]): number {
    let best = ready[0];
    for (const t of ready) if (this.priority[t] > this.priority[best]) best = t;
    return best;
  }
  end(steps: number): void { if (steps > this.k) this.k = steps; }
}

interface Frame { options: number[]; index: number; last: number; preemptions: number }

export class BoundedDfs implements Strategy {
  readonly name: string;
  exhausted = false;
  private stack: Frame[] = [];
  private depthUsed = 0;
  constructor(private readonly bound: number) { this.name = `dfs:${bound}`; }
  begin(): void { this.depthUsed = 0; }
  choose(ready: readonly number[], step: number, last: number): number {
    if (step < this.stack.length) {
      const f = this.stack[step];
      this.depthUsed = step + 1;
      return f.options[f.index];
    }
    // a new choice point: keep running the last thread first (no preemption), then the others
    const options = ready.includes(last) ? [last, ...ready.filter((t) => t !== last)] : [...ready];
    const prev = step > 0 ? this.stack[step - 1] : undefined;
    const preemptions = prev ? prev.preemptions + (this.isPreemption(prev, prev.index) ? 1 : 0) : 0;
    this.stack.push({ options, index: 0, last, preemptions });
    this.depthUsed = step + 1;
    return options[0];
  }
  private isPreemption(f: Frame, index: number): boolean {
    return f.options.includes(f.last) && f.options[index] !== f.last;
  }
  end(): void {
    this.stack.length = this.depthUsed;
    while (this.stack.length > 0) {
      const f = this.stack[this.stack.length - 1];
      for (let i = f.index + 1; i < f.options.length; i++) {
        if (f.preemptions + (this.isPreemption(f, i) ? 1 : 0) <= this.bound) {
          f.index = i;
          return;
        }
      }
      this.stack.pop();
    }
    this.exhausted = true;
  }
}

export class Replay implements Strategy {
  readonly name = "replay";
  readonly exhausted = false;
  constructor(private readonly trace: readonly number[]) {}
  begin(): void {}
  choose(ready: readonly number[], step: number): number {
    const t = this.trace[step];
    if (t === undefined || !ready.includes(t)) {
      throw new Error(
        `replay diverged at step ${step}: trace says thread ${t}, runnable are [${ready.join(", ")}] ` +
          "(was the core or the test changed since the failure was recorded?)",
      );
    }
    return t;
  }
  end(): void {}
}

/** A strategy from its name: `random`, `pct:D`, `dfs:C`. */
export function strategyFrom(name: string): Strategy {
  const [kind, arg] = name.split(":");
  if (kind === "random") return new RandomWalk();
  if (kind === "pct") return new Pct(Number(arg ?? 3));
  if (kind === "dfs") return new BoundedDfs(Number(arg ?? 2));
  throw new Error(`unknown strategy ${name}: use random, pct:D or dfs:C`);
}

/** Traces are stored run-length encoded: "0*12 1 2*3" = twelve steps of 0, one of 1, three of 2. */
export function encodeTrace(trace: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < trace.length; ) {
    let j = i;
    while (j < trace.length && trace[j] === trace[i]) j++;
    parts.push(j - i > 1 ? `${trace[i]}*${j - i}` : `${trace[i]}`);
    i = j;
  }
  return parts.join(" ");
}

export function decodeTrace(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(/\s+/)) {
    if (!part) continue;
    const [t, n] = part.split("*").map(Number);
    for (let i = 0; i < (n ?? 1); i++) out.push(t);
  }
  return out;
}
