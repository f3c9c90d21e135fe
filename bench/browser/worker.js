// worker.js — one side of a browser benchmark task, in a module Web Worker: the "ring"
// scenario's producer and consumer (bench/workers/ring-worker.mjs and message-worker.mjs in
// Node) over sabre's RingBuffer (one item per call, or batched), the plain-JS SPSC ring
// (bench/lib/plain-ring.mjs), or a MessagePort; and the "channel" scenario's sides (a Channel
// with blocking send/recv, or a MessagePort) for small objects (payload "small"). Rounds start and finish through the same
// shared-memory control words as in Node (bench/lib/control.mjs), so postMessage's own latency
// never enters a shared-memory measurement. The first message is the task's spec; the worker
// answers "ready" once set up.
import { finishRound, STOP, waitRound } from "../lib/control.mjs";
import { PlainRingConsumer, PlainRingProducer } from "../lib/plain-ring.mjs";
import { Channel, RingBuffer } from "../../dist/browser/sabre.js";

/** The "channel" scenario's small object (as bench/workers/channel-worker.mjs in Node). */
const smallValue = (i) => ({ id: i, name: "item", values: [i, i + 1, i + 2, i + 3] });
const smallOk = (v, i) => v.id === i && v.values[3] === i + 3;

self.onmessage = ({ data }) => {
  self.onmessage = null;
  const { transport, role, ring, items, batch, control, port, batchOffset, payload, channel } = data;
  const words = new Int32Array(control);
  let produce;
  let consume;

  const small = payload === "small";
  if (transport === "channel") {
    const ch = Channel.from(channel);
    if (role === "producer") {
      produce = (k) => {
        for (let i = 1; i <= k; i++) ch.send(smallValue(i));
      };
    } else {
      consume = (k) => {
        let errors = 0;
        for (let i = 1; i <= k; i++) if (!smallOk(ch.recv(), i)) errors++;
        return errors;
      };
    }
  } else if (transport === "message") {
    if (role === "producer") {
      produce = (k) => {
        for (let i = 1; i <= k; i++) port.postMessage(small ? smallValue(i) : i);
      };
    } else {
      // an event-loop consumer: counts and checks, finishes the round on the K-th message
      let next = 1;
      let errors = 0;
      let round = 0;
      port.onmessage = ({ data: v }) => {
        if (small ? !smallOk(v, next) : v !== next) errors++;
        if (next++ === items) {
          finishRound(words, ++round, errors);
          next = 1;
          errors = 0;
        }
      };
      self.postMessage("ready");
      return;
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
    const r = RingBuffer.from(ring);
    if (transport === "sabre") {
      if (role === "producer") {
        produce = (k) => {
          for (let i = 1; i <= k; i++) r.push(i);
        };
      } else {
        consume = (k) => {
          let errors = 0;
          for (let i = 1; i <= k; i++) if (r.pop() !== i) errors++;
          return errors;
        };
      }
    } else {
      // batched: buffers on the region's memory (zero copy), as in Node's ring scenario
      const buf = new Int32Array(r.region.memory.buffer, batchOffset, batch);
      if (role === "producer") {
        produce = (k) => {
          for (let base = 1; base <= k; base += batch) {
            const n = Math.min(batch, k - base + 1);
            for (let j = 0; j < n; j++) buf[j] = base + j;
            let sent = 0;
            while (sent < n) {
              const c = r.pushMany(sent === 0 && n === batch ? buf : buf.subarray(sent, n));
              if (c > 0) sent += c;
              else r.push(buf[sent++]);
            }
          }
        };
      } else {
        consume = (k) => {
          let errors = 0;
          let next = 1;
          while (next <= k) {
            const c = r.popMany(k - next + 1 >= batch ? buf : buf.subarray(0, k - next + 1));
            if (c > 0) {
              for (let j = 0; j < c; j++) if (buf[j] !== next++) errors++;
            } else if (r.pop() !== next++) errors++;
          }
          return errors;
        };
      }
    }
  }

  self.postMessage("ready");
  let round = 0;
  for (;;) {
    round = waitRound(words, round); // blocking on the control word: allowed in a worker
    if (round === STOP) break;
    if (produce) produce(items);
    else finishRound(words, round, consume(items));
  }
  self.postMessage("stopped");
};
