// subjects.ts — the structures the conformance skeleton runs on (conformance.ts), by the name
// their cases are reported under, with the adapter kind and parameters (adapters.mjs), and
// the cases that fail today because of a known bug (run by conformance.pending.test.ts only,
// kept out of conformance.test.ts until the fix lands; each entry says which bug).
import type { CaseId, Subject } from "./conformance";

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
];

// Known bugs (each case asserts the correct behaviour and fails until its fix lands):
//   async-takers, async-putters on a Channel: a second recvAsync (sendAsync) of one thread on
//     one channel rejects at once with DeadlockError ("the calling thread already holds this
//     lock") while the first waits; async tasks of one thread must be served in turn.
const channelAsync: readonly CaseId[] = ["async-takers", "async-putters"];

/** Cases that fail today because of a known bug, by subject name (see above). */
export const pending: Record<string, readonly CaseId[]> = {
  "Channel (capacity 0, msgpack)": ["async-takers"],
  "Channel (capacity 0, raw)": ["async-takers"],
  "Channel (capacity 1, msgpack)": channelAsync,
  "Channel (capacity 1, raw)": channelAsync,
  "Channel (capacity 8, msgpack)": channelAsync,
  "Channel (capacity 8, raw)": channelAsync,
};
