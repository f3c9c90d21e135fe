// errors.ts — every named error sabre throws, in one module.
//
// Each class has
//   - a literal `name` ("TimeoutError"), set in the class: minifiers rename classes, so a name
//     taken from the constructor would read "He" in a minified bundle;
//   - a stable string `code` ("ERR_SABRE_TIMEOUT"), the one way to recognise an error where
//     `instanceof` fails (another realm, thread, process or socket). Codes never change once
//     published; never recognise an error by its message text;
//   - a message that says what happened and what to do about it.
//
//   class                       code
//   SabreError                  ERR_SABRE                       (base; also unexpected states)
//   TimeoutError                ERR_SABRE_TIMEOUT
//   AbortError                  ERR_SABRE_ABORTED
//   ClosedError                 ERR_SABRE_CLOSED
//   CorruptRegionError          ERR_SABRE_CORRUPT_REGION
//   LayoutVersionError          ERR_SABRE_LAYOUT_VERSION
//   ForeignHandleError          ERR_SABRE_FOREIGN_HANDLE
//   RegionFullError             ERR_SABRE_REGION_FULL
//   InvalidArgumentError        ERR_SABRE_INVALID_ARGUMENT
//   NotOwnerError               ERR_SABRE_NOT_OWNER
//   DeadlockError               ERR_SABRE_DEADLOCK
//   SemaphoreOverflowError      ERR_SABRE_SEMAPHORE_OVERFLOW
//   BlockingNotAllowedError     ERR_SABRE_BLOCKING_NOT_ALLOWED
//   CrossOriginIsolationError   ERR_SABRE_NOT_ISOLATED
//   OwnerDeadError              ERR_SABRE_OWNER_DEAD
//   PeerGoneError               ERR_SABRE_PEER_GONE
//   CodecError                  ERR_SABRE_CODEC
//   MessageTooLargeError        ERR_SABRE_MESSAGE_TOO_LARGE
//   WorkerCrashError            ERR_SABRE_WORKER_CRASH
//   RemoteError                 ERR_SABRE_REMOTE
//   SaveQueueFullError          ERR_SABRE_SAVE_QUEUE_FULL
//   WorkerLoadError             ERR_SABRE_WORKER_LOAD           (a WorkerCrashError)
//   TransferUnavailableError    ERR_SABRE_TRANSFER_UNAVAILABLE
//   PoolClosedError             ERR_SABRE_POOL_CLOSED
//   QueueFullError              ERR_SABRE_POOL_QUEUE_FULL
//   TaskWorkerError             ERR_SABRE_POOL_WORKER_DIED
//
// Crossing a thread. Structured clone keeps only an Error's message (and its name if it is a
// built-in one), so sabre never posts an error object as it is: `errorToWire` turns any error
// into a plain ErrorWire ({ __sabre: "error", code, name, message, stack, own data fields })
// and `errorFromWire` rebuilds the class of its code (an unknown code gives a plain Error with
// the same name, code and fields). toWire/fromWire (wire/revive.ts) do this for errors inside
// data, a Mailbox failure reply carries an ErrorWire, and spawnWorker rebuilds the class of a
// worker's uncaught error from its code (`reviveError`).
//
// `throwStatus` maps a core status code (assembly/layout.ts) to the error a facade throws for it.
import * as L from "../assembly/layout";

/**
 * The base class of every error sabre throws. `name` is the class's name as a literal (it survives
 * minifiers and crosses threads), so check errors by `name` where `instanceof` cannot see the class
 * (another realm, a thread, a process).
 */
