// rpc.mjs — scenario "rpc": calls into a worker thread. comlink over sabre's comlinkEndpoint
// beside comlink over a MessagePort (sequential await latency; calls/s with PIPELINE calls in
// flight), sabre's synchronous call (createSyncFn) beside synckit's createSyncFn (one blocking
// call per sample), and sabre-native RPC (wrap: async, wrapSync: blocking, over a Mailbox)
// beside both. Every call is inc(x) = x + 1 and every result is checked. A reference row,
// comlink with no transport at all (wrap and expose in this thread, messages handed over in a
// microtask), shows comlink's own cost per call: the floor under any comlink transport, so
// "comlink over sabre" can beat "comlink over a MessagePort" by at most their ratio to it.
import * as Comlink from "comlink";
import { MessageChannel, Worker } from "node:worker_threads";
import { createSyncFn as synckitSyncFn } from "synckit";
import { Mailbox, Region, comlinkEndpoint, createLink, createSyncFn, spawnWorker, wrap, wrapSync } from "sabre/node";

export const title = "RPC into a worker thread: comlink over sabre vs MessagePort, sync calls vs synckit, sabre-native";
export const description =
  "Sequential: one sample is one awaited (or blocking) call; pipelined: one sample is PIPELINE calls in flight at once.";

const PIPELINE = 256;
const worker = new URL("../workers/rpc-worker.mjs", import.meta.url);
const fns = new URL("../workers/rpc-fns.mjs", import.meta.url);
const synckitWorker = new URL("../workers/rpc-synckit.mjs", import.meta.url);

const CL_SABRE = "comlink over sabre";
const CL_PORT = "comlink over MessagePort";
const CL_NONE = "comlink alone (no transport)";
const NATIVE = "sabre-native wrap (async)";
const SYNC = "sabre createSyncFn (sync)";
const SYNCKIT = "synckit createSyncFn (sync)";
const NATIVE_SYNC = "sabre-native wrapSync (sync)";
const seq = (name) => `${name}, sequential`;
const pipe = (name) => `${name}, ${PIPELINE} in flight`;

function check(got, want, what) {
  if (got !== want) throw new Error(`rpc bench: ${what} returned ${got}, expected ${want}`);
}

function pipelined(call) {
  return async () => {
    const ps = new Array(PIPELINE);
    for (let i = 0; i < PIPELINE; i++) ps[i] = call(i);
    const rs = await Promise.all(ps);
    for (let i = 0; i < PIPELINE; i++) check(rs[i], i + 1, "a pipelined call");
  };
}

