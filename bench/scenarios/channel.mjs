// channel.mjs — scenario "channel": messages per second from one worker thread to another,
// sabre's Channel beside postMessage on a MessageChannel, for four payloads:
//   small objects {id, name, values: [4 numbers]}  msgpack codec vs structured clone
//   1 KiB strings                                    msgpack codec vs structured clone
//   64 KiB and 1 MiB Uint8Array                      raw codec (one copy in, one out) vs
//                                                    structured clone (postMessage copies too)
//   small objects, sendMany                         batches of 64 per sendMany call, recv one by one
//   small objects, sendMany/recvMany                both ends batched: sendMany of 64 (batch
//                                                    frames), recvMany of up to 64 (one codec call)
//   64 KiB and 1 MiB, recvInto                      raw codec, received into one reused buffer
//   1 MiB zero-copy                                  reserve + set + commit / recvView + release:
//                                                    one copy (the producer's, into the ring)
//   memcpy (baseline)                                Uint8Array.prototype.set of the same size
//                                                    on one thread (plain memory, cache-warm)
//   1 MiB sendParts/recvParts, recv + recycle        zero-copy across fragments through the 1 MiB
//                                                    ring; recv reusing recycled arrays
//   memcpy into shared memory                        one copy's floor (V8 copies into a
//                                                    SharedArrayBuffer word by word), vs memcpy
// One iteration = `items` values sent by the producer worker and checked by the consumer.
// Channels: capacity 1024 messages, a 1 MiB ring (fragments of 256 KiB); the zero-copy one an
// 8 MiB ring, so that a 1 MiB message is one fragment (reserve/recvView need that).
import { MessageChannel } from "node:worker_threads";
import { Channel, Region } from "sabre";
import { WorkerGroup } from "../lib/workers.mjs";

export const title = "messages/s between two worker threads: Channel vs postMessage, small objects to 1 MiB";
export const description = "A producer worker sends K values to a consumer worker; one iteration = all K received and checked.";

const worker = new URL("../workers/channel-worker.mjs", import.meta.url);
const PAYLOADS = [
  ["small objects", "small", "msgpack", 20000, 5000],
  ["1 KiB strings", "str1k", "msgpack", 10000, 5000],
  ["64 KiB Uint8Array", "u64k", "raw", 1000, 500],
  ["1 MiB Uint8Array", "u1m", "raw", 64, 64],
];

