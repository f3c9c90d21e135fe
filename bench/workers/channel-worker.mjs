// channel-worker.mjs — one side of the "channel" scenarios. Transports: "sabre" (a Channel,
// blocking send/recv; with `batch`, the producer sends with sendMany in batches of that many;
// with `recvBatch`, the consumer receives with recvMany of up to that many; with `into`, the
// consumer receives raw payloads with recvInto into one reused buffer),
// "sabre-zc" (a Channel's zero-copy forms: reserve + fill + commit,
// recvView + check + release), "sabre-parts" (sendParts / recvParts: zero-copy across fragments;
// with `recycle`, "sabre" consumers give each received array back) and "post" (a MessagePort). Roles: "producer" sends `items` values of
// `payload` per round; "consumer" receives and checks them (the id field, the length, or the
// first byte), then reports the round done (lib/control.mjs); "echo" sends back every value it
// receives (round trips), until the channel closes or the port does.
import { parentPort, workerData } from "node:worker_threads";
import { finishRound, STOP, waitRound } from "../lib/control.mjs";
import { Channel } from "sabre";

const { transport, role, channel, back, port, items, payload, control, batch, recvBatch, into, recycle } = workerData;
const words = control ? new Int32Array(control) : undefined;

function makeValue(i) {
  if (payload === "small") return { id: i, name: "item", values: [i, i + 1, i + 2, i + 3] };
  if (payload === "str1k") return "x".repeat(1023) + String.fromCharCode(65 + (i % 26));
  const bytes = new Uint8Array(payload === "u64k" ? 65536 : 1 << 20);
  bytes[0] = i & 255;
  return bytes;
}
const checkValue = (v, i) => {
  if (payload === "small") return v.id === i && v.values[3] === i + 3;
  if (payload === "str1k") return v.length === 1024 && v.charCodeAt(1023) === 65 + (i % 26);
  return v[0] === (i & 255) && v.length === (payload === "u64k" ? 65536 : 1 << 20);
};
// large payloads: one buffer reused by the producer (the copy into the ring or the structured
// clone is what is measured, not building the value)
const fixed = payload === "u64k" || payload === "u1m" ? makeValue(0) : undefined;
const valueOf = (i) => {
  if (!fixed) return makeValue(i);
  fixed[0] = i & 255;
  return fixed;
};

/** The zero-copy transports' one message each way: "sabre-zc" reserve + set + commit /
 *  recvView + check + release (one fragment); "sabre-parts" sendParts filling each ring window
 *  from the producer's buffer / recvParts reading each fragment in place (any size). */
const zeroCopy = {
  "sabre-zc": {
    send(ch, value) {
      ch.reserve(value.length).set(value); // the producer's one copy: its data into the ring
      ch.commit();
    },
    check(ch, i) {
      const ok = checkValue(ch.recvView(), i);
      ch.release();
      return ok;
    },
  },
  "sabre-parts": {
    send(ch, value) {
      ch.sendParts(value.length, (part, offset) => part.set(value.subarray(offset, offset + part.length)));
    },
    check(ch, i) {
      let first = -1;
      const n = ch.recvParts((part, offset) => {
        if (offset === 0) first = part[0];
      });
      return n === fixed.length && first === (i & 255);
    },
  },
};

if (transport in zeroCopy) {
  const { send, check } = zeroCopy[transport];
  const ch = Channel.from(channel);
  parentPort.postMessage("ready");
  let round = 0;
  for (;;) {
    round = waitRound(words, round);
    if (round === STOP) break;
    if (role === "producer") {
      for (let i = 1; i <= items; i++) send(ch, valueOf(i));
    } else {
      let errors = 0;
      for (let i = 1; i <= items; i++) if (!check(ch, i)) errors++;
      finishRound(words, round, errors);
    }
  }
} else if (transport === "sabre") {
  const ch = Channel.from(channel);
  if (role === "producer") {
    parentPort.postMessage("ready");
    let round = 0;
    for (;;) {
      round = waitRound(words, round);
      if (round === STOP) break;
      if (batch) {
        for (let i = 1; i <= items; i += batch) {
          const values = [];
          for (let j = i; j < i + batch && j <= items; j++) values.push(valueOf(j));
          ch.sendMany(values);
        }
      } else {
        for (let i = 1; i <= items; i++) ch.send(valueOf(i));
      }
    }
  } else if (role === "consumer") {
    parentPort.postMessage("ready");
    let round = 0;
    for (;;) {
      round = waitRound(words, round);
      if (round === STOP) break;
      let errors = 0;
      if (recvBatch) {
        for (let i = 1; i <= items; ) {
          for (const v of ch.recvMany(Math.min(recvBatch, items - i + 1))) if (!checkValue(v, i++)) errors++;
        }
      } else if (recycle) {
        // recv, then the array back to the channel for the next receive
        for (let i = 1; i <= items; i++) {
          const v = ch.recv();
          if (!checkValue(v, i)) errors++;
          ch.recycle(v);
        }
      } else if (into) {
        const buf = new Uint8Array(fixed.length);
        for (let i = 1; i <= items; i++) if (!checkValue(ch.recvInto(buf), i)) errors++;
      } else {
        for (let i = 1; i <= items; i++) if (!checkValue(ch.recv(), i)) errors++;
      }
      finishRound(words, round, errors);
    }
  } else if (role === "echo") {
    const out = Channel.from(back);
    parentPort.postMessage("ready");
    try {
      for (const v of ch) out.send(v);
    } catch (error) {
      if (error.name !== "ClosedError") throw error;
    }
  }
} else if (role === "producer") {
  parentPort.postMessage("ready");
  let round = 0;
  for (;;) {
    round = waitRound(words, round);
    if (round === STOP) break;
    for (let i = 1; i <= items; i++) port.postMessage(valueOf(i));
  }
  port.close();
} else if (role === "consumer") {
  let next = 1;
  let errors = 0;
  let round = 0;
  port.on("message", (v) => {
    if (!checkValue(v, next)) errors++;
    if (next++ === items) {
      finishRound(words, ++round, errors);
      next = 1;
      errors = 0;
    }
  });
  parentPort.postMessage("ready");
}