export class SabreError extends Error {
  /** The class's name as a string literal: stays right after minification and across threads. */
  override readonly name: string = "SabreError";
  /** A stable code naming the error's class (see the table in errors.ts). */
  readonly code: string = "ERR_SABRE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A wait ran past its timeout. Nothing was acquired or changed. */
export class TimeoutError extends SabreError {
  override readonly name = "TimeoutError" as const;
  override readonly code = "ERR_SABRE_TIMEOUT" as const;
}

/** A wait was cancelled through its AbortSignal. Nothing was acquired or changed. */
export class AbortError extends SabreError {
  override readonly name = "AbortError" as const;
  override readonly code = "ERR_SABRE_ABORTED" as const;
}

/** The ring, channel or other structure was closed. */
export class ClosedError extends SabreError {
  override readonly name = "ClosedError" as const;
  override readonly code = "ERR_SABRE_CLOSED" as const;
}

/** The memory holds no valid sabre region header, or a block is not what a handle says. */
export class CorruptRegionError extends SabreError {
  override readonly name = "CorruptRegionError" as const;
  override readonly code = "ERR_SABRE_CORRUPT_REGION" as const;
}

/** A region made by a different layout version of sabre. */
export class LayoutVersionError extends SabreError {
  override readonly name = "LayoutVersionError" as const;
  override readonly code = "ERR_SABRE_LAYOUT_VERSION" as const;
}

/** A handle that belongs to another region, or names the wrong kind of primitive. */
export class ForeignHandleError extends SabreError {
  override readonly name = "ForeignHandleError" as const;
  override readonly code = "ERR_SABRE_FOREIGN_HANDLE" as const;
}

/** The region has no free block large enough for the request. */
export class RegionFullError extends SabreError {
  override readonly name = "RegionFullError" as const;
  override readonly code = "ERR_SABRE_REGION_FULL" as const;
}

/** An argument out of range: a size, capacity, count or timeout. */
export class InvalidArgumentError extends SabreError {
  override readonly name = "InvalidArgumentError" as const;
  override readonly code = "ERR_SABRE_INVALID_ARGUMENT" as const;
}

/** Unlock of a lock the calling thread does not hold; the lock is unchanged. */
export class NotOwnerError extends SabreError {
  override readonly name = "NotOwnerError" as const;
  override readonly code = "ERR_SABRE_NOT_OWNER" as const;
}

/** A lock requested again by the thread that already holds it (it would never return). */
export class DeadlockError extends SabreError {
  override readonly name = "DeadlockError" as const;
  override readonly code = "ERR_SABRE_DEADLOCK" as const;
}

/** A semaphore released past its maximum; the count is unchanged. */
export class SemaphoreOverflowError extends SabreError {
  override readonly name = "SemaphoreOverflowError" as const;
  override readonly code = "ERR_SABRE_SEMAPHORE_OVERFLOW" as const;
}

/** A blocking call where the platform forbids blocking (a browser's main thread). */
export class BlockingNotAllowedError extends SabreError {
  override readonly name = "BlockingNotAllowedError" as const;
  override readonly code = "ERR_SABRE_BLOCKING_NOT_ALLOWED" as const;
}

/**
 * Shared memory is unavailable because the browser page (or worker) is not cross-origin
 * isolated: the server must send Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy.
 */
export class CrossOriginIsolationError extends SabreError {
  override readonly name = "CrossOriginIsolationError" as const;
  override readonly code = "ERR_SABRE_NOT_ISOLATED" as const;
}

/** The guard an {@link OwnerDeadError} carries: the lock, now held by the caller. */
export interface RecoveredGuard extends Disposable {
  /** Releases the lock; unless markConsistent was called, the next locker is told again. */
  unlock(): void;
  /** The state the lock protects was repaired: later lockers are no longer told an owner died. */
  markConsistent(): void;
  /** Whether the lock is still marked owner-died (not yet marked consistent). */
  readonly ownerDied: boolean;
}

/**
 * The previous holder of a lock died while holding it (a thread or process that ended, see
 * README "When a party dies"): the caller holds the lock now, through `guard`; repair the state
 * it protects and call `guard.markConsistent()`.
 */
export class OwnerDeadError extends SabreError {
  override readonly name = "OwnerDeadError" as const;
  override readonly code = "ERR_SABRE_OWNER_DEAD" as const;
  /** The guard of the lock, held by the caller (a MutexGuard); absent when revived from elsewhere. */
  readonly guard?: RecoveredGuard;
  constructor(message: string, options?: ErrorOptions & { guard?: RecoveredGuard }) {
    super(message, options);
    if (options?.guard) this.guard = options.guard;
  }
}

/** The peer at the other end of a channel or connection went away (a mailbox: the thread
 *  reading it ended or died). */
export class PeerGoneError extends SabreError {
  override readonly name = "PeerGoneError" as const;
  override readonly code = "ERR_SABRE_PEER_GONE" as const;
}

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
      throw new CorruptRegionError(
        `${what}: the core answered with no status this sabre knows; the region's shared state is corrupt ` +
          `(a stray write into region memory?) or the core and the runtime come from different builds (status ${status})`,
      );
  }
}

