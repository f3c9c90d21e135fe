// pingpong.mjs — scenario "pingpong": round-trip latency between the main thread and a worker.
//
// One sample = one round trip: the main thread sends a number, the worker echoes it, the main
// thread receives it. Median and p99 are the figures that matter (mean is skewed by the rare
// descheduling on a shared machine).
//   sabre RingBuffer (blocking pop)  two rings; both sides block in pop (spin, then park in the core)
//   Atomics.wait/notify (baseline)   hand-written: park on every wait, notify every send
//   Atomics spin-then-wait (baseline) the same with SPINS re-reads before parking
//   postMessage (baseline)           MessageChannel between main and the worker, async
//   sabre tryPop spin, then pop      diagnostic: the same rings, but both sides spin SPINS tryPop
//                                    calls in JS before the blocking pop, like the spin baseline:
//                                    tells the ring's cost from the core's (shorter) spin limit
// Timer overhead is subtracted from samples (tinybench subtractTimerOverhead).
import { MessageChannel } from "node:worker_threads";
import { Region } from "sabre";
import { createWords, pingOnce, SPINS, stopWords } from "../lib/pingpong-words.mjs";
import { createRing, ringOps, ringStatus } from "../lib/sabre-ring.mjs";
import { WorkerGroup } from "../lib/workers.mjs";

export const title = "round-trip latency main thread <-> worker: RingBuffer vs Atomics.wait/notify vs postMessage";
export const description = "One sample is one round trip of a number; compare medians and p99s.";

const worker = new URL("../workers/pingpong-worker.mjs", import.meta.url);
const messageWorker = new URL("../workers/message-worker.mjs", import.meta.url);
const TIMEOUT = { timeout: 10_000 };
const SABRE = "sabre RingBuffer (blocking pop)";
const SABRE_SPIN = "sabre tryPop spin, then pop";
const WAIT = "Atomics.wait/notify";
const SPIN = "Atomics spin-then-wait";
const POST = "postMessage (MessageChannel)";

export async function define() {
  const tasks = [];
  const notes = [];
  const skipped = [];
  const cleanups = [];
  const sampleIs = "one round trip";

  let available = ringStatus.available;
  if (available) {
    try {
      const region = Region.create({ size: 1 << 16 });
      for (const [name, kind, spins, role] of [[SABRE, "sabre", 0, "sabre"], [SABRE_SPIN, "sabre-spin", SPINS, "diagnostic"]]) {
        const a = createRing(region, 64);
        const b = createRing(region, 64);
        const out = ringOps(a.ring);
        const back = ringOps(b.ring);
        const group = new WorkerGroup([{ file: worker, data: { kind, a: a.handle, b: b.handle } }]);
        let seq = 0;
        tasks.push({
          name, role, sampleIs,
          beforeAll: () => group.start(),
          onFailed: () => group.stop(),
          fn: () => {
            seq = (seq + 1) & 0x3fffffff;
            out.push(seq);
            let v = spins ? back.tryPop() : undefined;
            for (let i = 1; v === undefined && i < spins; i++) v = back.tryPop();
            if (v === undefined) v = back.pop(TIMEOUT);
            if (v !== seq) throw new Error("sabre ping-pong: wrong echo");
          },
        });
        cleanups.push(async () => {
          if (group.started) out.push(-1);
          await group.stop();
        });
      }
      if (ringStatus.source !== "sabre") notes.push(`RingBuffer from ${ringStatus.source}`);
    } catch (error) {
      available = false;
      tasks.length = 0;
      const reason = `creating a RingBuffer failed (${error?.message ?? error}); adapt bench/lib/sabre-ring.mjs to its API`;
      for (const task of [SABRE, SABRE_SPIN]) skipped.push({ task, reason });
    }
  } else {
    for (const task of [SABRE, SABRE_SPIN]) skipped.push({ task, reason: ringStatus.reason });
  }

  for (const [name, kind, spins] of [[WAIT, "wait", 0], [SPIN, "spin", SPINS]]) {
    const sab = createWords();
    const w = new Int32Array(sab);
    const group = new WorkerGroup([{ file: worker, data: { kind, words: sab } }]);
    let seq = 0;
    tasks.push({
      name, role: "baseline", sampleIs,
      beforeAll: () => group.start(),
      onFailed: () => group.stop(),
      fn: () => {
        seq = (seq + 1) & 0x3fffffff;
        pingOnce(w, seq, spins);
      },
    });
    cleanups.push(async () => {
      stopWords(w);
      await group.stop();
    });
  }

  const channel = new MessageChannel();
  const port = channel.port1;
  const group = new WorkerGroup([
    { file: messageWorker, data: { role: "echo", port: channel.port2 }, transfer: [channel.port2] },
  ]);
  let pending;
  port.on("message", (v) => pending(v));
  let seq = 0;
  tasks.push({
    name: POST, role: "baseline", sampleIs, async: true,
    beforeAll: () => group.start(),
    onFailed: () => group.stop(),
    fn: () => {
      seq = (seq + 1) & 0x3fffffff;
      const want = seq;
      const echo = new Promise((resolve, reject) => {
        pending = (v) => (v === want ? resolve() : reject(new Error("postMessage ping-pong: wrong echo")));
      });
      port.postMessage(want);
      return Promise.race([echo, group.failure]);
    },
  });
  cleanups.push(async () => {
    port.close();
    await group.stop();
  });

  const ratios = [];
  if (available) {
    ratios.push({ sabre: SABRE, baseline: WAIT, by: "p50", latencyRatios: true });
    ratios.push({ sabre: SABRE, baseline: SPIN, by: "p50", latencyRatios: true });
    ratios.push({ sabre: SABRE, baseline: POST, by: "p50", latencyRatios: true, target: { minSpeedup: 20, text: ">= 20x postMessage (median)" } });
    ratios.push({ sabre: SABRE_SPIN, baseline: SPIN, by: "p50", latencyRatios: true });
    ratios.push({ sabre: SABRE_SPIN, baseline: POST, by: "p50", latencyRatios: true });
  }
  ratios.push({ sabre: SPIN, baseline: POST, by: "p50", latencyRatios: true, context: true });
  notes.push("speedup here = baseline round-trip time ÷ sabre's, by median (p50) per round; pooled p99 in its column");

  return {
    unit: "round trips/s",
    latencies: true, // one sample = one round trip: record its distribution for the report
    tasks,
    ratios,
    notes,
    skipped,
    timeScale: 1.5,
    benchOptions: { subtractTimerOverhead: true },
    teardown: async () => {
      for (const c of cleanups) await c();
    },
  };
}
