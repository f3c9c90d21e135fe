// bench.js — the in-page half of the browser benchmark (`npm run bench:browser`): runs the
// "ring" scenario of bench/scenarios/ring.mjs in Chromium with Web Workers instead of worker
// threads, plus a browser-only scenario where the page's main thread is the consumer (it may
// never block: popMany, then popAsync when the ring is empty), and the small-object part of
// Node's "channel" scenario (bench/scenarios/channel.mjs): a Channel vs postMessage between two
// Web Workers. bench/browser/run.mjs drives it through `window.runBench(options)` and turns
// the raw samples into the same JSON as Node's harness (figures and ratios computed by bench/lib/stats.mjs in Node).
//
// Sampling mirrors the Node harness: per round, each task warms up for warmupTime (and at
// least warmupIterations), then runs for `time` (and at least `iterations`) with one sample
// per iteration (ms); task order is reversed every other round; rounds interleave tasks so
// sabre and its baseline drift together.
import { Controller, createControl, GO } from "../lib/control.mjs";
import { createPlainRing } from "../lib/plain-ring.mjs";
import { Channel, Region, RingBuffer, TimeoutError } from "../../dist/browser/sabre.js";

const K = 1 << 19;
const K_MSG = 1 << 14;
const K_PAGE = 1 << 17;
const CAPACITY = 4096;
const BATCH = 256;
const workerUrl = new URL("./worker.js", import.meta.url);

/** The Web Workers of one task; rounds run through the shared control words. */
class WorkerGroup {
  constructor(specs) {
    this.specs = specs;
    this.control = createControl();
    this.controller = new Controller(this.control);
    this.workers = [];
  }
  start() {
    this.started ??= Promise.all(this.specs.map(({ data, transfer }) => new Promise((resolve, reject) => {
      const w = new Worker(workerUrl, { type: "module" });
      this.workers.push(w);
      w.onmessage = ({ data: m }) => (m === "ready" ? resolve() : undefined);
      w.onerror = (e) => reject(new Error(`bench worker: ${e.message}`));
      w.postMessage({ ...data, control: this.control }, transfer ?? []);
    })));
    return this.started;
  }
  run() {
    return this.controller.runRound();
  }
  /** Page-consumer tasks: start the producer's round; the page consumes it itself. */
  go() {
    const w = this.controller.words;
    Atomics.store(w, GO, ++this.controller.round);
    Atomics.notify(w, GO);
  }
  stop() {
    this.controller.stop();
    for (const w of this.workers) w.terminate();
  }
}

function defineRing(groups) {
  const region = Region.create({ size: 1 << 20 });
  const tasks = [];
  const add = (name, role, items, group, fn) => {
    groups.push(group);
    tasks.push({ name, role, itemsPerSample: items, sampleIs: `moving ${items} items`, start: () => group.start(), fn: fn ?? (() => group.run()) });
  };
  const pair = (transport, ring, extra = {}) => new WorkerGroup([
    { data: { transport, role: "producer", ring, items: K, batch: BATCH, ...extra.producer } },
    { data: { transport, role: "consumer", ring, items: K, batch: BATCH, ...extra.consumer } },
  ]);
  add("sabre RingBuffer push/pop", "sabre", K, pair("sabre", RingBuffer.create(region, { capacity: CAPACITY }).handle));
  add("sabre RingBuffer pushMany/popMany", "sabre", K, pair("sabre-batch", RingBuffer.create(region, { capacity: CAPACITY }).handle, {
    producer: { batchOffset: region.alloc(BATCH * 4) }, consumer: { batchOffset: region.alloc(BATCH * 4) },
  }));
  add("plain-JS SPSC ring", "baseline", K, pair("plain", createPlainRing(CAPACITY)));
  const channel = new MessageChannel();
  add("postMessage (MessageChannel)", "baseline", K_MSG, new WorkerGroup([
    { data: { transport: "message", role: "producer", port: channel.port1, items: K_MSG }, transfer: [channel.port1] },
    { data: { transport: "message", role: "consumer", port: channel.port2, items: K_MSG }, transfer: [channel.port2] },
  ]));
  const ratios = [];
  for (const sabre of ["sabre RingBuffer push/pop", "sabre RingBuffer pushMany/popMany"]) {
    ratios.push({ sabre, baseline: "plain-JS SPSC ring", target: { by: "mean", minSpeedup: 1, text: "ring >= plain-JS ring" } });
    ratios.push({ sabre, baseline: "postMessage (MessageChannel)", target: { by: "mean", minSpeedup: 10, text: ">= 10x postMessage" } });
  }
  ratios.push({ sabre: "plain-JS SPSC ring", baseline: "postMessage (MessageChannel)", context: true });
  return {
    scenario: "ring",
    title: "items/s from one Web Worker to another: RingBuffer vs plain-JS ring vs postMessage (Chromium)",
    description: "A producer Web Worker sends K i32 items to a consumer Web Worker; one iteration = all K received and checked.",
    notes: [
      `K = ${K} items per iteration for the shared-memory rings (capacity ${CAPACITY}, batch ${BATCH}), ${K_MSG} messages for postMessage; items/s = K / mean iteration time`,
      "batched task: producer and consumer buffers are Int32Arrays on the region's memory (zero copy)",
      "the Node scenario's diagnostic tasks (copied arrays, spin then block) are not run in the browser",
    ],
    tasks,
    ratios,
  };
}

