// subjects.ts — the structures the conformance skeleton runs on (conformance.ts), by the name
// their cases are reported under, with the adapter kind and parameters (adapters.mjs).
import type { Subject } from "./conformance";

export const subjects: Subject[] = [
  { name: "RingBuffer (capacity 8)", kind: "ring", params: { capacity: 8 } },
  { name: "ByteRing (128 bytes: 8 frames of 12)", kind: "bytering", params: { bytes: 128 } },
  ...[0, 1, 8].flatMap((capacity) => ["msgpack", "raw"].map((codec) => ({
    name: `Channel (capacity ${capacity}, ${codec})`, kind: "channel", params: { capacity, codec, bufferBytes: 4096 },
  }))),
  { name: "Mailbox (capacity 4, send/receive)", kind: "mailbox", params: { capacity: 4 } },
  { name: "Semaphore (3 permits)", kind: "semaphore", params: { permits: 3 } },
  { name: "Mutex", kind: "mutex" },
  { name: "RwLock (write side)", kind: "rwlock-write" },
  { name: "Barrier (3 parties)", kind: "barrier", params: { parties: 3 } },
  { name: "SpscRing (capacity 8, int32)", kind: "spsc", params: { capacity: 8, type: "int32" } },
  { name: "SpscRing (capacity 4, float64, batch forms)", kind: "spsc", params: { capacity: 4, type: "float64", batch: true } },
];
