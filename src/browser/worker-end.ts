// worker-end.ts — when a Web Worker can run no more code, and the public way to say that a Web
// Worker sabre did not start has died ('sabre'; platform-neutral, uses the Web Locks API).
//
// A terminated Web Worker does not stop at once: worker.terminate() asks its thread to stop,
// and the script it is running is interrupted moments later. Reporting its death before that
// could hand a lock it still holds to another party while it still writes under it. The end of
// a worker's global scope is observable through the Web Locks API: a lock held by a context is
// released when the context is destroyed, after its last script ran. So:
//
//   worker side   holdThreadLock(pid, thread): the worker requests the exclusive Web Lock
//                 `sabre-thread:<pid>:<thread>` (its party identity, region.ts) and holds it
//                 for its whole life; the promise resolves once the lock is granted
//   parent side   whenThreadStopped(pid, thread): requests the same lock; it is granted once the
//                 worker holding it is gone (closed, crashed, terminated), and at once when no
//                 one holds it (a worker that never got that far: it never ran the code that
//                 would hold sabre locks); released at once
//
// Who holds the lock: every dedicated Web Worker that loads sabre, under its identity at load
// (spawn.ts), and a worker started by spawnWorker also under the identity spawnWorker gave it
// (before attachWorkerData resolves, so it touches its data only while holding the lock). A
// request is granted asynchronously, and a worker busy in synchronous code would not hold it yet:
// a plain worker therefore posts its id from watchedThreadId(), which resolves once it is held.
// A parent asks only once the worker holds it (spawnWorker's clean-end watch) or after
// worker.terminate() (a terminated worker runs no new task, so a grant that comes later is
// never used). Where the Web Locks API is missing (it is present wherever a page is
// cross-origin isolated in current browsers), the parent reports at once: best effort.
//
// Lock names are per origin, shared by every page of it: the identity's random 30-bit thread
// id tells workers of different pages apart (a collision is as likely as two equal draws).
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys } from "../options";
import { partyIdentity, reportPartyEnd } from "../region/region";
import { isDedicatedWorker } from "../wire/thread-end";

interface LockManager {
  request(name: string, callback: () => unknown): Promise<unknown>;
}

function lockManager(): LockManager | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return typeof locks?.request === "function" ? locks : undefined;
}

function lockName(pid: number, thread: number): string {
  return `sabre-thread:${pid}:${thread}`;
}

/** @internal A fresh random thread id for a party identity (the range region.ts draws from). */
export function newThreadId(): number {
  return 0x40000000 + ((Math.random() * 0x3fffffff) | 0);
}

/** This thread's Web Lock requests by name: each requested once, held for the worker's life. */
const heldLocks = new Map<string, Promise<void>>();

/**
 * @internal Worker side: holds this thread's Web Lock for `pid`/`thread` until the worker ends;
 * resolves once it is held (at once without the Web Locks API).
 */
export function holdThreadLock(pid: number, thread: number): Promise<void> {
  const name = lockName(pid, thread);
  let held = heldLocks.get(name);
  if (held) return held;
  const locks = lockManager();
  held = !locks ? Promise.resolve() : new Promise<void>((granted) => {
    locks.request(name, () => {
      granted();
      return new Promise(() => {}); // released when this worker's global scope is destroyed
    }).catch(() => granted());
  });
  heldLocks.set(name, held);
  return held;
}

/** @internal Parent side: resolves once the worker holding `pid`/`thread`'s lock can run no more code. */
export function whenThreadStopped(pid: number, thread: number): Promise<void> {
  const locks = lockManager();
  if (!locks) return Promise.resolve();
  return locks.request(lockName(pid, thread), () => undefined).then(() => undefined, () => undefined);
}

/**
 * This thread's id in the party tables of the regions it attaches: what {@link workerDied}
 * (and, in Node, `threadDied` of 'sabre/node') takes. In Node it is the worker's `threadId`; in
 * a browser a random id, which a plain Web Worker posts to its page so that the page can report
 * its death.
 */
export function currentThreadId(): number {
  return partyIdentity().thread;
}

/**
 * {@link currentThreadId}, once this thread's end can be told: in a Web Worker, resolves when the
 * worker holds the Web Lock that {@link workerDied} waits on (see the module header), so a page
 * that reports the worker's death never does so while it still runs. A plain Web Worker posts
 * this to its page (`self.postMessage({ thread: await watchedThreadId() })`) before it touches
 * shared memory. Elsewhere (a page, Node) it resolves with currentThreadId() at once.
 */
export async function watchedThreadId(): Promise<number> {
  const { pid, thread } = partyIdentity();
  if (isDedicatedWorker()) await holdThreadLock(pid, thread);
  return thread;
}

/** Options of {@link workerDied}. */
export interface WorkerDiedOptions {
  /**
   * Whether the worker crashed (default true: an uncaught error, terminated). A clean end
   * (false) frees the locks it held but fails no wait (channels stay open).
   */
  crashed?: boolean;
}

/**
 * Tells sabre that a Web Worker it did not start (a plain `new Worker` given handles) has
 * ended: the locks it held are recovered by their next locker, the mailboxes it read become
 * reader-gone, and waits on its channels fail with PeerGoneError where no one is left on
 * their other side. `thread` is the worker's {@link watchedThreadId} (the worker posts it).
 * Call it after `worker.terminate()`, or from the worker's `error` event after terminating it:
 * it waits until the worker can run no more code (a worker that loads sabre holds a Web Lock
 * for its life), then reports; it resolves with how many of the worker's parties were marked,
 * in the regions attached on the calling thread.
 */
export async function workerDied(thread: number, options: WorkerDiedOptions = {}): Promise<number> {
  if (!Number.isInteger(thread) || thread < 0) {
    throw new InvalidArgumentError(
      `workerDied expects the worker's thread id (a non-negative integer from watchedThreadId() in the worker), got ${String(thread)}`,
    );
  }
  checkOptionKeys("workerDied", options, ["crashed"]);
  const pid = partyIdentity().pid;
  await whenThreadStopped(pid, thread);
  return reportPartyEnd(pid, thread, options.crashed ?? true);
}