function definePage(groups) {
  const region = Region.create({ size: 1 << 20 });
  const tasks = [];
  const ring = RingBuffer.create(region, { capacity: CAPACITY });
  const buf = new Int32Array(region.memory.buffer, region.alloc(BATCH * 4), BATCH);
  const ringGroup = new WorkerGroup([
    { data: { transport: "sabre-batch", role: "producer", ring: ring.handle, items: K_PAGE, batch: BATCH, batchOffset: region.alloc(BATCH * 4) } },
  ]);
  groups.push(ringGroup);
  tasks.push({
    name: "sabre RingBuffer to the page (popMany, popAsync when empty)", role: "sabre", itemsPerSample: K_PAGE,
    sampleIs: `moving ${K_PAGE} items`, start: () => ringGroup.start(),
    fn: async () => {
      ringGroup.go();
      let next = 1;
      let errors = 0;
      while (next <= K_PAGE) {
        const c = ring.popMany(K_PAGE - next + 1 >= BATCH ? buf : buf.subarray(0, K_PAGE - next + 1));
        if (c > 0) {
          for (let j = 0; j < c; j++) if (buf[j] !== next++) errors++;
        } else if ((await ring.popAsync({ timeout: 10_000 })) !== next++) errors++;
      }
      if (errors) throw new Error(`the page saw ${errors} wrong items`);
    },
  });
  const channel = new MessageChannel();
  const msgGroup = new WorkerGroup([
    { data: { transport: "message", role: "producer", port: channel.port1, items: K_MSG }, transfer: [channel.port1] },
  ]);
  groups.push(msgGroup);
  let pending;
  let next = 1;
  let errors = 0;
  channel.port2.onmessage = ({ data: v }) => {
    if (v !== next) errors++;
    if (next++ === K_MSG) pending?.();
  };
  tasks.push({
    name: "postMessage to the page (MessageChannel)", role: "baseline", itemsPerSample: K_MSG,
    sampleIs: `moving ${K_MSG} items`, start: () => msgGroup.start(),
    fn: () => new Promise((resolve, reject) => {
      next = 1;
      errors = 0;
      const timer = setTimeout(() => reject(new TimeoutError("postMessage round did not finish in 10 s")), 10_000);
      pending = () => {
        clearTimeout(timer);
        pending = undefined;
        if (errors) reject(new Error(`the page saw ${errors} wrong messages`));
        else resolve();
      };
      msgGroup.go();
    }),
  });
  return {
    scenario: "ring-to-page",
    title: "items/s from a Web Worker to the page's main thread: RingBuffer vs postMessage (Chromium)",
    description: "A producer Web Worker sends K i32 items to the page, which may never block: it takes batches with popMany and awaits popAsync (Atomics.waitAsync) when the ring is empty; the baseline posts one message per item to a MessagePort on the page.",
    notes: [`K = ${K_PAGE} items per iteration for the ring (capacity ${CAPACITY}, batch ${BATCH}), ${K_MSG} messages for postMessage`],
    tasks,
    ratios: [{ sabre: tasks[0].name, baseline: tasks[1].name }],
  };
}

