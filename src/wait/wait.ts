// wait.ts — the rules every waiting call follows: the options it takes, whether this thread
// may block, and the errors of a wait that was aborted or timed out.
//
// How waits park is the region's Parker's (parker.ts); how long, the Deadline's (deadline.ts);
// operations that wait are step machines run by the drivers of steps.ts.
import * as L from "../../assembly/layout";
import { AbortError, BlockingNotAllowedError, InvalidArgumentError, TimeoutError } from "../errors";
import { Deadline } from "./deadline";
import { parkerOf, WAIT_ABORTED } from "./parker";

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

/** Whether async waits park natively (Atomics.waitAsync) rather than by polling. */
export { nativeWaitAsync } from "./parker";

/**
 * Parks asynchronously while `words[index] === expected`, through the parker of the region
 * whose memory `words` views, until woken, the deadline (absolute, performance.now() ms), or
 * the signal. Resolves "woken" (re-check) or "timed-out"; rejects with AbortError on abort.
 */
export async function parkAsync(
  words: Int32Array, index: number, expected: number, deadline: number, what: string, signal?: AbortSignal,
): Promise<"woken" | "timed-out"> {
  if (signal?.aborted) throw abortError(what, signal);
  const parker = parkerOf(words.buffer);
  if (!parker) throw new Error(`${what}: no region parker for this memory (a bug in sabre)`);
  const code = await parker.waitAsync(index << 2, expected, Deadline.at(deadline), signal);
  if (code === WAIT_ABORTED) throw abortError(what, signal as AbortSignal);
  return code === L.WAIT_TIMED_OUT ? "timed-out" : "woken";
}
