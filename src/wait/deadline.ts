// deadline.ts — Deadline: the one spelling of "how long may this wait" in the runtime.
//
// A Deadline is made once per call from its `{ timeout }` option and handed down unchanged:
// to step machines, to the Parker, to the core (as milliseconds left). It answers two
// questions only, "how many milliseconds are left" and "has it passed", so no call site
// recomputes `deadline - now`. Forever is `Deadline.forever` (timeout omitted or Infinity);
// "do not wait at all" is a timeout of 0 (the deadline has passed when it is made).
//
// The clock is performance.now() (monotonic, milliseconds); it is read only on slow paths.
import { InvalidArgumentError, TimeoutError } from "../errors";
import { describeValue } from "../options";

const clock: () => number =
  typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/**
 * A point in time a wait may last until, on the monotonic clock (`performance.now()`,
 * milliseconds): made once per call from its `{ timeout }` option and handed down unchanged,
 * it answers "how many milliseconds are left" ({@link Deadline.left}) and "has it passed".
 * {@link Deadline.forever} never passes (timeout omitted or Infinity); a timeout of 0 makes a
 * deadline that has already passed (a try: wait for nothing). Make one with
 * {@link Deadline.after}, {@link Deadline.at} or {@link Deadline.of}.
 */
export class Deadline {
  /** The deadline that never passes. */
  static readonly forever: Deadline = new Deadline(Infinity, Infinity);
  /** A deadline that has already passed (a try: wait for nothing). */
  static readonly now: Deadline = new Deadline(-Infinity, 0);

  private constructor(
    /** Absolute time on the monotonic clock (ms), Infinity for forever. */
    readonly at: number,
    /** The timeout it was made from (ms), for messages; Infinity for forever. */
    readonly timeoutMs: number,
  ) {}

  /** A deadline `ms` milliseconds from now (validated; Infinity is forever). */
  static after(ms: number): Deadline {
    if (ms === Infinity) return Deadline.forever;
    return new Deadline(clock() + ms, ms);
  }

  /** The deadline at absolute time `at` on the monotonic clock (Infinity: forever). */
  static at(at: number): Deadline {
    return at === Infinity ? Deadline.forever : new Deadline(at, Math.max(0, at - clock()));
  }

  /**
   * The deadline of an options bag's `timeout` (omitted or Infinity: forever). `what` names
   * the call in the error for a bad value.
   */
  static of(options: { timeout?: unknown } | undefined, what = "timeout"): Deadline {
    const t = options?.timeout;
    if (t === undefined || t === Infinity) return Deadline.forever;
    if (typeof t !== "number" || Number.isNaN(t) || t < 0) {
      throw new InvalidArgumentError(`${what}: timeout must be a number of milliseconds >= 0 or Infinity, got ${describeValue(t)}`);
    }
    return Deadline.after(t);
  }

  /** Whether this deadline is forever. */
  get forever(): boolean {
    return this.at === Infinity;
  }

  /** Milliseconds left: Infinity for forever, 0 once passed (never negative). */
  left(): number {
    if (this.at === Infinity) return Infinity;
    const ms = this.at - clock();
    return ms > 0 ? ms : 0;
  }

  /** Whether the deadline has passed. */
  passed(): boolean {
    return this.at !== Infinity && clock() >= this.at;
  }

  /** Milliseconds left in the core's convention: -1 for forever, else >= 0. */
  coreMs(): number {
    return this.at === Infinity ? -1 : this.left();
  }

  /** The earlier of this deadline and `ms` milliseconds from now (a polling slice). */
  capped(ms: number): Deadline {
    const at = clock() + ms;
    return at < this.at ? new Deadline(at, this.timeoutMs) : this;
  }

  /** The TimeoutError of a call that waited for this deadline. */
  error(what: string): TimeoutError {
    const after = this.timeoutMs === Infinity ? "" : ` after ${this.timeoutMs} ms`;
    return new TimeoutError(`${what} timed out${after}; pass a larger { timeout } or use the try* form`);
  }
}
