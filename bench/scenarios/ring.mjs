// ring.mjs — scenario "ring": i32 items per second from one worker thread to another.
//
// Each iteration moves K items (1..K, checked in order by the consumer) and awaits the
// consumer's "done" (shared-memory control words, not postMessage), so items/s = K / mean
// iteration time. Producer and consumer are both workers; the main thread only waits.
//   sabre RingBuffer push/pop        sabre's MPMC ring, one blocking push and pop per item
//   sabre RingBuffer pushMany/popMany  the same ring, BATCH items per call, buffers in the region
//   sabre pushMany/popMany (copied)  diagnostic: the same with ordinary Int32Arrays, which the
//                                    facade copies through its scratch block
//   sabre tryPush/tryPop, spin then block  diagnostic: one item per call, but waiting like the
//                                    plain ring (spin 4096 tries in JS, then one blocking call):
//                                    tells the ring's per-call cost from its waiting policy
//   plain-JS SPSC ring (baseline)    hand-written rigtorp-style ring (lib/plain-ring.mjs)
//   ringbuf.js push/pop (baseline)   ringbuf.js 0.4 (npm), the SPSC peer: a whole batch of BATCH
//                                    items per push and pop call, spinning until it fits / is there
//   sabre SpscRing push/pop          sabre's SPSC ring, one blocking push and pop per item
//   sabre SpscRing pushMany/popMany  the SPSC ring, BATCH (and SMALL_BATCH) items per blocking
//                                    call, from and into ordinary Int32Arrays (TypedArray.set),
//                                    each beside ringbuf.js with the same batch
//   postMessage (baseline)           one MessagePort message per number, worker to worker
// postMessage moves fewer items per iteration (K_MSG) so an iteration stays ~20-50 ms.
import { MessageChannel } from "node:worker_threads";
import { RingBuffer as RingbufJs } from "ringbuf.js";
import * as sabre from "sabre";
import { createPlainRing } from "../lib/plain-ring.mjs";
import { createRing, ringStatus } from "../lib/sabre-ring.mjs";
import { WorkerGroup } from "../lib/workers.mjs";

export const title = "items/s from one worker thread to another: RingBuffer and SpscRing vs plain-JS ring, ringbuf.js and postMessage";
export const description =
  "A producer worker sends K i32 items to a consumer worker; one iteration = all K received and checked.";

const K = 1 << 19;
const K_MSG = 1 << 14;
const CAPACITY = 4096;
const BATCH = 256;
const RINGBUF = `ringbuf.js 0.4 push/pop (${BATCH} per call)`;
const { Region } = sabre;
const SpscRing = sabre.SpscRing;
const SPSC_ONE = "sabre SpscRing push/pop";
const SPSC_BATCH = `sabre SpscRing pushMany/popMany (${BATCH} per call)`;
// the batch size: 64 per call, SpscRing beside ringbuf.js
const SMALL_BATCH = 64;
const SPSC_SMALL = `sabre SpscRing pushMany/popMany (${SMALL_BATCH} per call)`;
const RINGBUF_SMALL = `ringbuf.js 0.4 push/pop (${SMALL_BATCH} per call)`;
const ringWorker = new URL("../workers/ring-worker.mjs", import.meta.url);
const messageWorker = new URL("../workers/message-worker.mjs", import.meta.url);

