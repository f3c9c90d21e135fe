// thread-end.ts — what runs when this thread ends, for the modules that own per-thread
// endpoints (platform-neutral, imports nothing).
//
//   onThreadEnd(hook)    a module registers, at its own load, what to do when this thread
//                        ends: Mailbox marks the mailboxes this thread reads reader-gone,
//                        spawn marks the endpoints a spawned worker was given peer-gone
//   threadEnded(crashed) runs every hook once, in registration order; a hook that throws does
//                        not stop the others. `crashed` is false for a clean end (exit code 0).
//
// Who calls threadEnded: this module, at load in a dedicated Web Worker, on the worker's
// `error` event (an uncaught error: sabre treats the worker as dead; a Web Worker's clean end
// is not observable); 'sabre/node' (node/thread-exit.ts) on a worker thread's `exit` event,
// with any exit code.
//
// Side effects: this file (the Web Worker `error` listener) and node/thread-exit.ts are the
// only files of the package that act on load; package.json's "sideEffects" names them. The
// hooks are registered by the modules that need them, so a bundle carries a hook only when it
// carries the module (a page that imports only Mutex has no mailbox code and no hook).
type ThreadEndHook = (crashed: boolean) => void;

const hooks: ThreadEndHook[] = [];
let ended = false;

/** @internal Registers `hook` to run when this thread ends (see the header). */
export function onThreadEnd(hook: ThreadEndHook): void {
  hooks.push(hook);
}

/** @internal Runs the hooks (once per thread; later calls do nothing). Never throws. */
export function threadEnded(crashed: boolean): void {
  if (ended) return;
  ended = true;
  for (const hook of hooks) {
    try {
      hook(crashed);
    } catch {
      // an endpoint freed meanwhile: nothing left to mark
    }
  }
}

/** Whether this code runs in a dedicated Web Worker (not a page, a shared worker or Node). */
export function isDedicatedWorker(): boolean {
  const g = globalThis as { WorkerGlobalScope?: unknown; postMessage?: unknown };
  return typeof g.WorkerGlobalScope === "function" && globalThis instanceof (g.WorkerGlobalScope as typeof Object) &&
    typeof g.postMessage === "function";
}

// At load in a dedicated Web Worker: an uncaught error ends this worker for sabre.
if (isDedicatedWorker()) (globalThis as unknown as EventTarget).addEventListener("error", () => threadEnded(true));
