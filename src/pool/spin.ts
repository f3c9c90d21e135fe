// spin.ts — AdaptiveSpin: whether to poll before parking, learnt from whether polls pay.
//
// Polling pays only when the awaited event comes within the poll: a parked thread's wake-up
// costs ~15-35 us (DESIGN.md, "Waiting"), while a poll that comes up empty costs its whole
// length and, on a machine with more runnable threads than cores, takes the CPU from the very
// thread it waits for (measured here under load: polling on either side made a round trip
// slower than parking on both). So a poll of `max` microseconds runs while most recent polls
// caught their event early, within a quarter of `max` (a running score, +1 for an early
// catch, -1 otherwise, kept in [-4, 4]): a late catch means the other thread was not running
// either, and parking would have cost little more. After misses it stops, except one probe
// every PROBE_EVERY waits, so that a machine that becomes quiet again is noticed.
const PROBE_EVERY = 16;
const SCORE_MAX = 4;

export class AdaptiveSpin {
  #score = SCORE_MAX;
  #waits = 0;
  constructor(readonly max: number) {}

  /** Microseconds to poll before the next park (0: park at once). */
  budget(): number {
    if (this.#score > 0) return this.max;
    return ++this.#waits % PROBE_EVERY === 0 ? this.max : 0;
  }

  /** Records a poll's outcome: whether the event came within it, and after how long (us). */
  record(caught: boolean, micros: number): void {
    const early = caught && micros * 4 <= this.max;
    this.#score = early ? Math.min(SCORE_MAX, this.#score + 1) : Math.max(-SCORE_MAX, this.#score - 1);
  }
}
