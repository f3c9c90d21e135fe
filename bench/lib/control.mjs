// control.mjs — starts rounds of work in worker threads and waits for them, through shared
// memory rather than postMessage (whose own ~50 µs latency must not enter the measurement).
//
//   word  name    written by   meaning
//   0     GO      main         round number to run (increments); STOP (-1) asks workers to exit
//   16    DONE    finisher     last round completed (the consumer writes it, then notifies)
//   32    ERRORS  finisher     verification errors seen in that round (0 = every item checked)
// Words sit on separate 64-byte lines. Main awaits DONE with Atomics.waitAsync (its event loop
// stays free); workers block on GO with Atomics.wait.
export const GO = 0;
export const DONE = 16;
export const ERRORS = 32;
export const STOP = -1;

export function createControl() {
  return new SharedArrayBuffer(3 * 64);
}

/** Main-thread side. */
export class Controller {
  constructor(sab) {
    this.sab = sab;
    this.words = new Int32Array(sab);
    this.round = 0;
  }

  /** Starts the next round and resolves when a worker reports it done; throws on errors. */
  async runRound() {
    const w = this.words;
    const round = ++this.round;
    Atomics.store(w, GO, round);
    Atomics.notify(w, GO);
    for (;;) {
      const done = Atomics.load(w, DONE);
      if (done === round) break;
      const r = Atomics.waitAsync(w, DONE, done);
      if (r.async) await r.value;
    }
    const errors = Atomics.load(w, ERRORS);
    if (errors !== 0) throw new Error(`round ${round}: the consumer saw ${errors} wrong, missing or reordered items`);
  }

  stop() {
    Atomics.store(this.words, GO, STOP);
    Atomics.notify(this.words, GO);
  }
}

/** Worker side: blocks until a round after `last` starts; returns it, or STOP. */
export function waitRound(words, last) {
  for (;;) {
    const go = Atomics.load(words, GO);
    if (go === STOP || go !== last) return go;
    Atomics.wait(words, GO, go);
  }
}

/** Worker side, for event-loop workers that must not block: the async form of waitRound. */
export async function waitRoundAsync(words, last) {
  for (;;) {
    const go = Atomics.load(words, GO);
    if (go === STOP || go !== last) return go;
    const r = Atomics.waitAsync(words, GO, go);
    if (r.async) await r.value;
  }
}

/** Worker side: reports `round` finished with `errors` verification errors. */
export function finishRound(words, round, errors) {
  Atomics.store(words, ERRORS, errors);
  Atomics.store(words, DONE, round);
  Atomics.notify(words, DONE);
}
