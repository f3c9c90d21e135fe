// message-worker.mjs — the postMessage baseline's threads: "producer" posts the numbers
// 1..K one message each on a MessagePort per round; "consumer" counts and checks them and
// reports the round done when the K-th arrives; "echo" answers each message with the same
// number (ping-pong). The port comes in workerData (transferred from a MessageChannel).
import { parentPort, workerData } from "node:worker_threads";
import { finishRound, STOP, waitRound } from "../lib/control.mjs";

const { role, port, items, control } = workerData;
const words = new Int32Array(control);

if (role === "producer") {
  parentPort.postMessage("ready");
  let round = 0;
  for (;;) {
    round = waitRound(words, round); // blocking is fine: this side only sends
    if (round === STOP) break;
    for (let i = 1; i <= items; i++) port.postMessage(i);
  }
  port.close();
} else if (role === "consumer") {
  let next = 1;
  let errors = 0;
  let round = 0;
  port.on("message", (v) => {
    if (v !== next) errors++;
    if (next++ === items) {
      finishRound(words, ++round, errors);
      next = 1;
      errors = 0;
    }
  });
  parentPort.postMessage("ready");
} else if (role === "echo") {
  port.on("message", (v) => port.postMessage(v));
  parentPort.postMessage("ready");
} else {
  throw new Error(`message-worker: unknown role ${role}`);
}