export async function define({ budget }) {
  const groups = [];
  const notes = [];
  const skipped = [];
  const tasks = [];

  /** A task whose workers start on first use and whose iteration is one round. */
  function roundTask(name, role, items, specs) {
    const group = new WorkerGroup(specs);
    groups.push(group);
    tasks.push({
      name, role, async: true, itemsPerSample: items, sampleIs: `moving ${items} items`,
      beforeAll: () => group.start(),
      fn: () => group.run(),
      onFailed: () => group.stop(),
    });
  }

  const shared = (transport, ring, batch = BATCH) => [
    { file: ringWorker, data: { transport, role: "producer", ring, items: K, batch } },
    { file: ringWorker, data: { transport, role: "consumer", ring, items: K, batch } },
  ];
  const SABRE_TASKS = [
    ["sabre RingBuffer push/pop", "sabre", "sabre"],
    ["sabre RingBuffer pushMany/popMany", "sabre", "sabre-batch"],
    ["sabre pushMany/popMany (copied arrays)", "diagnostic", "sabre-batch-copy"],
    ["sabre tryPush/tryPop, spin then block", "diagnostic", "sabre-spin"],
  ];
  let available = ringStatus.available;
  if (available) {
    try {
      const region = Region.create({ size: 1 << 20 });
      for (const [task, role, transport] of SABRE_TASKS) {
        roundTask(task, role, K, shared(transport, createRing(region, CAPACITY).handle));
      }
      if (ringStatus.source !== "sabre") notes.push(`RingBuffer from ${ringStatus.source}`);
    } catch (error) {
      available = false;
      tasks.length = 0;
      groups.length = 0;
      const reason = `creating a RingBuffer failed (${error?.message ?? error}); adapt bench/lib/sabre-ring.mjs to its API`;
      for (const [task] of SABRE_TASKS) skipped.push({ task, reason });
    }
  } else {
    for (const [task] of SABRE_TASKS) skipped.push({ task, reason: ringStatus.reason });
  }
  const SPSC_TASKS = [
    [SPSC_ONE, "spsc", BATCH],
    [SPSC_BATCH, "spsc-batch", BATCH],
    [SPSC_SMALL, "spsc-batch", SMALL_BATCH],
  ];
  if (typeof SpscRing === "function") {
    const region = Region.create({ size: 1 << 20 });
    for (const [task, transport, batch] of SPSC_TASKS) {
      roundTask(task, "sabre", K, shared(transport, SpscRing.create(region, { capacity: CAPACITY }).handle, batch));
    }
  } else {
    for (const [task] of SPSC_TASKS) skipped.push({ task, reason: "this build of 'sabre' does not export SpscRing" });
  }
  roundTask("plain-JS SPSC ring", "baseline", K, shared("plain", createPlainRing(CAPACITY)));
  roundTask(RINGBUF, "baseline", K, shared("ringbuf", RingbufJs.getStorageForCapacity(CAPACITY, Int32Array)));
  roundTask(RINGBUF_SMALL, "baseline", K, shared("ringbuf", RingbufJs.getStorageForCapacity(CAPACITY, Int32Array), SMALL_BATCH));

  const channel = new MessageChannel();
  roundTask("postMessage (MessageChannel)", "baseline", K_MSG, [
    { file: messageWorker, data: { role: "producer", port: channel.port1, items: K_MSG }, transfer: [channel.port1] },
    { file: messageWorker, data: { role: "consumer", port: channel.port2, items: K_MSG }, transfer: [channel.port2] },
  ]);

  if (available) {
    notes.push("batched tasks: producer and consumer buffers are Int32Arrays on the region's memory (zero copy), except in the (copied arrays) diagnostic");
  }
  notes.push(
    `K = ${K} items per iteration for the shared-memory rings (capacity ${CAPACITY}, batch ${BATCH}), ` +
      `${K_MSG} messages for postMessage; items/s = K / mean iteration time`,
  );
  const ratios = [];
  for (const sabre of ["sabre RingBuffer push/pop", "sabre RingBuffer pushMany/popMany"]) {
    if (!available) break;
    ratios.push({ sabre, baseline: "plain-JS SPSC ring", target: { by: "mean", minSpeedup: 1, text: "ring >= plain-JS ring" } });
    ratios.push({ sabre, baseline: "postMessage (MessageChannel)", target: { by: "mean", minSpeedup: 10, text: ">= 10x postMessage" } });
  }
  if (available) {
    // by p50 (per item): two spinning peers on a loaded machine have rare, huge descheduled samples
    ratios.push({ sabre: "sabre RingBuffer pushMany/popMany", baseline: RINGBUF, by: "p50", target: { by: "p50", minSpeedup: 1, text: ">= ringbuf.js" } });
    ratios.push({ sabre: "sabre pushMany/popMany (copied arrays)", baseline: "plain-JS SPSC ring" });
    ratios.push({ sabre: "sabre tryPush/tryPop, spin then block", baseline: "plain-JS SPSC ring" });
  }
  if (typeof SpscRing === "function") {
    ratios.push({ sabre: SPSC_ONE, baseline: "plain-JS SPSC ring", target: { by: "mean", minSpeedup: 1, text: "ring >= plain-JS ring" } });
    ratios.push({ sabre: SPSC_BATCH, baseline: RINGBUF, by: "p50", target: { by: "p50", minSpeedup: 1, text: ">= ringbuf.js" } });
    ratios.push({ sabre: SPSC_BATCH, baseline: "postMessage (MessageChannel)", target: { by: "mean", minSpeedup: 10, text: ">= 10x postMessage" } });
    ratios.push({ sabre: SPSC_SMALL, baseline: RINGBUF_SMALL, by: "p50", target: { by: "p50", minSpeedup: 1, text: ">= ringbuf.js" } });
  }
  // Not a sabre figure, but the context for the targets above: what shared memory buys in JS.
  ratios.push({ sabre: "plain-JS SPSC ring", baseline: "postMessage (MessageChannel)", context: true });

  return {
    unit: "items/s",
    tasks,
    ratios,
    notes,
    skipped,
    timeScale: 2.5,
    teardown: () => Promise.all(groups.map((g) => g.stop())),
  };
}