export async function define() {
  const tasks = [];
  const cleanups = [];
  const region = Region.create({ size: 8 << 20 });

  // comlink over sabre
  const { port1, port2 } = createLink(region, { capacity: 4096, bufferBytes: 1 << 20 });
  const w1 = spawnWorker(worker, { data: { mode: "comlink-sabre", end: port2 } });
  const ep = comlinkEndpoint(port1, { via: w1.worker });
  const clSabre = Comlink.wrap(ep);
  cleanups.push(async () => {
    ep.close();
    await w1.terminate();
  });

  // comlink over a MessagePort
  const mc = new MessageChannel();
  const w2 = new Worker(worker, { workerData: { mode: "comlink-port", port: mc.port2 }, transferList: [mc.port2] });
  const clPort = Comlink.wrap(mc.port1);
  cleanups.push(async () => {
    mc.port1.close();
    await w2.terminate();
  });

  // comlink with no transport: both ends in this thread, each message delivered in a microtask
  const loopback = () => {
    const a = { listeners: [], peer: undefined };
    const b = { listeners: [], peer: a };
    a.peer = b;
    for (const e of [a, b]) {
      e.postMessage = (data) => queueMicrotask(() => e.peer.listeners.forEach((f) => f({ data })));
      e.addEventListener = (_type, f) => e.listeners.push(f);
      e.removeEventListener = () => {};
    }
    return [a, b];
  };
  const [la, lb] = loopback();
  Comlink.expose({ inc: (v) => v + 1 }, lb);
  const clNone = Comlink.wrap(la);

  // sabre-native over a mailbox
  const mailbox = Mailbox.create(region, { capacity: 4096, bufferBytes: 1 << 20 });
  const w3 = spawnWorker(worker, { data: { mode: "native", mailbox } });
  const native = wrap(mailbox);
  const nativeSync = wrapSync(mailbox);
  cleanups.push(async () => {
    mailbox.close();
    await w3.terminate();
  });

  // synchronous calls
  const sabreInc = createSyncFn(fns);
  const synckitInc = synckitSyncFn(synckitWorker);
  cleanups.push(() => sabreInc.close());

  let x = 0;
  const next = () => (x = (x + 1) & 0xffffff);
  const sequential = (call, what) => async () => {
    const v = next();
    check(await call(v), v + 1, what);
  };
  const blocking = (call, what) => () => {
    const v = next();
    check(call(v), v + 1, what);
  };
  const sampleIs = "one call";
  tasks.push({ name: seq(CL_SABRE), role: "sabre", async: true, sampleIs, fn: sequential((v) => clSabre.inc(v), CL_SABRE) });
  tasks.push({ name: seq(CL_PORT), role: "baseline", async: true, sampleIs, fn: sequential((v) => clPort.inc(v), CL_PORT) });
  tasks.push({ name: seq(NATIVE), role: "sabre", async: true, sampleIs, fn: sequential((v) => native.inc(v), NATIVE) });
  const pipeIs = `${PIPELINE} calls in flight`;
  tasks.push({ name: pipe(CL_SABRE), role: "sabre", async: true, itemsPerSample: PIPELINE, sampleIs: pipeIs, fn: pipelined((i) => clSabre.inc(i)) });
  tasks.push({ name: pipe(CL_PORT), role: "baseline", async: true, itemsPerSample: PIPELINE, sampleIs: pipeIs, fn: pipelined((i) => clPort.inc(i)) });
  tasks.push({ name: pipe(CL_NONE), role: "diagnostic", async: true, itemsPerSample: PIPELINE, sampleIs: pipeIs, fn: pipelined((i) => clNone.inc(i)) });
  tasks.push({ name: pipe(NATIVE), role: "sabre", async: true, itemsPerSample: PIPELINE, sampleIs: pipeIs, fn: pipelined((i) => native.inc(i)) });
  tasks.push({ name: SYNC, role: "sabre", sampleIs, fn: blocking(sabreInc, SYNC) });
  tasks.push({ name: SYNCKIT, role: "baseline", sampleIs, fn: blocking(synckitInc, SYNCKIT) });
  tasks.push({ name: NATIVE_SYNC, role: "sabre", sampleIs, fn: blocking((v) => nativeSync.inc(v), NATIVE_SYNC) });

  const latency = { by: "p50", latencyRatios: true };
  return {
    unit: "calls/s",
    latencies: true,
    tasks,
    ratios: [
      { sabre: pipe(CL_SABRE), baseline: pipe(CL_PORT), target: { by: "mean", minSpeedup: 3, text: ">= 3x the calls/s of comlink over a MessagePort" } },
      { sabre: seq(CL_SABRE), baseline: seq(CL_PORT), ...latency },
      { sabre: pipe(CL_PORT), baseline: pipe(CL_NONE) },
      { sabre: pipe(NATIVE), baseline: pipe(CL_PORT) },
      { sabre: seq(NATIVE), baseline: seq(CL_PORT), ...latency },
      { sabre: SYNC, baseline: SYNCKIT, ...latency, target: { by: "p50", minSpeedup: 10, text: ">= 10x lower median latency than synckit" } },
      { sabre: NATIVE_SYNC, baseline: SYNCKIT, ...latency },
    ],
    notes: [
      "sequential and sync rows: speedup = the baseline's median call time ÷ sabre's",
      `pipelined rows: ${PIPELINE} calls issued at once, then awaited together; speedup by mean calls/s`,
      "comlink over MessagePort vs comlink alone (below 1x): comlink's own cost is that fraction of a call over a MessagePort, so a transport that cost nothing would be at most 1 / that ratio times faster",
    ],
    skipped: [],
    teardown: async () => {
      for (const c of cleanups) await c();
    },
  };
}