/** A value the channel's codec cannot encode (a function, a symbol, ...), or a message it
 *  cannot decode (a corrupt frame). The channel stays usable; nothing was sent or consumed
 *  beyond the one bad message. */
export class CodecError extends SabreError {
  override readonly name = "CodecError" as const;
  override readonly code = "ERR_SABRE_CODEC" as const;
}

/** A message larger than the channel's maxMessageBytes; nothing was written. */
export class MessageTooLargeError extends SabreError {
  override readonly name = "MessageTooLargeError" as const;
  override readonly code = "ERR_SABRE_MESSAGE_TOO_LARGE" as const;
}

/** A worker started by spawnWorker died: an uncaught error (Web Workers) or a non-zero exit
 *  code (Node; `exitCode`). The endpoints passed to it were marked peer-gone. */
export class WorkerCrashError extends SabreError {
  override readonly name: "WorkerCrashError" | "WorkerLoadError" = "WorkerCrashError";
  override readonly code: "ERR_SABRE_WORKER_CRASH" | "ERR_SABRE_WORKER_LOAD" = "ERR_SABRE_WORKER_CRASH";
  /** The worker's exit code, when it exited with one (Node). */
  readonly exitCode?: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options);
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
  }
}

/** A request's handler failed in the serving thread (Mailbox.request / serve): `remoteName`,
 *  `remoteCode` (a sabre code, or the error's own string `code`), the message and
 *  `remoteStack` are the original error's, and `cause` is that error rebuilt on this thread
 *  (its sabre class when its code is one). `name` is always "RemoteError". */