/** Node's "channel" scenario (bench/scenarios/channel.mjs), small objects only, in Web Workers. */
function defineChannel(groups) {
  const K_CH = 20000;
  const K_POST = 5000;
  const region = Region.create({ size: 4 << 20 });
  const ch = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20 });
  const tasks = [];
  const add = (name, role, items, group) => {
    groups.push(group);
    tasks.push({ name, role, itemsPerSample: items, sampleIs: `moving ${items} messages`, start: () => group.start(), fn: () => group.run() });
  };
  add("sabre Channel, small objects", "sabre", K_CH, new WorkerGroup([
    { data: { transport: "channel", role: "producer", channel: ch.handle, items: K_CH } },
    { data: { transport: "channel", role: "consumer", channel: ch.handle, items: K_CH } },
  ]));
  const mc = new MessageChannel();
  add("postMessage, small objects", "baseline", K_POST, new WorkerGroup([
    { data: { transport: "message", role: "producer", port: mc.port1, items: K_POST, payload: "small" }, transfer: [mc.port1] },
    { data: { transport: "message", role: "consumer", port: mc.port2, items: K_POST, payload: "small" }, transfer: [mc.port2] },
  ]));
  return {
    scenario: "channel",
    title: "messages/s between two Web Workers: Channel vs postMessage, small objects (Chromium)",
    description: "A producer Web Worker sends K small objects {id, name, values: [4 numbers]} to a consumer Web Worker; one iteration = all K received and checked.",
    notes: [
      `K = ${K_CH} messages per iteration for the Channel (msgpack codec, bundled msgpackr; capacity 1024, 1 MiB ring; blocking send/recv in the workers), ${K_POST} for postMessage (structured clone, MessageChannel); items/s = messages/s`,
    ],
    tasks,
    ratios: [{ sabre: tasks[0].name, baseline: tasks[1].name, target: { by: "mean", minSpeedup: 10, text: ">= 10x postMessage" } }],
  };
}

const SCENARIOS = { ring: defineRing, "ring-to-page": definePage, channel: defineChannel };

async function sample(task, budget, scale) {
  let t0 = performance.now();
  for (let n = 0; n < budget.warmupIterations || performance.now() - t0 < budget.warmupTime * scale; n++) await task.fn();
  const samples = [];
  t0 = performance.now();
  while (samples.length < budget.iterations || performance.now() - t0 < budget.time * scale) {
    const s = performance.now();
    await task.fn();
    samples.push(performance.now() - s);
  }
  return samples;
}

/** Runs the selected scenarios; returns raw samples per task and round (ms). */
window.runBench = async ({ budget, timeScale = 1, filters = [] }) => {
  const out = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    scenarios: [],
  };
  const names = Object.keys(SCENARIOS).filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)));
  for (const name of names) {
    const groups = [];
    const entry = { scenario: name, failed: [], error: undefined };
    try {
      const def = SCENARIOS[name](groups);
      Object.assign(entry, { title: def.title, description: def.description, notes: def.notes, ratios: def.ratios });
      const samples = new Map(def.tasks.map((t) => [t.name, []]));
      let alive = [...def.tasks];
      for (let round = 1; round <= budget.rounds; round++) {
        const order = round % 2 === 1 ? alive : [...alive].reverse();
        for (const t of order) {
          console.log(`progress: ${name} round ${round}/${budget.rounds}: ${t.name}`);
          try {
            await t.start();
            samples.get(t.name).push(await sample(t, budget, timeScale));
          } catch (error) {
            entry.failed.push({ task: t.name, round, state: "errored", error: String(error?.stack ?? error) });
            alive = alive.filter((a) => a !== t);
          }
        }
      }
      entry.tasks = alive.map((t) => ({
        name: t.name, role: t.role, itemsPerSample: t.itemsPerSample, sampleIs: t.sampleIs, rounds: samples.get(t.name),
      }));
    } catch (error) {
      entry.error = String(error?.stack ?? error);
    } finally {
      for (const g of groups) g.stop();
    }
    out.scenarios.push(entry);
  }
  return out;
};
window.benchReady = true;
