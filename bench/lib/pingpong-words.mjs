// pingpong-words.mjs — the shared words and the main-thread side of the hand-written
// Atomics ping-pong baselines (the echoing side is workers/pingpong-worker.mjs).
export const PING = 0; // main writes the round-trip number, then notifies
export const PONG = 16; // the worker echoes it, then notifies
export const SPINS = 2000; // re-reads before parking in the "spin" variant
const TIMEOUT_MS = 10_000;

export function createWords() {
  return new SharedArrayBuffer(2 * 64);
}

/** One round trip from the main thread: returns nothing, throws if the echo never comes. */
export function pingOnce(w, seq, spins) {
  Atomics.store(w, PING, seq);
  Atomics.notify(w, PING, 1);
  let v = Atomics.load(w, PONG);
  for (let i = 0; v !== seq && i < spins; i++) v = Atomics.load(w, PONG);
  while (v !== seq) {
    if (Atomics.wait(w, PONG, v, TIMEOUT_MS) === "timed-out") throw new Error(`no pong for ping ${seq} in ${TIMEOUT_MS} ms`);
    v = Atomics.load(w, PONG);
  }
}

/** Ends the echoing worker's loop. */
export function stopWords(w) {
  Atomics.store(w, PING, -1);
  Atomics.notify(w, PING, 1);
}
