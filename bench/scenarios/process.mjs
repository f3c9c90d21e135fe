// process.mjs — scenario "process": small objects {id, name, values: [4 numbers]} between two
// PROCESSES, sabre's Channel on a file-backed region (sabre/node createRegion + spawnProcess)
// beside the ways Node processes usually talk:
//   process.send, json        child_process.fork, serialization "json"
//   process.send, advanced    child_process.fork, serialization "advanced" (structured clone)
//   Unix socket + msgpack     a Unix domain socket (a socket file in the temp directory, never
//                             a network address) carrying [u32 length][msgpack] frames
// and the same Channel between two THREADS (Region.create + spawnWorker), so the price of
// crossing a process is printed. Two measurements per transport:
//   throughput   the main process sends K objects and an end marker; the child counts them
//                and answers the count; one sample = K objects delivered
//   round trip   the main process sends one object, the child echoes it back; one sample =
//                one round trip (the Channel side blocks in recv; the others await a message)
// Needs the native addon (sabre/node); without it the sabre tasks are reported SKIPPED.
import { fork } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrames, frameParser } from "../lib/msgpack-frames.mjs";
import { Channel, Region, createRegion, nativeProblem, spawnProcess, spawnWorker } from "sabre/node";

export const title = "small objects between two processes: Channel vs process.send vs a Unix socket (and vs threads)";
export const description = "Throughput (K objects per sample) and round trip (one per sample), main process <-> child process.";

const peer = new URL("../workers/process-peer.mjs", import.meta.url);
const object = (id) => ({ id, name: "item", values: [id, id + 1, id + 2, id + 3] });
const K_SABRE = 20000;
const K_BASE = 5000;

/** Framed msgpack over a connected socket: send(values) in one write, next() the next value. */
function framed(socket) {
  const waiters = [];
  const values = [];
  socket.on("data", frameParser((v) => {
    if (waiters.length) waiters.shift()(v);
    else values.push(v);
  }));
  return {
    send: (list) => socket.write(encodeFrames(list)),
    next: () => (values.length ? Promise.resolve(values.shift()) : new Promise((resolve) => waiters.push(resolve))),
  };
}

function ipcNext(child) {
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`child exited with code ${code} during the benchmark`));
    child.once("exit", onExit);
    child.once("message", (v) => {
      child.off("exit", onExit);
      resolve(v);
    });
  });
}

