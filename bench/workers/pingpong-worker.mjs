// pingpong-worker.mjs — the echoing side of the "pingpong" scenario over shared memory.
//   "sabre": blocking pop from ring `a`, push the same number to ring `b` (through the adapter);
//            a negative number ends the loop. "sabre-spin": the same, but up to SPINS tryPop
//            calls in JS before the blocking pop (diagnostic: a longer spin than the core's).
//   "wait":  Atomics.wait on PING until it changes, store it to PONG, Atomics.notify (parks
//            every time the main thread is not already done).
//   "spin":  the same words, but spin up to SPINS re-reads before each Atomics.wait.
// Words (lib/pingpong-words): PING at word 0, PONG at word 16 (separate 64-byte lines).
import { parentPort, workerData } from "node:worker_threads";
import { PING, PONG, SPINS } from "../lib/pingpong-words.mjs";

const { kind, a, b, words: sab } = workerData;

if (kind === "sabre" || kind === "sabre-spin") {
  const { ringFrom, ringOps } = await import("../lib/sabre-ring.mjs");
  const inbox = ringOps(ringFrom(a));
  const outbox = ringOps(ringFrom(b));
  const spins = kind === "sabre-spin" ? SPINS : 0;
  parentPort.postMessage("ready");
  for (;;) {
    let v = spins ? inbox.tryPop() : undefined;
    for (let i = 1; v === undefined && i < spins; i++) v = inbox.tryPop();
    if (v === undefined) v = inbox.pop();
    if (v < 0) break;
    outbox.push(v);
  }
} else {
  const w = new Int32Array(sab);
  const spins = kind === "spin" ? SPINS : 0;
  parentPort.postMessage("ready");
  let last = 0;
  for (;;) {
    let v = Atomics.load(w, PING);
    for (let i = 0; v === last && i < spins; i++) v = Atomics.load(w, PING);
    while (v === last) {
      Atomics.wait(w, PING, last);
      v = Atomics.load(w, PING);
    }
    if (v < 0) break;
    last = v;
    Atomics.store(w, PONG, v);
    Atomics.notify(w, PONG, 1);
  }
}
