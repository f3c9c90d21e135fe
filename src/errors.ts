// errors.ts — every named error sabre throws, in one module.
//
// Each class has a stable `name` (for checks across realms and threads, where `instanceof`
// fails) and a message that says what happened and what to do about it. `statusError` maps a
// core status code (assembly/layout.ts) to the error a facade throws for it.
import * as L from "../assembly/layout";

/**
 * The base class of every error sabre throws. `name` is the class's name as a literal (it survives
 * minifiers and crosses threads), so check errors by `name` where `instanceof` cannot see the class
 * (another realm, a thread, a process).
 */
export class SabreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A wait ran past its timeout. Nothing was acquired or changed. */
export class TimeoutError extends SabreError {}

/** A wait was cancelled through its AbortSignal. Nothing was acquired or changed. */
export class AbortError extends SabreError {}

/** The ring, channel or other structure was closed. */
export class ClosedError extends SabreError {}

/** The memory holds no valid sabre region header, or a block is not what a handle says. */
export class CorruptRegionError extends SabreError {}

/** A region made by a different layout version of sabre. */
export class LayoutVersionError extends SabreError {}

/** A handle that belongs to another region, or names the wrong kind of primitive. */
export class ForeignHandleError extends SabreError {}

/** The region has no free block large enough for the request. */
export class RegionFullError extends SabreError {}

/** An argument out of range: a size, capacity, count or timeout. */
export class InvalidArgumentError extends SabreError {}

/** Unlock of a lock the calling thread does not hold; the lock is unchanged. */
export class NotOwnerError extends SabreError {}

/** A lock requested again by the thread that already holds it (it would never return). */
export class DeadlockError extends SabreError {}

/** A semaphore released past its maximum; the count is unchanged. */
export class SemaphoreOverflowError extends SabreError {}

/** A blocking call where the platform forbids blocking (a browser's main thread). */
export class BlockingNotAllowedError extends SabreError {}

/**
 * Shared memory is unavailable because the browser page (or worker) is not cross-origin
 * isolated: the server must send Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy.
 */
export class CrossOriginIsolationError extends SabreError {}

/** The holder of a lock died while holding it (file-backed regions shared by processes). */
export class OwnerDeadError extends SabreError {}

/** The peer at the other end of a channel or connection went away. */
export class PeerGoneError extends SabreError {}

/** @internal Throws the error for a core status that is not OK; `what` names the operation. */
export function throwStatus(status: number, what: string): never {
  switch (status) {
    case L.TIMED_OUT:
      throw new TimeoutError(`${what} timed out; pass a larger { timeout } or use the try* form`);
    case L.CLOSED:
      throw new ClosedError(`${what}: closed; no further operations are possible on it`);
    case L.NOT_OWNER:
      throw new NotOwnerError(`${what}: the calling thread does not hold this lock; only the holder may release it`);
    case L.WOULD_DEADLOCK:
      throw new DeadlockError(`${what}: the calling thread already holds this lock; it is not re-entrant`);
    case L.OVERFLOW:
      throw new SemaphoreOverflowError(`${what}: would exceed the semaphore's maximum; the count is unchanged`);
    case L.NO_MEMORY:
      throw new RegionFullError(`${what}: the region has no free block large enough; create a larger region or free blocks`);
    case L.CORRUPT:
      throw new CorruptRegionError(`${what}: shared memory does not hold what was expected (corrupt region or stale handle)`);
    case L.BAD_ARGUMENT:
      throw new InvalidArgumentError(`${what}: invalid argument`);
    default:
      throw new SabreError(`${what}: unexpected core status ${status}`);
  }
}

/** A value the channel's codec cannot encode (a function, a symbol, ...), or a message it
 *  cannot decode (a corrupt frame). The channel stays usable; nothing was sent or consumed
 *  beyond the one bad message. */
export class CodecError extends SabreError {}

/** A message larger than the channel's maxMessageBytes; nothing was written. */
export class MessageTooLargeError extends SabreError {}

/** A worker started by spawnWorker died: an uncaught error (Web Workers) or a non-zero exit
 *  code (Node; `exitCode`). The endpoints passed to it were marked peer-gone. */
export class WorkerCrashError extends SabreError {
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options);
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
  }
  /** The worker's exit code, when it exited with one (Node). */
  readonly exitCode?: number;
}

/** A request's handler failed in the serving thread (Mailbox.request / serve): `remoteName`,
 *  the message and `remoteStack` are the original error's; `name` is always "RemoteError". */
export class RemoteError extends SabreError {
  constructor(
    message: string,
    /** The original error's `name` ("RangeError", ...). */
    readonly remoteName: string,
    /** The original error's message. */
    readonly remoteMessage: string,
    /** The original error's stack, as the serving thread printed it, if it had one. */
    readonly remoteStack?: string,
  ) {
    super(message);
  }
}

/** A selective receive would keep more non-matching messages than the mailbox's maxSaved; the
 *  message that overflowed is kept too. Receive without a predicate (or with a broader one,
 *  or receiveRequest for waiting requests) to drain the saved messages. */
export class SaveQueueFullError extends SabreError {}
