// process.mjs — scenario "process": messages between two PROCESSES, sabre's Channel on a
// file-backed region (sabre/node createRegion + spawnProcess) beside the ways Node processes
// usually talk:
//   process.send, json        child_process.fork, serialization "json"
//   process.send, advanced    child_process.fork, serialization "advanced" (structured clone)
//   Unix socket + msgpack     a Unix domain socket (a socket file in the temp directory, never
//                             a network address) carrying [u32 length][msgpack] frames
// and the same Channel between two THREADS (Region.create + spawnWorker), so the price of
// crossing a process is printed. Two payloads:
//   small objects   {id, name, values: [4 numbers]}
//   64 KiB          {id, bytes: a 64 KiB Uint8Array} (json: {id, b64: the bytes in base64},
//                   which the receiver decodes: JSON has no binary type)
// Two measurements per transport and payload:
//   throughput   the main process sends K values and an end marker; the child counts them
//                and answers the count; one sample = K values delivered. The Channel also
//                with sendMany (64 values per call, received one by one).
//   round trip   the main process sends one value, the child echoes it back; one sample =
//                one round trip (the Channel side blocks in recv; the others await a message)
// Diagnostic: a futex ping-pong between the main process and a child on one memfd word pair,
// with the addon alone (no channel, no codec): parking at once, and after spinning 2000 loads.
// It is the floor of a cross-process round trip, and shows what spinning costs on a busy machine.
// Needs the native addon (sabre/node); without it the sabre process tasks are reported SKIPPED.
import { fork, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrames, frameParser } from "../lib/msgpack-frames.mjs";
import { Channel, Region, createRegion, nativeProblem, spawnProcess, spawnWorker } from "sabre/node";

export const title = "messages between two processes: Channel vs process.send vs a Unix socket (and vs threads), small objects and 64 KiB";
export const description = "Throughput (K values per sample) and round trip (one per sample), main process <-> child process.";

const peer = new URL("../workers/process-peer.mjs", import.meta.url);
const BYTES = new Uint8Array(65536).map((_, i) => i * 31);
const B64 = Buffer.from(BYTES).toString("base64");
/** [label, value of id, value for json, K for sabre, K for the baselines] */
const PAYLOADS = [
  ["small objects", (id) => ({ id, name: "item", values: [id, id + 1, id + 2, id + 3] }), undefined, 20000, 5000],
  ["64 KiB", (id) => ({ id, bytes: BYTES }), (id) => ({ id, b64: B64 }), 400, 200],
];
const BATCH = 64;

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

/** The echo of value `id` came back whole (a 64 KiB one with all its bytes). */
function checkEcho(v, id, label) {
  const n = v.bytes?.length ?? (v.b64 !== undefined ? Buffer.from(v.b64, "base64").length : undefined);
  if (v.id !== id || (n !== undefined && n !== BYTES.length)) throw new Error(`${label}: wrong echo`);
}

