// ring-worker.mjs — one side (producer or consumer) of the "ring" scenario over shared memory:
// sabre's RingBuffer one item per call ("sabre"), sabre's RingBuffer batched ("sabre-batch"),
// sabre's RingBuffer through tryPush/tryPop spinning like the plain ring ("sabre-spin"),
// sabre's RingBuffer batched with ordinary arrays ("sabre-batch-copy": copied through the
// ring's scratch block), the hand-written plain-JS SPSC ring ("plain"), or ringbuf.js 0.4's
// SPSC ring ("ringbuf": push/pop of a whole batch of `batch` items per call, spinning on
// available_write/available_read until it fits or is there; it has no blocking form), or
// sabre's SpscRing ("spsc": blocking push/pop per item; "spsc-batch": blocking pushMany/popMany
// of `batch` items in ordinary Int32Arrays). Each round moves items 1..K;
// the consumer checks every item (value and order), then reports the round done
// (lib/control.mjs).
import { parentPort, workerData } from "node:worker_threads";
import { finishRound, STOP, waitRound } from "../lib/control.mjs";
import { PlainRingConsumer, PlainRingProducer, SPINS } from "../lib/plain-ring.mjs";

const { transport, role, ring, items, batch, control } = workerData;
const words = new Int32Array(control);

let produce;
let consume;
if (transport === "ringbuf") {
  const { RingBuffer } = await import("ringbuf.js");
  const rb = new RingBuffer(ring, Int32Array);
  const buf = new Int32Array(batch);
  if (role === "producer") {
    produce = (k) => {
      for (let base = 1; base <= k; base += batch) {
        const n = Math.min(batch, k - base + 1);
        for (let j = 0; j < n; j++) buf[j] = base + j;
        while (rb.available_write() < n); // whole batches, as pushMany's callers see them
        rb.push(buf, n);
      }
    };
  } else {
    consume = (k) => {
      let errors = 0;
      let next = 1;
      while (next <= k) {
        const want = Math.min(batch, k - next + 1);
        while (rb.available_read() < want);
        const c = rb.pop(buf, want);
        for (let j = 0; j < c; j++) if (buf[j] !== next++) errors++;
      }
      return errors;
    };
  }
} else if (transport === "spsc" || transport === "spsc-batch") {
  // sabre's SpscRing: blocking push/pop per item, or blocking pushMany/popMany of ordinary
  // Int32Arrays of `batch` items (pushMany returns once all are in; popMany takes what is there)
  const { SpscRing } = await import("sabre");
  const rb = SpscRing.from(ring);
  const buf = new Int32Array(batch);
  if (transport === "spsc") {
    if (role === "producer") {
      produce = (k) => {
        for (let i = 1; i <= k; i++) rb.push(i);
      };
    } else {
      consume = (k) => {
        let errors = 0;
        for (let i = 1; i <= k; i++) if (rb.pop() !== i) errors++;
        return errors;
      };
    }
  } else if (role === "producer") {
    produce = (k) => {
      for (let base = 1; base <= k; base += batch) {
        const n = Math.min(batch, k - base + 1);
        for (let j = 0; j < n; j++) buf[j] = base + j;
        rb.pushMany(n === batch ? buf : buf.subarray(0, n));
      }
    };
  } else {
    consume = (k) => {
      let errors = 0;
      let next = 1;
      while (next <= k) {
        const c = rb.popMany(k - next + 1 >= batch ? buf : buf.subarray(0, k - next + 1));
        for (let j = 0; j < c; j++) if (buf[j] !== next++) errors++;
      }
      return errors;
    };
  }
} else if (transport === "plain") {
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
  const { batchBuffer, ringFrom, ringOps } = await import("../lib/sabre-ring.mjs");
  const attached = ringFrom(ring);
  const ops = ringOps(attached);
  const inRegion = transport === "sabre-batch";
  if (transport === "sabre-spin") {
    // diagnostic: the plain ring's waiting policy on sabre's ring: try calls, spinning up to
    // SPINS fruitless attempts in JS before one blocking call (which may park in the core)
    if (role === "producer") {
      produce = (k) => {
        for (let i = 1; i <= k; i++) {
          if (ops.tryPush(i)) continue;
          let spins = 0;
          while (!ops.tryPush(i)) {
            if (++spins === SPINS) {
              ops.push(i);
              break;
            }
          }
        }
      };
    } else {
      consume = (k) => {
        let errors = 0;
        for (let i = 1; i <= k; i++) {
          let v = ops.tryPop();
          for (let spins = 0; v === undefined; ) v = ++spins === SPINS ? ops.pop() : ops.tryPop();
          if (v !== i) errors++;
        }
        return errors;
      };
    }
  } else if (transport === "sabre") {
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
    const buf = batchBuffer(attached, batch, inRegion);
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
    const buf = batchBuffer(attached, batch, inRegion);
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
