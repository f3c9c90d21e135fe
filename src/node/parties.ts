// node/parties.ts — who this thread is, for the party tables of its regions, and the public way
// to say that a thread sabre did not start has died ('sabre/node').
//
// At load (before any region is attached on this thread) it records this thread's identity:
// process id, Node's threadId, and the process start time from the native addon (0 when the
// addon is missing: then a recycled pid is not told apart). Every Region attached afterwards
// on this thread joins its region's party table under it (assembly/party.ts).
//
// A worker thread, when it ends (its process 'exit' event: any code, after the mailboxes it
// read were answered `gone`, spawn.ts), reports its own end: EXITED on code 0, DIED otherwise.
// spawnWorker and spawnProcess report their agents' ends from the host side too (wire/crash-watch.ts).
//
// threadDied(worker) is for a plain `new Worker` that was given handles: call it when that
// worker has ended (its 'exit' event) so that the locks it held are recovered and the waits
// on its channels follow the side rules (README, "When a party dies").
import { threadId, type Worker } from "node:worker_threads";
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys } from "../options";
import { reportPartyEnd, setPartyIdentity } from "../region/region";
import { nativeProblem, nativeAddon } from "./native";

function processStartTime(): number {
  if (nativeProblem() !== undefined) return 0;
  try {
    return nativeAddon("party identity").processStart(process.pid)?.start ?? 0;
  } catch {
    return 0;
  }
}

setPartyIdentity({ pid: process.pid, thread: threadId, start: processStartTime() });

/** Options of {@link threadDied}. */
export interface ThreadDiedOptions {
  /**
   * Whether the thread crashed (default true: uncaught error, non-zero exit code, terminated).
   * A clean end (false) frees the locks it held but fails no wait (channels stay open).
   */
  crashed?: boolean;
}

/**
 * Tells sabre that a worker thread of this process that sabre did not start (a plain
 * `new Worker` given handles) has ended: the locks it held are recovered by their next locker,
 * the mailboxes it read become reader-gone, and waits on its channels fail with PeerGoneError
 * where no one is left on their other side. Call it from the worker's 'exit' event, with the
 * Worker or its `threadId` (read before the exit: Node resets it to -1 after). Affects the
 * regions attached on the calling thread. Returns how many of the thread's parties were marked.
 */
export function threadDied(worker: Worker | number, options: ThreadDiedOptions = {}): number {
  const id = typeof worker === "number" ? worker : worker?.threadId;
  if (!Number.isInteger(id) || (id as number) < 0) {
    throw new InvalidArgumentError(
      `threadDied expects a Worker or its threadId (a non-negative integer), got ${String(id)}; read worker.threadId before the worker exits`,
    );
  }
  checkOptionKeys("threadDied", options, ["crashed"]);
  return reportPartyEnd(process.pid, id as number, options.crashed ?? true);
}

/** @internal This thread reports its own end (a worker thread's 'exit' event). */
export function reportOwnEnd(code: number): void {
  reportPartyEnd(process.pid, threadId, code !== 0);
}