export async function define() {
  const tasks = [];
  const ratios = [];
  const skipped = [];
  const cleanups = [];
  const notes = [];
  const tput = (name, role, k, fn, beforeAll) =>
    tasks.push({ name: `${name}, throughput`, role, async: true, itemsPerSample: k, sampleIs: `${k} values delivered`, fn, beforeAll });
  const rtt = (name, role, fn, beforeAll, async = true) =>
    tasks.push({ name: `${name}, round trip`, role, async, sampleIs: "one round trip", fn, beforeAll });

  // sabre Channel between processes, and between threads: one sink and one echo peer each,
  // serving both payloads (1 MiB rings: a 64 KiB message is one fragment)
  const channelPair = (region) => ({
    sink: Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20 }),
    sinkBack: Channel.create(region, { capacity: 4, bufferBytes: 4096 }),
    echo: Channel.create(region, { capacity: 1, bufferBytes: 1 << 20 }),
    echoBack: Channel.create(region, { capacity: 1, bufferBytes: 1 << 20 }),
  });
  const sabreTasks = (kind, c, start) => {
    for (const [size, make, , k] of PAYLOADS) {
      const label = `sabre Channel, ${kind}, ${size}`;
      const drained = (n) => {
        if (n !== k) throw new Error(`${label}: ${n} of ${k} arrived`);
      };
      tput(label, "sabre", k, async () => {
        for (let i = 0; i < k; i++) c.sink.send(make(i));
        c.sink.send({ end: 1 });
        drained(c.sinkBack.recv({ timeout: 30_000 }));
      }, () => start("sink"));
      if (size === "small objects") {
        const batches = [];
        for (let i = 0; i < k; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, k - i) }, (_, j) => make(i + j)));
        tput(`sabre Channel sendMany (${BATCH} per call), ${kind}, ${size}`, "sabre", k, async () => {
          for (const b of batches) c.sink.sendMany(b);
          c.sink.send({ end: 1 });
          drained(c.sinkBack.recv({ timeout: 30_000 }));
        }, () => start("sink"));
      }
      let seq = 0;
      rtt(label, "sabre", () => {
        seq = (seq + 1) & 0x3fffffff;
        c.echo.send(make(seq));
        checkEcho(c.echoBack.recv({ timeout: 30_000 }), seq, label);
      }, () => start("echo"), false);
    }
    cleanups.push(() => {
      for (const ch of [c.sink, c.echo]) ch.close();
    });
  };
  const problem = nativeProblem();
  const PROC = "processes";
  const THREADS = "threads";
  if (problem) {
    skipped.push({ task: `sabre Channel, ${PROC}`, reason: problem });
  } else {
    const c = channelPair(createRegion({ size: 8 << 20 }));
    const started = {};
    sabreTasks(PROC, c, (role) => {
      started[role] ??= spawnProcess(peer, { argv: ["sabre"], data: role === "sink" ? { ch: c.sink, back: c.sinkBack, role } : { ch: c.echo, back: c.echoBack, role } });
      cleanups.push(() => started[role].exited.catch(() => {}));
    });
  }
  if (!problem) {
    // the futex ping-pong diagnostic (see the header)
    const native = createRequire(import.meta.url)(new URL("../../native/build/Release/sabre_native.node", import.meta.url).pathname);
    const PING = 2048;
    const PONG = 2049;
    for (const spins of [0, 2000]) {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
      const fd = native.memfdCreate("sabre-bench-pingpong", 2 * 65536);
      native.mapWindow(new Uint8Array(memory.buffer, 4096, 2 * 65536 - 4096), fd, 4096);
      const words = new Int32Array(memory.buffer);
      let child;
      let n = 0;
      tasks.push({
        name: `futex ping-pong (addon only), processes, ${spins ? `spin ${spins} loads` : "parked at once"}, round trip`,
        role: "diagnostic", async: false, sampleIs: "one round trip",
        beforeAll: () => {
          child ??= spawn(process.execPath, [new URL("../workers/futex-pingpong.mjs", import.meta.url).pathname, String(spins)], { stdio: ["ignore", "inherit", "inherit", fd] });
        },
        fn: () => {
          n = (n + 1) & 0x3fffffff;
          Atomics.store(words, PING, n);
          native.futexWake(words, PING, 1);
          for (let s = 0; s < spins && Atomics.load(words, PONG) !== n; s++);
          let v;
          while ((v = Atomics.load(words, PONG)) !== n) native.futexWait(words, PONG, v, 30_000);
        },
      });
      cleanups.push(() => {
        Atomics.store(words, PING, -1);
        native.futexWake(words, PING, 1);
        native.close(fd);
      });
    }
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
    const kids = {};
    const child = (role) => {
      kids[role] ??= fork(peer, ["ipc", role], { serialization, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      return kids[role];
    };
    for (const [size, make, makeJson, , k] of PAYLOADS) {
      const label = `process.send (${serialization}), ${size}`;
      const value = serialization === "json" && makeJson ? makeJson : make;
      tput(label, "baseline", k, async () => {
        const c = child("sink");
        const answer = ipcNext(c);
        for (let i = 0; i < k; i++) c.send(value(i));
        c.send({ end: 1 });
        const n = await answer;
        if (n !== k) throw new Error(`${label}: ${n} of ${k} arrived`);
      }, () => void child("sink"));
      let seq = 0;
      rtt(label, "baseline", async () => {
        const c = child("echo");
        seq = (seq + 1) & 0x3fffffff;
        const answer = ipcNext(c);
        c.send(value(seq));
        checkEcho(await answer, seq, label);
      }, () => void child("echo"));
    }
    cleanups.push(() => {
      for (const c of Object.values(kids)) c.disconnect();
    });
  }

  // a Unix domain socket with length-prefixed msgpack frames
  {
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
    for (const [size, make, , , k] of PAYLOADS) {
      const label = `Unix socket + msgpack frames, ${size}`;
      tput(label, "baseline", k, async () => {
        const { io } = await open("sink");
        const batch = [];
        for (let i = 0; i < k; i++) batch.push(make(i));
        batch.push({ end: 1 });
        const answer = io.next();
        io.send(batch);
        const n = await answer;
        if (n !== k) throw new Error(`${label}: ${n} of ${k} arrived`);
      }, () => open("sink"));
      let seq = 0;
      rtt(label, "baseline", async () => {
        const { io } = await open("echo");
        seq = (seq + 1) & 0x3fffffff;
        const answer = io.next();
        io.send([make(seq)]);
        checkEcho(await answer, seq, label);
      }, () => open("echo"));
    }
    cleanups.push(async () => {
      for (const c of Object.values(conns)) (await c).socket.destroy();
      for (const s of servers) s.close();
      rmSync(dir, { recursive: true, force: true });
    });
  }

  for (const [size] of PAYLOADS) {
    const small = size === "small objects";
    const proc = `sabre Channel, ${PROC}, ${size}`;
    const sabreRows = small ? [proc, `sabre Channel sendMany (${BATCH} per call), ${PROC}, ${size}`] : [proc];
    for (const sabre of sabreRows) {
      for (const base of ["process.send (json)", "process.send (advanced)", "Unix socket + msgpack frames"]) {
        const target = !small ? undefined
          : base === "process.send (json)" ? { by: "mean", minSpeedup: 20, text: ">= 20x process.send" }
          : base.startsWith("Unix") ? { by: "mean", minSpeedup: 3, text: ">= 3x the Unix socket" } : undefined;
        ratios.push({ sabre: `${sabre}, throughput`, baseline: `${base}, ${size}, throughput`, ...(target ? { target } : {}) });
      }
    }
    for (const base of ["process.send (json)", "process.send (advanced)", "Unix socket + msgpack frames"]) {
      ratios.push({
        sabre: `${proc}, round trip`, baseline: `${base}, ${size}, round trip`, by: "p50", latencyRatios: true,
        ...(small && base === "process.send (json)" ? { target: { minSpeedup: 10, text: ">= 10x lower median than process.send" } } : {}),
      });
    }
    // processes vs threads, the same Channel workload
    const threads = `sabre Channel, ${THREADS}, ${size}`;
    const within = small ? { target: { minSpeedup: 0.8, text: "processes within 1.25x of threads" } } : {};
    ratios.push({ sabre: `${proc}, throughput`, baseline: `${threads}, throughput`, by: "mean", ...within });
    if (small) ratios.push({ sabre: `sabre Channel sendMany (${BATCH} per call), ${PROC}, ${size}, throughput`, baseline: `sabre Channel sendMany (${BATCH} per call), ${THREADS}, ${size}, throughput`, by: "mean", ...within });
    ratios.push({ sabre: `${proc}, round trip`, baseline: `${threads}, round trip`, by: "p50", latencyRatios: true, ...within });
  }
  notes.push(
    "throughput: items/s = values/s from the main process to the child, each one encoded, carried and decoded; " +
      "the socket writes each sample's frames in one write, process.send queues one message per value, the Channel sends one by one (sendMany: 64 per call)",
    "round trip: the Channel side blocks in recv (spin, then futex); process.send and the socket await the reply on the event loop",
    "processes vs threads: the same Channel and peer code; a speedup below 1x is the price of crossing a process (target: >= 0.8x, i.e. within 1.25x)",
    "futex ping-pong (diagnostic): the addon's futex alone between two processes, the floor of a round trip; parked at once vs after a 2000-load spin shows what spinning costs when cores are busy",
  );
  return {
    unit: "values/s",
    tasks,
    ratios,
    notes,
    skipped,
    timeScale: 1,
    teardown: async () => {
      for (const c of cleanups) await c();
    },
  };
}
