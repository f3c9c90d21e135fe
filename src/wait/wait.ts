// wait.ts — how the TypeScript side waits: deadlines, AbortSignal, and async parking.
//
// Blocking waits happen inside the core (memory.atomic.wait32). Async waits run a core "step"
// export until it says WOULD_BLOCK, then park here on the same 32-bit word the core uses,
// with Atomics.waitAsync where the platform has it and polling with backoff where it does not
// (DESIGN.md, "Waiting"). Nothing here knows any primitive's protocol: the primitive tells
// which word to park on and which value to park while.
import { AbortError, BlockingNotAllowedError, InvalidArgumentError, TimeoutError } from "../errors";

/** Options every waiting call accepts. */
export interface WaitOptions {
  /** Milliseconds to wait at most; omitted or Infinity waits forever. 0 tries once. */
  timeout?: number;
  /** Cancels an async wait; a blocking wait checks it once, before it starts. */
  signal?: AbortSignal;
}

declare const WorkerGlobalScope: unknown;

/**
 * Whether this thread may block: false only on a browser's main (window) thread, where
 * Atomics.wait throws. Node's main thread may block.
 */
export const blockingAllowed: boolean = (() => {
  const g = globalThis as { window?: unknown; document?: unknown; process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) return true;
  if (typeof WorkerGlobalScope !== "undefined") return true;
  return !(typeof g.window !== "undefined" && typeof g.document !== "undefined");
})();

/** Validates `timeout` and returns it in the core's convention: -1 means forever. */
export function timeoutMs(options: WaitOptions | undefined): number {
  const t = options?.timeout;
  if (t === undefined || t === Infinity) return -1;
  if (typeof t !== "number" || Number.isNaN(t) || t < 0) {
    throw new InvalidArgumentError(`timeout must be a number of milliseconds >= 0 or Infinity, got ${String(t)}`);
  }
  return t;
}

/** Throws if the wait must not start: aborted signal, or blocking on a browser main thread. */
export function checkBlocking(what: string, options: WaitOptions | undefined): void {
  throwIfAborted(what, options?.signal);
  if (!blockingAllowed) {
    throw new BlockingNotAllowedError(
      `${what} would block the browser's main thread, which may never block; use the async form (${what}Async) or a try* call`,
    );
  }
}

export function throwIfAborted(what: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(what, signal);
}

export function abortError(what: string, signal: AbortSignal): AbortError {
  return new AbortError(`${what} was aborted by its AbortSignal`, { cause: signal.reason });
}

export function timeoutError(what: string, ms: number): TimeoutError {
  return new TimeoutError(`${what} timed out after ${ms} ms; pass a larger { timeout } or use the try* form`);
}

/** Absolute deadline (performance.now() ms) for a validated timeout, Infinity for none. */
export function deadlineFrom(ms: number): number {
  return ms < 0 ? Infinity : performance.now() + ms;
}

type WaitAsyncResult = { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
const waitAsync: ((a: Int32Array, i: number, v: number, t?: number) => WaitAsyncResult) | undefined =
  (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t?: number) => WaitAsyncResult }).waitAsync;

/** Whether async waits park natively (Atomics.waitAsync) rather than by polling. */
export const nativeWaitAsync = typeof waitAsync === "function";

/**
 * Parks asynchronously while `words[index] === expected`, until notified, the deadline, or
 * the signal. Resolves "woken" (notified or the value changed: re-check), "timed-out"; rejects
 * with AbortError on abort. A wake-up that reaches an aborted waiter is passed on with one
 * notify, so that an abandoned waitAsync never swallows another waiter's wake-up.
 */
export function parkAsync(
  words: Int32Array, index: number, expected: number, deadline: number, what: string, signal?: AbortSignal,
): Promise<"woken" | "timed-out"> {
  if (signal?.aborted) return Promise.reject(abortError(what, signal));
  const left = deadline === Infinity ? Infinity : deadline - performance.now();
  if (left <= 0) return Promise.resolve("timed-out");
  if (!waitAsync) return pollWhileEqual(words, index, expected, deadline, what, signal);
  const r = waitAsync(words, index, expected, left);
  if (!r.async) return Promise.resolve(r.value === "timed-out" ? "timed-out" : "woken");
  // Node: a pending Atomics.waitAsync does not keep the event loop alive (a worker awaiting
  // only it exits with code 13); hold a timer until the wait settles or is aborted.
  const keepAlive = setTimeout(() => {}, 0x7fffffff);
  const value = r.value.finally(() => clearTimeout(keepAlive));
  if (!signal) return value.then((v) => (v === "ok" ? "woken" : "timed-out"));
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      clearTimeout(keepAlive);
      reject(abortError(what, signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    value.then((v) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) {
        if (v === "ok") Atomics.notify(words, index, 1); // pass on the wake-up we no longer need
        return;
      }
      settled = true;
      resolve(v === "ok" ? "woken" : "timed-out");
    });
  });
}

/** Fallback without Atomics.waitAsync: re-check with exponential backoff (0.05 ms .. 20 ms). */
async function pollWhileEqual(
  words: Int32Array, index: number, expected: number, deadline: number, what: string, signal?: AbortSignal,
): Promise<"woken" | "timed-out"> {
  let delay = 0.05;
  while (Atomics.load(words, index) === expected) {
    if (signal?.aborted) throw abortError(what, signal);
    const left = deadline - performance.now();
    if (left <= 0) return "timed-out";
    await new Promise((r) => setTimeout(r, Math.min(delay, left)));
    delay = Math.min(delay * 2, 20);
  }
  return "woken";
}
