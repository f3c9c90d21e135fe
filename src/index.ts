// index.ts — the public, platform-neutral entry of sabre ('sabre'). No `node:` import may be
// reachable from here (a test checks the bundle).
export { Region, MAX_REGION_BYTES, type RegionHandle, type RegionOptions } from "./region";
export { Mutex, MutexGuard, type MutexHandle } from "./mutex";
export type { PrimitiveHandle } from "./handle";
export { blockingAllowed, nativeWaitAsync, type WaitOptions } from "./wait";
export * from "./errors";
export { crossOriginIsolationProblem, CROSS_ORIGIN_ISOLATION_HEADERS } from "./browser/isolation";
export { Semaphore, Permit, type SemaphoreHandle, type SemaphoreOptions } from "./semaphore";
export { CondVar, type CondVarHandle } from "./condvar";
export { Barrier, type BarrierHandle, type BarrierResult } from "./barrier";
export { RwLock, ReadGuard, WriteGuard, type RwLockHandle } from "./rwlock";
export { RingBuffer, type RingBufferHandle, type RingBufferOptions } from "./ring";
export { ByteRing, type ByteRingHandle, type ByteRingOptions } from "./bytering";
export { Channel, type ChannelHandle, type ChannelOptions, type TryRecvResult } from "./channel";
export { msgpackCodec, rawCodec, jsonCodec, type Codec, type CodecName } from "./codec";
export { Mailbox, MailboxRequest, type MailboxHandle, type MailboxOptions, type MailboxFromOptions, type MailboxTryResult, type RequestOptions, type ServeOptions } from "./mailbox";
