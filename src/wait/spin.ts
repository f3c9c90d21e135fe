// spin.ts — Spinner: the one adaptive spin-then-park policy of every wait on a region's words,
// blocking and async, thread-shared and file-backed alike (DESIGN.md, "Waiting").
//
// Waking a parked agent is the cost of a quiet round trip (tens of microseconds: the futex, then
// the scheduler), not the API, so a waiter re-reads its word for a while before it parks. But on
// a machine with more runnable threads than cores a spinner only burns the time slice the peer
// it waits for needs (measured here at load 16 on 2 cores, a channel round trip: 48 us p50
// spinning 2 us, 105 us spinning 30 us, 254 us spinning 100 us). So each Spinner (each Parker
// owns one: one per region per thread) spins while spinning recently paid off:
//
//   paid       a moving average (weight 1/8) of spin outcomes: 1 a spin that saw the word
//              change, 0 one that ran out (and parked)
//   caught     a moving average of how long the spins that saw the change took
//   budget     while paid >= 1/2: 4 x caught, at least SPIN_FIRST_MS, at most maxMs; else
//              SPIN_MIN_MS (a few hundred loads). Async waits spin at most ASYNC_SPIN_MAX_MS
//              (their spin holds up the event loop).
//   probes     while the budget is SPIN_MIN_MS, one wait in 2^k spins the whole cap instead
//              (k from PROBE_MIN_SHIFT): a probe that sees the change says the peer answers
//              within a spin after all (two parked peers each waiting for the other's wake-up
//              look like a slow peer): paid goes to 3/4, caught to at least the probe's
//              length, and k back to its minimum; a probe that runs out doubles the interval
//              (k + 1, up to PROBE_MAX_SHIFT)
//   contended  a spin that lost its CPU for longer than CONTENDED_MS between two reads of the
//              clock (descheduled), or whose sched_yield (the `yieldCpu` the Spinner was given,
//              e.g. the native addon's) kept it away that long, ends at once: paid drops to 0
//
// Two ways to spin, one policy:
//   spin(words, index, expected, async)   a spin in JS on one word before a park (the step
//                                         drivers, the core's park import): true when it changed
//   begin(async), spinOn(), end()         a timed spin inside the core (its env.spin import,
//                                         asked about every 64 re-checks): the driver calls
//                                         begin before a core call and end after it; spinOn
//                                         says whether the spin begun there may go on. A spin
//                                         that ended without spinOn saying stop is settled as
//                                         caught at the next begin, unless a park that the core
//                                         call asked for (`parkedAfterCore`) came first
//
// A Spinner touches no shared memory but the word it is given, and only reads it. It is used by
// one thread (no synchronisation).

/** Bounds of the budget (ms; see the header). */
export const SPIN_MIN_MS = 0.002;
export const SPIN_FIRST_MS = 0.02;
export const SPIN_MAX_MS = 0.1;
export const ASYNC_SPIN_MAX_MS = 0.05;
/** A gap between two reads of the clock while spinning longer than this: descheduled. */
const CONTENDED_MS = 0.02;
/** Loads of the word between two reads of the clock. */
const LOADS_PER_CHECK = 64;
/** The weight of one outcome in the moving averages. */
const WEIGHT = 1 / 8;
/** Probe intervals while not spinning: one wait in 2^k, k in these bounds. */
const PROBE_MIN_SHIFT = 4;
const PROBE_MAX_SHIFT = 10;

const pause: () => void =
  typeof (Atomics as unknown as { pause?: () => void }).pause === "function"
    ? (Atomics as unknown as { pause: () => void }).pause.bind(Atomics)
    : () => {};

/** Options of a Spinner. */
export interface SpinnerOptions {
  /** The longest spin (ms) of a blocking wait; default SPIN_MAX_MS. */
  readonly maxMs?: number;
  /** Offers the CPU to another runnable thread (sched_yield), asked at every read of the
   *  clock; a yield that kept the CPU away says the machine is contended. */
  readonly yieldCpu?: () => void;
  /** Never learn: spin SPIN_FIRST_MS every time (a parker without a spinner of its own). */
  readonly fixed?: boolean;
}

/** The adaptive spin of one parker (see the header of src/wait/spin.ts). */
export class Spinner {
  readonly #maxMs: number;
  readonly #yieldCpu: (() => void) | undefined;
  readonly #fixed: boolean;
  #paid = 1;
  #caughtMs = SPIN_FIRST_MS / 4;
  #sinceProbe = 0;
  #probeShift = PROBE_MIN_SHIFT;
  /** The current spin is a probe (see the header). */
  #probing = false;
  /** The core spin begun by `begin`: async or not, its first ask (-1 before it), its last
   *  ask, its length, whether it ran out, and (after `end`) its unsettled length or -1. */
  #async = false;
  #start = -1;
  #last = 0;
  #limit = 0;
  #ranOut = false;
  #pendingMs = -1;