export async function define() {
  const groups = [];
  const tasks = [];
  const ratios = [];
  const notes = [];
  const region = Region.create({ size: 40 << 20 });
  const roundTask = (name, role, items, specs) => {
    const group = new WorkerGroup(specs);
    groups.push(group);
    tasks.push({
      name, role, async: true, itemsPerSample: items, sampleIs: `moving ${items} messages`,
      beforeAll: () => group.start(),
      fn: () => group.run(),
      onFailed: () => group.stop(),
    });
  };
  for (const [label, payload, codec, k, kPost] of PAYLOADS) {
    const ch = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20, codec });
    const sabre = `sabre Channel, ${label}`;
    const post = `postMessage, ${label}`;
    roundTask(sabre, "sabre", k, [
      { file: worker, data: { transport: "sabre", role: "producer", channel: ch.handle, items: k, payload } },
      { file: worker, data: { transport: "sabre", role: "consumer", channel: ch.handle, items: k, payload } },
    ]);
    const mc = new MessageChannel();
    roundTask(post, "baseline", kPost, [
      { file: worker, data: { transport: "post", role: "producer", port: mc.port1, items: kPost, payload }, transfer: [mc.port1] },
      { file: worker, data: { transport: "post", role: "consumer", port: mc.port2, items: kPost, payload }, transfer: [mc.port2] },
    ]);
    const target = payload === "small" ? { by: "mean", minSpeedup: 10, text: ">= 10x postMessage" } : undefined;
    ratios.push({ sabre, baseline: post, ...(target ? { target } : {}) });
    if (payload === "u64k" || payload === "u1m") {
      // the same with recvInto: one reused receive buffer instead of a fresh array per message
      const chInto = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20, codec });
      const intoTask = `sabre Channel recvInto, ${label}`;
      roundTask(intoTask, "sabre", k, [
        { file: worker, data: { transport: "sabre", role: "producer", channel: chInto.handle, items: k, payload } },
        { file: worker, data: { transport: "sabre", role: "consumer", channel: chInto.handle, items: k, payload, into: true } },
      ]);
      ratios.push({ sabre: intoTask, baseline: post });
      const size = payload === "u64k" ? 65536 : 1 << 20;
      const src = new Uint8Array(size).fill(7);
      const dst = new Uint8Array(size);
      const mem = `memcpy (Uint8Array.set), ${label}`;
      tasks.push({ name: mem, role: "baseline", itemsPerSample: 1, sampleIs: `one ${label} copy`, fn: () => dst.set(src) });
      ratios.push({
        sabre, baseline: mem,
        ...(payload === "u1m" ? { target: { by: "mean", minSpeedup: 0.5, text: ">= half memcpy bandwidth" } } : {}),
      });
      ratios.push({ sabre: intoTask, baseline: mem });
    }
  }
  {
    // small objects sent in batches of 64 with sendMany (received one by one with recv)
    const k = 20000;
    const ch = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20 });
    const batched = "sabre Channel sendMany (64 per call), small objects";
    roundTask(batched, "sabre", k, [
      { file: worker, data: { transport: "sabre", role: "producer", channel: ch.handle, items: k, payload: "small", batch: 64 } },
      { file: worker, data: { transport: "sabre", role: "consumer", channel: ch.handle, items: k, payload: "small" } },
    ]);
    ratios.push({ sabre: batched, baseline: "postMessage, small objects", target: { by: "mean", minSpeedup: 10, text: ">= 10x postMessage" } });
  }
  {
    // both ends batched: sendMany of 64 (batch frames), recvMany of up to 64
    const k = 20000;
    const ch = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20 });
    const both = "sabre Channel sendMany/recvMany (64 per call), small objects";
    roundTask(both, "sabre", k, [
      { file: worker, data: { transport: "sabre", role: "producer", channel: ch.handle, items: k, payload: "small", batch: 64 } },
      { file: worker, data: { transport: "sabre", role: "consumer", channel: ch.handle, items: k, payload: "small", recvBatch: 64 } },
    ]);
    ratios.push({ sabre: both, baseline: "postMessage, small objects", target: { by: "mean", minSpeedup: 10, text: ">= 10x postMessage (both ends batched)" } });
  }
  {
    // zero-copy 1 MiB: the producer fills the reserved ring bytes, the consumer reads in place
    const k = 64;
    const ch = Channel.create(region, { capacity: 1024, bufferBytes: 8 << 20, codec: "raw" });
    const zc = "sabre Channel zero-copy (reserve/recvView), 1 MiB";
    roundTask(zc, "sabre", k, [
      { file: worker, data: { transport: "sabre-zc", role: "producer", channel: ch.handle, items: k, payload: "u1m" } },
      { file: worker, data: { transport: "sabre-zc", role: "consumer", channel: ch.handle, items: k, payload: "u1m" } },
    ]);
    ratios.push({ sabre: zc, baseline: "postMessage, 1 MiB Uint8Array" });
    ratios.push({ sabre: zc, baseline: "memcpy (Uint8Array.set), 1 MiB Uint8Array", target: { by: "mean", minSpeedup: 0.5, text: ">= half memcpy bandwidth" } });
  }
  {
    // large messages without extra copies through the same 1 MiB ring as the rows above (a 1 MiB
    // message is four fragments): sendParts/recvParts (the producer's copy into the ring only),
    // and recv with recycle() (the received array reused: no fresh zero-filled array)
    const k = 64;
    const parts = "sabre Channel sendParts/recvParts (zero-copy across fragments), 1 MiB";
    const chParts = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20, codec: "raw" });
    roundTask(parts, "sabre", k, [
      { file: worker, data: { transport: "sabre-parts", role: "producer", channel: chParts.handle, items: k, payload: "u1m" } },
      { file: worker, data: { transport: "sabre-parts", role: "consumer", channel: chParts.handle, items: k, payload: "u1m" } },
    ]);
    ratios.push({ sabre: parts, baseline: "memcpy (Uint8Array.set), 1 MiB Uint8Array" });
    const recycled = "sabre Channel recv + recycle, 1 MiB Uint8Array";
    const chRecycled = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20, codec: "raw" });
    roundTask(recycled, "sabre", k, [
      { file: worker, data: { transport: "sabre", role: "producer", channel: chRecycled.handle, items: k, payload: "u1m" } },
      { file: worker, data: { transport: "sabre", role: "consumer", channel: chRecycled.handle, items: k, payload: "u1m", recycle: true } },
    ]);
    ratios.push({ sabre: recycled, baseline: "memcpy (Uint8Array.set), 1 MiB Uint8Array" });
    // the floor of one copy into shared memory: V8 copies to and from a SharedArrayBuffer with
    // relaxed word-by-word stores, not the plain memcpy the baseline above uses
    const dstShared = new Uint8Array(new SharedArrayBuffer(1 << 20));
    const srcPlain = new Uint8Array(1 << 20).fill(7);
    const memShared = "memcpy into shared memory (Uint8Array.set), 1 MiB";
    tasks.push({ name: memShared, role: "baseline", itemsPerSample: 1, sampleIs: "one 1 MiB copy", fn: () => dstShared.set(srcPlain) });
    ratios.push({ sabre: memShared, baseline: "memcpy (Uint8Array.set), 1 MiB Uint8Array" });
  }
  notes.push("items/s = messages/s; for the Uint8Array payloads multiply by the size for bytes/s. A Channel message is copied twice (into the ring, out of it), a memcpy once.");
  return {
    unit: "messages/s",
    tasks,
    ratios,
    notes,
    skipped: [],
    timeScale: 2,
    teardown: () => Promise.all(groups.map((g) => g.stop())),
  };
}