export class RemoteError extends SabreError {
  override readonly name = "RemoteError" as const;
  override readonly code = "ERR_SABRE_REMOTE" as const;
  constructor(
    message: string,
    /** The original error's `name` ("RangeError", ...). */
    readonly remoteName: string,
    /** The original error's message. */
    readonly remoteMessage: string,
    /** The original error's stack, as the serving thread printed it, if it had one. */
    readonly remoteStack?: string,
    /** The original error's code: a sabre code, or its own string `code`, if it had one. */
    readonly remoteCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A selective receive would keep more non-matching messages than the mailbox's maxSaved; the
 *  message that overflowed is kept too. Receive without a predicate (or with a broader one,
 *  or receiveRequest for waiting requests) to drain the saved messages. */
export class SaveQueueFullError extends SabreError {
  override readonly name = "SaveQueueFullError" as const;
  override readonly code = "ERR_SABRE_SAVE_QUEUE_FULL" as const;
}

/** A Web Worker started by spawnWorker could not load its script (fetch, parse or link failed:
 *  a 404, a missing COEP header, an import that does not resolve); a WorkerCrashError. */
export class WorkerLoadError extends WorkerCrashError {
  override readonly name = "WorkerLoadError" as const;
  override readonly code = "ERR_SABRE_WORKER_LOAD" as const;
}

/** A value that needs a real MessagePort (comlink's proxy() callbacks, transferred buffers)
 *  was sent over an RPC link that has no side channel: between threads pass the link end's
 *  `via` (the Worker, parentPort or self); between processes no MessagePort can travel. */
export class TransferUnavailableError extends SabreError {
  override readonly name = "TransferUnavailableError" as const;
  override readonly code = "ERR_SABRE_TRANSFER_UNAVAILABLE" as const;
}

/** The pool is closing or destroyed: no new task is accepted; `run` rejects with this, and
 *  destroy() rejects every unsettled task with it. */
export class PoolClosedError extends SabreError {
  override readonly name = "PoolClosedError" as const;
  override readonly code = "ERR_SABRE_POOL_CLOSED" as const;
}

/** A pool's `run` found its queue at `maxQueue` (with queueFull "reject"): the task was not queued. */
export class QueueFullError extends SabreError {
  override readonly name = "QueueFullError" as const;
  override readonly code = "ERR_SABRE_POOL_QUEUE_FULL" as const;
}

/** A pool task's worker died while the task ran (an uncaught error, process.exit, out of
 *  memory), or was terminated because a cancelled task on it did not stop within the grace
 *  period. The worker's own error is the `cause`; the pool replaced the worker. */
export class TaskWorkerError extends SabreError {
  override readonly name = "TaskWorkerError" as const;
  override readonly code = "ERR_SABRE_POOL_WORKER_DIED" as const;
}

// ---- errors across threads ------------------------------------------------------------------

type ErrorClass = new (message: string) => SabreError;

/** Every error class of this module (the table in the header), for rebuilding by code. */
export const errorClasses: readonly ErrorClass[] = [
  SabreError, TimeoutError, AbortError, ClosedError, CorruptRegionError, LayoutVersionError, ForeignHandleError,
  RegionFullError, InvalidArgumentError, NotOwnerError, DeadlockError, SemaphoreOverflowError, BlockingNotAllowedError,
  CrossOriginIsolationError, OwnerDeadError, PeerGoneError, CodecError, MessageTooLargeError, WorkerCrashError,
  RemoteError as unknown as ErrorClass, SaveQueueFullError, WorkerLoadError,
  TransferUnavailableError,
  PoolClosedError, QueueFullError, TaskWorkerError,
];

let byCode: Map<string, ErrorClass> | undefined;

/** The sabre error class whose code is `code`, if any. */
export function errorClassOf(code: unknown): ErrorClass | undefined {
  if (!byCode) {
    byCode = new Map();
    for (const C of errorClasses) byCode.set(new C("").code, C);
  }
  return typeof code === "string" ? byCode.get(code) : undefined;
}

/** An error as plain, structured-cloneable (and JSON-able) data. */
export interface ErrorWire {
  /** Marks the data as an error, always "error". */
  readonly __sabre: "error";
  /** The error's string `code` (a sabre code, or the error's own), if it had one. */
  readonly code?: string;
  /** The error's `name`. */
  readonly name: string;
  /** The error's message. */
  readonly message: string;
  /** The error's stack, as its thread printed it, if it had one. */
  readonly stack?: string;
  /** Own fields of the error whose values are strings, numbers, booleans or null
   *  (exitCode, remoteName, ...), and its cause as an ErrorWire when that is an error. */
  readonly fields?: Record<string, string | number | boolean | null>;
  /** The error's cause, when that was an error too. */
  readonly cause?: ErrorWire;
}

const WIRE_SKIP = new Set(["name", "message", "stack", "code", "cause"]);

/** `error` as an ErrorWire (anything thrown: a non-error becomes { name: "Error", message }). */
export function errorToWire(error: unknown, depth = 0): ErrorWire {
  if (typeof error !== "object" || error === null) return { __sabre: "error", name: "Error", message: String(error) };
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; cause?: unknown };
  const fields: Record<string, string | number | boolean | null> = {};
  let any = false;
  for (const key of Object.keys(e)) {
    const v = (e as Record<string, unknown>)[key];
    if (WIRE_SKIP.has(key)) continue;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      fields[key] = v;
      any = true;
    }
  }
  return {
    __sabre: "error",
    code: typeof e.code === "string" ? e.code : undefined,
    name: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
    stack: typeof e.stack === "string" ? e.stack : undefined,
    fields: any ? fields : undefined,
    cause: e.cause instanceof Error && depth < 8 ? errorToWire(e.cause, depth + 1) : undefined,
  };
}

/** The error an ErrorWire describes: an instance of the sabre class of its code, else an
 *  Error with its name and code; message, stack and fields restored. */
export function errorFromWire(wire: ErrorWire): Error {
  const C = errorClassOf(wire.code);
  const cause = wire.cause ? errorFromWire(wire.cause) : undefined;
  const error: Error = C ? new C(String(wire.message ?? "")) : new Error(String(wire.message ?? ""));
  if (!C) {
    error.name = String(wire.name ?? "Error");
    if (wire.code !== undefined) (error as { code?: string }).code = wire.code;
  }
  if (typeof wire.stack === "string") error.stack = wire.stack;
  if (wire.fields) {
    for (const [k, v] of Object.entries(wire.fields)) if (!WIRE_SKIP.has(k)) (error as unknown as Record<string, unknown>)[k] = v;
  }
  if (cause) Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true });
  return error;
}

/** `error` as the sabre class its `code` names when it arrived as another class (a worker's
 *  uncaught error, which Node delivers as a plain Error with the original's own fields). */
export function reviveError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const C = errorClassOf((error as { code?: unknown }).code);
  if (!C || error instanceof C) return error;
  return errorFromWire(errorToWire(error));
}
