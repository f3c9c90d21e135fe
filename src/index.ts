// index.ts — the public, platform-neutral entry of sabre ('sabre'). No `node:` import may be
// reachable from here (a test checks the bundle).
export { Region, MAX_REGION_BYTES, type RegionHandle, type RegionOptions } from "./region/region";
export { Mutex, MutexGuard, type MutexHandle } from "./sync/mutex";
export type { PrimitiveHandle } from "./region/handle";
export { blockingAllowed, nativeWaitAsync, type WaitOptions } from "./wait/wait";
export { Deadline } from "./wait/deadline";
export type { WasmMemory, WebWorker } from "./globals";
export type { Parker, ParkingKind } from "./wait/parker";
export * from "./errors";
export { crossOriginIsolationProblem, CROSS_ORIGIN_ISOLATION_HEADERS } from "./browser/isolation";
export { Semaphore, Permit, type SemaphoreHandle, type SemaphoreOptions } from "./sync/semaphore";
export { CondVar, type CondVarHandle } from "./sync/condvar";
export { Barrier, type BarrierHandle, type BarrierResult } from "./sync/barrier";
export { RwLock, ReadGuard, WriteGuard, type RwLockHandle } from "./sync/rwlock";
export { RingBuffer, type RingBufferHandle, type RingBufferOptions } from "./queue/ring";
export { ByteRing, type ByteRingHandle, type ByteRingOptions } from "./queue/bytering";
export { Channel, type ChannelHandle, type ChannelOptions, type TryRecvResult } from "./channel/channel";
export { msgpackCodec, rawCodec, jsonCodec, type Codec, type CodecName } from "./codec/codec";
export {
  toWire, fromWire, registerHandleKind, isHandleKind,
  type Attached, type Wire, type LiveKinds, type FromWireOptions, type HandleReviver, type ReviveContext, type PeerEndpoint,
} from "./wire/revive";
// Web Workers. 'sabre/node' exports its own spawnWorker/attachWorkerData (worker threads),
// which shadow these there (an explicit export beats `export *`); see spawn.ts.
export {
  spawnWorker, attachWorkerData, type SpawnWorkerOptions, type WebSpawnWorkerOptions, type SpawnedWorker,
} from "./browser/spawn";
export {
  select, selectAsync, recvCase, sendCase,
  type RecvCase, type SendCase, type SelectCase, type SelectCaseSlot, type SelectOptions,
  type SelectResult, type SelectOutcome, type RecvResult, type SendResult, type DefaultResult,
} from "./channel/select";
// The Selectable seam that select drives (what a Channel gives per case); types only.
export type { Selectable, RecvSelectSource, SendSelectSource, EventSource, Attempt } from "./channel/selectable";
export { Mailbox, MailboxRequest, type MailboxHandle, type MailboxOptions, type MailboxFromOptions, type MailboxTryResult, type RequestOptions, type ServeOptions } from "./mailbox/mailbox";
export type {
  PoolOptions, PoolResourceLimits, PoolRuntime, RunOptions, MapOptions, PoolStats, LatencySummary, PoolStream,
} from "./pool/index";
export type { PoolBase } from "./pool/pool";
export type { ParkTarget } from "./wait/parker";
// The Web Worker pool (runtime "web"); 'sabre/node' exports its own Pool (threads, processes),
// which shadows this one there, as spawnWorker's.
export { Pool } from "./browser/pool";
// RPC: a comlink Endpoint over shared memory, synchronous calls, sabre-native RPC (src/rpc).
export * from "./rpc/index";
// Telling sabre that a Web Worker it did not start died (README, "When a party dies").
export { workerDied, currentThreadId, watchedThreadId, type WorkerDiedOptions } from "./browser/worker-end";
// a Parker's adaptive spin (src/wait/spin.ts), the type of Parker.spinner
export type { Spinner, SpinnerOptions } from "./wait/spin";
// thread-end reporting for Web Workers (acts on load; see wire/thread-end.ts)
import "./wire/thread-end";
// SpscRing: a single-producer single-consumer ring of numbers, built for batches (src/queue/spsc.ts).
export { SpscRing, type SpscRingHandle, type SpscRingOptions, type SpscElementType, type SpscArrays } from "./queue/spsc";
export type { PartsReader } from "./channel/recv";
export type { PartsWriter } from "./channel/send";