export async function define() {
  const tasks = [];
  const ratios = [];
  const skipped = [];
  const cleanups = [];
  const notes = [];
  const tput = (name, role, k, fn, beforeAll) =>
    tasks.push({ name: `${name}, throughput`, role, async: true, itemsPerSample: k, sampleIs: `${k} objects delivered`, fn, beforeAll });
  const rtt = (name, role, fn, beforeAll, async = true) =>
    tasks.push({ name: `${name}, round trip`, role, async, sampleIs: "one round trip", fn, beforeAll });

  // sabre Channel between processes, and between threads
  const channelPair = (region) => ({
    sink: Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20 }),
    sinkBack: Channel.create(region, { capacity: 4, bufferBytes: 4096 }),
    echo: Channel.create(region, { capacity: 1, bufferBytes: 4096 }),
    echoBack: Channel.create(region, { capacity: 1, bufferBytes: 4096 }),
  });
  const sabreTasks = (label, c, start) => {
    let seq = 0;
    tput(label, "sabre", K_SABRE, async () => {
      for (let i = 0; i < K_SABRE; i++) c.sink.send(object(i));
      c.sink.send({ end: 1 });
      const n = c.sinkBack.recv({ timeout: 30_000 });
      if (n !== K_SABRE) throw new Error(`${label}: ${n} of ${K_SABRE} arrived`);
    }, () => start("sink"));
    rtt(label, "sabre", () => {
      seq = (seq + 1) & 0x3fffffff;
      c.echo.send(object(seq));
      if (c.echoBack.recv({ timeout: 30_000 }).id !== seq) throw new Error(`${label}: wrong echo`);
    }, () => start("echo"), false);
    cleanups.push(() => {
      for (const ch of [c.sink, c.echo]) ch.close();
    });
  };
  const problem = nativeProblem();
  const PROC = "sabre Channel, processes";
  const THREADS = "sabre Channel, threads";
  if (problem) {
    skipped.push({ task: PROC, reason: problem });
  } else {
    const c = channelPair(createRegion({ size: 8 << 20 }));
    const started = {};
    sabreTasks(PROC, c, (role) => {
      started[role] ??= spawnProcess(peer, { argv: ["sabre"], data: role === "sink" ? { ch: c.sink, back: c.sinkBack, role } : { ch: c.echo, back: c.echoBack, role } });
      cleanups.push(() => started[role].exited.catch(() => {}));
    });
  }
  {
    const c = channelPair(Region.create({ size: 8 << 20 }));
    const started = {};
    sabreTasks(THREADS, c, (role) => {
      started[role] ??= spawnWorker(peer, { data: role === "sink" ? { ch: c.sink, back: c.sinkBack, role } : { ch: c.echo, back: c.echoBack, role } });
      cleanups.push(() => started[role].exited.catch(() => {}));
    });
  }

  // process.send, json and advanced
  for (const serialization of ["json", "advanced"]) {
    const label = `process.send (${serialization})`;
    const kids = {};
    const child = (role) => {
      kids[role] ??= fork(peer, ["ipc", role], { serialization, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      return kids[role];
    };
    tput(label, "baseline", K_BASE, async () => {
      const c = child("sink");
      const answer = ipcNext(c);
      for (let i = 0; i < K_BASE; i++) c.send(object(i));
      c.send({ end: 1 });
      const n = await answer;
      if (n !== K_BASE) throw new Error(`${label}: ${n} of ${K_BASE} arrived`);
    }, () => void child("sink"));
    let seq = 0;
    rtt(label, "baseline", async () => {
      const c = child("echo");
      seq = (seq + 1) & 0x3fffffff;
      const answer = ipcNext(c);
      c.send(object(seq));
      if ((await answer).id !== seq) throw new Error(`${label}: wrong echo`);
    }, () => void child("echo"));
    cleanups.push(() => {
      for (const c of Object.values(kids)) c.disconnect();
    });
  }

  // a Unix domain socket with length-prefixed msgpack frames
  {
    const label = "Unix socket + msgpack frames";
    const dir = mkdtempSync(join(tmpdir(), "sabre-bench-"));
    const conns = {};
    const servers = [];
    const open = (role) => {
      conns[role] ??= new Promise((resolve, reject) => {
        const path = join(dir, `${role}.sock`);
        const server = createServer((socket) => resolve({ io: framed(socket), socket }));
        servers.push(server);
        server.on("error", reject);
        server.listen(path, () => {
          const kid = fork(peer, ["uds", path, role], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
          kid.on("exit", (code) => code && reject(new Error(`socket child exited with code ${code}`)));
        });
      });
      return conns[role];
    };
    tput(label, "baseline", K_BASE, async () => {
      const { io } = await open("sink");
      const batch = [];
      for (let i = 0; i < K_BASE; i++) batch.push(object(i));
      batch.push({ end: 1 });
      const answer = io.next();
      io.send(batch);
      const n = await answer;
      if (n !== K_BASE) throw new Error(`${label}: ${n} of ${K_BASE} arrived`);
    }, () => open("sink"));
    let seq = 0;
    rtt(label, "baseline", async () => {
      const { io } = await open("echo");
      seq = (seq + 1) & 0x3fffffff;
      const answer = io.next();
      io.send([object(seq)]);
      if ((await answer).id !== seq) throw new Error(`${label}: wrong echo`);
    }, () => open("echo"));
    cleanups.push(async () => {
      for (const c of Object.values(conns)) (await c).socket.destroy();
      for (const s of servers) s.close();
      rmSync(dir, { recursive: true, force: true });
    });
  }

  for (const base of ["process.send (json)", "process.send (advanced)", "Unix socket + msgpack frames", THREADS]) {
    const target = base === "process.send (json)" ? { by: "mean", minSpeedup: 20, text: ">= 20x process.send" }
      : base.startsWith("Unix") ? { by: "mean", minSpeedup: 3, text: ">= 3x the Unix socket" }
      : base === THREADS ? { by: "mean", minSpeedup: 0.8, text: "processes within 1.25x of threads" } : undefined;
    ratios.push({ sabre: `${PROC}, throughput`, baseline: `${base}, throughput`, ...(target ? { target } : {}) });
    ratios.push({
      sabre: `${PROC}, round trip`, baseline: `${base}, round trip`, by: "p50", latencyRatios: true,
      ...(base === "process.send (json)" ? { target: { minSpeedup: 10, text: ">= 10x lower median than process.send" } } : {}),
    });
  }
  notes.push(
    "throughput: items/s = objects/s from the main process to the child, each one encoded, carried and decoded; " +
      "the socket writes each sample's frames in one write, process.send queues one message per object",
    "round trip: the Channel side blocks in recv (spin, then futex); process.send and the socket await the reply on the event loop",
  );
  return {
    unit: "objects/s",
    tasks,
    ratios,
    notes,
    skipped,
    timeScale: 2,
    teardown: async () => {
      for (const c of cleanups) await c();
    },
  };
}