  constructor(options: SpinnerOptions = {}) {
    this.#maxMs = options.maxMs ?? SPIN_MAX_MS;
    this.#yieldCpu = options.yieldCpu;
    this.#fixed = options.fixed ?? false;
  }

  /** The length (ms) of the next blocking spin that is not a probe. */
  get budgetMs(): number {
    if (this.#fixed) return SPIN_FIRST_MS;
    if (this.#paid < 0.5) return SPIN_MIN_MS;
    return Math.min(this.#maxMs, Math.max(SPIN_FIRST_MS, 4 * this.#caughtMs));
  }

  /** The length of the spin about to start; decides whether it is a probe. */
  #plan(async: boolean): number {
    const cap = async ? Math.min(ASYNC_SPIN_MAX_MS, this.#maxMs) : this.#maxMs;
    let ms = this.budgetMs;
    this.#probing = false;
    if (ms <= SPIN_MIN_MS && ++this.#sinceProbe >= 1 << this.#probeShift) {
      this.#sinceProbe = 0;
      this.#probing = true;
      ms = cap;
    }
    return Math.min(ms, cap);
  }

  /** Learns from a spin that saw the change after `ms` (caught) or ran out. */
  #outcome(caught: boolean, ms: number): void {
    if (this.#fixed) return;
    if (this.#probing) {
      this.#probing = false;
      if (caught) {
        // spin at least as long as the probe needed (4 x that, within the cap) from now on
        this.#paid = 0.75;
        this.#caughtMs = Math.max(this.#caughtMs, ms);
        this.#probeShift = PROBE_MIN_SHIFT;
      } else if (this.#probeShift < PROBE_MAX_SHIFT) this.#probeShift++;
      return;
    }
    if (caught) this.#caughtMs += (ms - this.#caughtMs) * WEIGHT;
    this.#paid += ((caught ? 1 : 0) - this.#paid) * WEIGHT;
  }

  #contended(): void {
    this.#probing = false;
    if (!this.#fixed) this.#paid = 0;
  }

  /**
   * Re-reads `words[index]` while it holds `expected`, for at most the planned spin (see the
   * header): true as soon as it changed, false when the spin ran out or the CPU was contended.
   */
  spin(words: Int32Array, index: number, expected: number, async: boolean): boolean {
    // a change within the first loads teaches nothing: there was no wait to spin through
    for (let i = 0; i < LOADS_PER_CHECK; i++) {
      if (Atomics.load(words, index) !== expected) return true;
      pause();
    }
    const ms = this.#plan(async);
    const yieldCpu = this.#yieldCpu;
    const start = performance.now();
    const end = start + ms;
    let t = start;
    for (;;) {
      for (let i = 0; i < LOADS_PER_CHECK; i++) {
        if (Atomics.load(words, index) !== expected) {
          this.#outcome(true, performance.now() - start);
          return true;
        }
        pause();
      }
      const before = t;
      yieldCpu?.();
      t = performance.now();
      if (t - before > CONTENDED_MS) {
        this.#contended();
        return Atomics.load(words, index) !== expected;
      }
      if (t >= end) {
        this.#outcome(false, 0);
        return false;
      }
    }
  }

  /** A core call that may spin (through spinOn) is about to run. */
  begin(async: boolean): void {
    if (this.#pendingMs >= 0) {
      this.#outcome(true, this.#pendingMs);
      this.#pendingMs = -1;
    }
    this.#start = -1;
    this.#async = async;
  }

  /** Whether the core's spin begun at the last `begin` may go on (the core's env.spin). */
  spinOn(): boolean {
    let t = performance.now();
    if (this.#start < 0) {
      this.#start = t;
      this.#limit = this.#plan(this.#async);
      this.#ranOut = false;
    } else if (this.#ranOut) return false;
    else if (t - this.#last > CONTENDED_MS) return this.#stop(true);
    const yieldCpu = this.#yieldCpu;
    if (yieldCpu) {
      yieldCpu();
      const after = performance.now();
      if (after - t > CONTENDED_MS) return this.#stop(true);
      t = after;
    }
    this.#last = t;
    if (t - this.#start < this.#limit) return true;
    return this.#stop(false);
  }

  #stop(contended: boolean): false {
    this.#ranOut = true;
    if (contended) this.#contended();
    else this.#outcome(false, 0);
    return false;
  }

  /** The core call begun by `begin` returned: a spin it made that did not run out is settled
   *  as caught at the next begin, unless parkedAfterCore comes first. */
  end(): void {
    if (this.#start >= 0 && !this.#ranOut) this.#pendingMs = performance.now() - this.#start;
    this.#start = -1;
  }

  /** A park right after a core call: a spin of that call that did not run out still did not
   *  see the change (the core stopped it at its own bound). */
  parkedAfterCore(): void {
    if (this.#pendingMs < 0) return;
    this.#pendingMs = -1;
    this.#outcome(false, 0);
  }
}
