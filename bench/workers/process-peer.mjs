// process-peer.mjs — the far side of scenario "process": a child process (or a worker thread)
// that either SINKS small objects (counts them; on {end: n} answers n, the count, so the
// sender knows all arrived) or ECHOES each one back. argv[2] picks the transport:
//   sabre    started by spawnProcess (data { ch, back, role }): Channel recv / send
//   thread   started by spawnWorker, same data and protocol, on a worker thread
//   ipc      started by child_process.fork (json or advanced serialization): process.send
//   uds      argv[3] = a Unix socket path to connect to; frames [u32 length][msgpack value]
// argv[3] (or data.role) is "sink" or "echo". A value {id, b64} (a 64 KiB payload over json)
// is decoded from base64 when it is counted, as a json receiver of binary data must.
import { connect } from "node:net";
import { isMainThread } from "node:worker_threads";
import { encodeFrames, frameParser } from "../lib/msgpack-frames.mjs";
import { attachProcessData, attachWorkerData } from "sabre/node";

const transport = isMainThread ? process.argv[2] : "thread";

if (transport === "sabre" || transport === "thread") {
  const { ch, back, role } = transport === "sabre" ? await attachProcessData() : await attachWorkerData();
  let count = 0;
  for (;;) {
    let v;
    try {
      v = ch.recv();
    } catch (error) {
      if (error.name === "ClosedError") break;
      throw error;
    }
    if (role === "echo") back.send(v);
    else if (v.end !== undefined) {
      back.send(count);
      count = 0;
    } else count++;
  }
} else if (transport === "ipc") {
  const role = process.argv[3];
  let count = 0;
  process.on("message", (v) => {
    if (role === "echo") process.send(v);
    else if (v.end !== undefined) {
      process.send(count);
      count = 0;
    } else if (v.b64 === undefined || Buffer.from(v.b64, "base64").length > 0) count++;
  });
  process.on("disconnect", () => process.exit(0));
} else if (transport === "uds") {
  const [, , , path, role] = process.argv;
  const socket = connect(path);
  let count = 0;
  const parse = frameParser((v) => {
    if (role === "echo") out.push(v);
    else if (v.end !== undefined) {
      out.push(count);
      count = 0;
    } else count++;
  });
  let out = [];
  socket.on("data", (chunk) => {
    parse(chunk);
    if (out.length) socket.write(encodeFrames(out));
    out = [];
  });
  socket.on("close", () => process.exit(0));
}
