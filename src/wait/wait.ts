// wait.ts — the rules every waiting call follows: the options it takes, whether this thread
// may block, and the error of a wait that was aborted.
//
// How waits park is the region's Parker's (parker.ts); how long, the Deadline's (deadline.ts);
// operations that wait are step machines run by the drivers of steps.ts.
import { AbortError, BlockingNotAllowedError } from "../errors";

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

/** Throws if the wait must not start: aborted signal, or blocking on a browser main thread. */
export function checkBlocking(what: string, options: WaitOptions | undefined): void {
  throwIfAborted(what, options?.signal);
  if (!blockingAllowed) {
    throw new BlockingNotAllowedError(
      `${what} would block the browser's main thread, which may never block; use the async form (${what}Async) or a try* call`,
    );
  }
}

/** Throws AbortError if `signal` is already aborted. */
export function throwIfAborted(what: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(what, signal);
}

/** The AbortError of `what`, with the signal's reason as its cause. */
export function abortError(what: string, signal: AbortSignal): AbortError {
  return new AbortError(`${what} was aborted by its AbortSignal`, { cause: signal.reason });
}

/** Whether async waits park natively (Atomics.waitAsync) rather than by polling. */
export { nativeWaitAsync } from "./parker";
