// ringcalls.mjs — scenario "ringcalls": the per-call cost of a ring on ONE thread, uncontended.
//
// A push followed by a pop of the same item, on one thread, so no cache line moves between
// cores: what is left is the cost of the calls themselves. Set beside the "ring" scenario it
// tells a slow cross-thread figure caused by calls (facade, JS -> wasm boundary) from one
// caused by cross-core traffic or waiting. Tasks: sabre's facade (blocking push/pop and
// tryPush/tryPop), the core's exports called directly (diagnostic, through the adapter),
// SpscRing's blocking and try forms, and the hand-written plain-JS SPSC ring. Each sample is the mean of a batch of OPS pairs.
import * as sabre from "sabre";
import { perOpTask } from "../lib/batch.mjs";
import { createPlainRing, PlainRingConsumer, PlainRingProducer } from "../lib/plain-ring.mjs";
import { coreOps, createRing, ringOps, ringStatus } from "../lib/sabre-ring.mjs";

const { Region, SpscRing } = sabre;

export const title = "per-call cost of a ring on one thread (push+pop pairs, uncontended)";
export const description = "One thread pushes then pops one item; items are push+pop pairs; each sample is a batch mean.";

const OPS = 2000;

export async function define() {
  const tasks = [];
  const skipped = [];
  const notes = [`each sample is the mean of ${OPS} push+pop pairs on one thread; p99 is over batch means`];
  const sampleIs = `mean of ${OPS} pairs`;
  const FACADE = "sabre push()+pop()";
  const TRY = "sabre tryPush()+tryPop()";
  const CORE = "core ring_try_push+ring_try_pop";
  const PLAIN = "plain-JS SPSC push()+pop()";

  let available = ringStatus.available;
  if (available) {
    try {
      const region = Region.create({ size: 1 << 18 });
      const { ring } = createRing(region, 4096);
      const ops = ringOps(ring);
      tasks.push({
        name: FACADE, role: "sabre", sampleIs,
        fn: perOpTask(OPS, (n) => {
          for (let i = 0; i < n; i++) {
            ops.push(i);
            if (ops.pop() !== i) throw new Error("ring returned a wrong value");
          }
        }),
      });
      tasks.push({
        name: TRY, role: "sabre", sampleIs,
        fn: perOpTask(OPS, (n) => {
          for (let i = 0; i < n; i++) {
            if (!ops.tryPush(i) || ops.tryPop() !== i) throw new Error("ring try calls failed on an empty ring");
          }
        }),
      });
      const core = coreOps(ring);
      if (core) {
        tasks.push({
          name: CORE, role: "diagnostic", sampleIs,
          fn: perOpTask(OPS, (n) => {
            for (let i = 0; i < n; i++) {
              if (!core.tryPush(i) || core.tryPop() !== i) throw new Error("core ring calls failed on an empty ring");
            }
          }),
        });
      } else {
        skipped.push({ task: CORE, reason: "the core has no ring_try_push/ring_try_pop exports (see bench/lib/sabre-ring.mjs coreOps)" });
      }
      if (ringStatus.source !== "sabre") notes.push(`RingBuffer from ${ringStatus.source}`);
    } catch (error) {
      available = false;
      tasks.length = 0;
      const reason = `creating a RingBuffer failed (${error?.message ?? error}); adapt bench/lib/sabre-ring.mjs to its API`;
      for (const task of [FACADE, TRY, CORE]) skipped.push({ task, reason });
    }
  } else {
    for (const task of [FACADE, TRY, CORE]) skipped.push({ task, reason: ringStatus.reason });
  }

  const SPSC = "sabre SpscRing push()+pop()";
  const SPSC_TRY = "sabre SpscRing tryPush()+tryPop()";
  if (typeof SpscRing === "function") {
    const spsc = SpscRing.create(Region.create({ size: 1 << 18 }), { capacity: 4096 });
    tasks.push({
      name: SPSC, role: "sabre", sampleIs,
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) {
          spsc.push(i);
          if (spsc.pop() !== i) throw new Error("SpscRing returned a wrong value");
        }
      }),
    });
    tasks.push({
      name: SPSC_TRY, role: "sabre", sampleIs,
      fn: perOpTask(OPS, (n) => {
        for (let i = 0; i < n; i++) {
          if (!spsc.tryPush(i) || spsc.tryPop() !== i) throw new Error("SpscRing try calls failed on an empty ring");
        }
      }),
    });
  } else {
    for (const task of [SPSC, SPSC_TRY]) skipped.push({ task, reason: "this build of 'sabre' does not export SpscRing" });
  }

  const sab = createPlainRing(4096);
  const producer = new PlainRingProducer(sab);
  const consumer = new PlainRingConsumer(sab);
  tasks.push({
    name: PLAIN, role: "baseline", sampleIs,
    fn: perOpTask(OPS, (n) => {
      for (let i = 0; i < n; i++) {
        producer.push(i);
        if (consumer.pop() !== i) throw new Error("plain ring returned a wrong value");
      }
    }),
  });

  const ratios = [];
  if (available) {
    for (const sabre of [FACADE, TRY, CORE]) {
      if (tasks.some((t) => t.name === sabre)) ratios.push({ sabre, baseline: PLAIN });
    }
  }
  for (const sabre of [SPSC, SPSC_TRY]) if (tasks.some((t) => t.name === sabre)) ratios.push({ sabre, baseline: PLAIN });
  return { unit: "push+pop/s", tasks, ratios, notes, skipped, timeScale: 0.6 };
}
