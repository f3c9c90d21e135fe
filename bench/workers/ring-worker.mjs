// ring-worker.mjs — one side (producer or consumer) of the "ring" scenario over shared memory:
// sabre's RingBuffer one item per call ("sabre"), sabre's RingBuffer batched ("sabre-batch"),
// or the hand-written plain-JS SPSC ring ("plain"). Each round moves items 1..K; the consumer
// checks every item (value and order), then reports the round done (lib/control.mjs).
import { parentPort, workerData } from "node:worker_threads";
import { finishRound, STOP, waitRound } from "../lib/control.mjs";
import { PlainRingConsumer, PlainRingProducer } from "../lib/plain-ring.mjs";

const { transport, role, ring, items, batch, control } = workerData;
const words = new Int32Array(control);

let produce;
let consume;
if (transport === "plain") {
  if (role === "producer") {
    const p = new PlainRingProducer(ring);
    produce = (k) => {
      for (let i = 1; i <= k; i++) p.push(i);
    };
  } else {
    const c = new PlainRingConsumer(ring);
    consume = (k) => {
      let errors = 0;
      for (let i = 1; i <= k; i++) if (c.pop() !== i) errors++;
      return errors;
    };
  }
} else {
  const { ringFrom, ringOps } = await import("../lib/sabre-ring.mjs");
  const ops = ringOps(ringFrom(ring));
  if (transport === "sabre") {
    if (role === "producer") {
      produce = (k) => {
        for (let i = 1; i <= k; i++) ops.push(i);
      };
    } else {
      consume = (k) => {
        let errors = 0;
        for (let i = 1; i <= k; i++) if (ops.pop() !== i) errors++;
        return errors;
      };
    }
  } else if (role === "producer") {
    // batched: pushMany as much of a batch as fits; when the ring is full (0 pushed), one
    // blocking push lets the ring's own spin-then-park do the waiting.
    const buf = new Int32Array(batch);
    produce = (k) => {
      for (let base = 1; base <= k; base += batch) {
        const n = Math.min(batch, k - base + 1);
        for (let j = 0; j < n; j++) buf[j] = base + j;
        let sent = 0;
        while (sent < n) {
          const c = ops.pushMany(sent === 0 && n === batch ? buf : buf.subarray(sent, n));
          if (c > 0) sent += c;
          else ops.push(buf[sent++]);
        }
      }
    };
  } else {
    const buf = new Int32Array(batch);
    consume = (k) => {
      let errors = 0;
      let next = 1;
      while (next <= k) {
        const c = ops.popMany(k - next + 1 >= batch ? buf : buf.subarray(0, k - next + 1));
        if (c > 0) {
          for (let j = 0; j < c; j++) if (buf[j] !== next++) errors++;
        } else if (ops.pop() !== next++) errors++;
      }
      return errors;
    };
  }
}

parentPort.postMessage("ready");
let round = 0;
for (;;) {
  round = waitRound(words, round);
  if (round === STOP) break;
  if (produce) produce(items);
  else finishRound(words, round, consume(items));
}
