// spawn.ts — spawnWorker and attachWorkerData for Web Workers ('sabre'; platform-neutral).
//
// Parent (a page or a worker):
//   const { worker, exited, terminate } = spawnWorker(url, { data, type: "module", onCrash })
// creates `new Worker(url, { type, name })` and posts toWire(data) as the worker's FIRST
// message (revive.ts: live sabre objects travel as handles). Instead of a URL it also takes a
// Worker, or a function returning one, that the caller created, so that a bundler sees its own
// worker pattern and bundles the worker's imports:
//   spawnWorker(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), { data })
//   spawnWorker(() => new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), { data })
// (the function is called after `data` and the options were checked, so bad input starts no
// worker). Such a Worker must be fresh: created in the same task, sent nothing before, so that
// spawnWorker's message is its first and its load error is not missed; `type`/`credentials`
// then belong to `new Worker` and are refused here. In the worker:
//   const data = await attachWorkerData<typeof data>({ codecs })
// resolves with fromWire(that message): every region, channel, lock, ring and mailbox attached
// on the worker's thread. sabre takes the message out of the way (the worker's own `message`
// listeners never see it) and keeps it when it arrives before attachWorkerData is called. For
// that, the worker imports sabre statically (at the top of its module, so sabre is evaluated
// before any of the worker's code): a sabre loaded later by `await import()` may find the
// message already delivered to the worker's own listeners, and attachWorkerData then waits.
//
// Load failures. A worker whose script cannot be fetched, parsed or linked (a 404, a missing
// Cross-Origin-Embedder-Policy header, a syntax error in a module, an import that does not
// resolve — such as "sabre" in a worker a bundler inlined without bundling it) gets an `error`
// event without a message (a plain Event; a runtime error is an ErrorEvent with one). sabre
// reports it as WorkerLoadError (a WorkerCrashError) through `exited` and `onCrash`, with the
// likely causes in its message; its death is reported as for a crash (below), so a peer waiting
// on a channel whose other side was only that worker throws PeerGoneError instead of waiting
// forever — `exited` says why.
//
// When the worker dies (README, "When a party dies"; the same contract as worker threads, through
// the same code: wire/crash-watch.ts, region.ts's reportPartyEnd, assembly/party.ts):
//   - spawnWorker gives the worker a party identity (pid, a fresh random thread id) in its first
//     message and, as it starts it, records it as a party of every channel and mailbox passed
//     in `data` (preRegister; party_join shares the slot with the worker's own join, whichever
//     comes first), so its death counts for their side rules even if it dies before attaching
//     them. The worker adopts that identity before attaching its data, so it joins
//     the same slot of each region's party table (regions it attached before that message keep
//     the identity it had at load).
//   - The worker holds a Web Lock named by that identity before attachWorkerData resolves
//     (worker-end.ts); the parent learns that it does (a MessagePort in the first message), and
//     from then on the lock's grant to the parent says that the worker can run no more code.
//   - Its end is reported to every region attached on the parent's thread once it has stopped
//     (never before: a running holder is never taken over): the locks it held are taken over
//     by their next locker (a Mutex with OwnerDeadError), mailboxes it read become reader-gone,
//     and waits on its channels fail with PeerGoneError only where no one is left on their other
//     side (a dead client never fails a live server).
// A Web Worker that throws an uncaught error keeps running in a browser; sabre treats it as
// dead: the worker reports its own death and closes itself (so a peer blocked in ANOTHER worker
// is woken even if the parent's event loop is busy), and the parent, on the worker's `error`
// event, terminates it, reports its death, runs onCrash once and rejects `exited` with
// WorkerCrashError. With `onCrash`, the error event is also cancelled (preventDefault: not
// reported again on the page) and `exited`'s rejection counts as handled. terminate() stops the
// worker, reports its death and resolves `exited`. A clean end (self.close()), or a
// worker.terminate() called directly, is seen through the Web Lock: reported as a clean end
// (locks freed, channels stay open) and `exited` resolves. Unhandled promise rejections do not
// end a Web Worker and are not crashes here. Without the Web Locks API (current browsers have it
// in secure contexts, which cross-origin isolation requires) deaths are reported at once on
// terminate() or a crash, and a clean end is not seen.
//
// Node: 'sabre/node' exports its own spawnWorker and attachWorkerData (node/spawn.ts, on
// worker_threads) under the same names; that explicit export shadows this one in 'sabre/node',
// so Node code imports both from 'sabre/node' and browser code from 'sabre'. The options and
// result types are shared (SpawnWorkerOptions, SpawnedWorker). This spawnWorker in an
// environment without Web Workers, or this attachWorkerData in a Node worker thread, throws an
// error that says which entry to import instead.
import { InvalidArgumentError, SabreError, WorkerCrashError, WorkerLoadError } from "../errors";
import type { WebWorker } from "../globals";
import { partyIdentity, reportPartyEnd, setPartyIdentity } from "../region/region";
import { hostTerminate, preRegister, settleExit, type ExitState } from "../wire/crash-watch";
import { fromWire, peerEndpoints, toWire, type Attached, type FromWireOptions } from "../wire/revive";
import { isDedicatedWorker, onThreadEnd } from "../wire/thread-end";
import { holdThreadLock, newThreadId, whenThreadStopped } from "./worker-end";

/**
 * Marks the first message of a worker started by spawnWorker: { [SPAWN_MARK]: 1, data } (a Web
 * Worker's also carries party: { pid, thread } and held: a MessagePort, see the header).
 */
export const SPAWN_MARK = "__sabreSpawn";

/** Options both spawnWorker functions take ('sabre' for Web Workers, 'sabre/node' for threads). */
export interface SpawnWorkerOptions<Data> {
  /** Plain data, arrays, Maps, Sets, primitives and live sabre objects (or their handles). */
  data?: Data;
  /** Called once when the worker crashes, after its death was reported (README, "When a party dies"). */
  onCrash?: (error: Error) => void;
  /** A name for the worker (shown in devtools and error messages). */
  name?: string;
}

/** Options of the Web Worker spawnWorker. */
export interface WebSpawnWorkerOptions<Data> extends SpawnWorkerOptions<Data> {
  /** "module" (default) or "classic"; classic scripts cannot import sabre as a module. */
  type?: "module" | "classic";
  /** The Worker's `credentials` option, for fetching a module worker's script. */
  credentials?: "omit" | "same-origin" | "include";
}

/** What both spawnWorker functions return. */
export interface SpawnedWorker<W> {
  /** The underlying Worker (a Web Worker here; a worker_threads Worker from 'sabre/node'). */
  readonly worker: W;
  /** Resolves on a clean end or terminate(); rejects with the error when the worker crashes. */
  readonly exited: Promise<void>;
  /** Stops the worker, waits until it has, and reports its death (README, "When a party dies"). */
  terminate(): Promise<void>;
  /**
   * `await using w = spawnWorker(...)`: terminate() at the end of the scope. Stops the worker
   * (its death is reported) and waits until it has; never rejects: the error that
   * ending the worker causes is swallowed (`exited` still reports a crash that came first).
   */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * What the Web Worker spawnWorker starts: a script URL (spawnWorker calls `new Worker`), or a
 * fresh Worker the caller created, or a function that creates one (the forms a bundler such as
 * Vite recognises and bundles; see the header).
 */
export type WorkerSource = string | URL | WebWorker | (() => WebWorker);

/** Whether `value` is a Worker (of this realm, or anything shaped like one). */
function isWorker(value: unknown, WorkerClass: typeof Worker): value is Worker {
  if (value instanceof WorkerClass) return true;
  const w = value as Partial<Worker> | null;
  return typeof w === "object" && w !== null && typeof w.postMessage === "function" &&
    typeof w.terminate === "function" && typeof w.addEventListener === "function";
}

/** Starts a Web Worker with `data` (see the header). */
export function spawnWorker<Data>(source: WorkerSource, options: WebSpawnWorkerOptions<Data> = {}): SpawnedWorker<WebWorker> {
  const WorkerClass = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof WorkerClass !== "function") {
    throw new SabreError(
      "spawnWorker from 'sabre' starts Web Workers, and this environment has no Worker; " +
        "in Node, import spawnWorker from 'sabre/node' (worker threads)",
    );
  }
  checkOptions(options, ["data", "onCrash", "name", "type", "credentials"]);
  const byUrl = typeof source === "string" || source instanceof URL;
  if (!byUrl && typeof source !== "function" && !isWorker(source, WorkerClass)) {
    throw new TypeError(`spawnWorker: the first argument must be a URL, a string, a Worker or a function returning a Worker, got ${describe(source)}`);
  }
  if (!byUrl && (options.type !== undefined || options.credentials !== undefined)) {
    throw new TypeError(
      "spawnWorker: type and credentials are options of new Worker(url, { type, credentials }); " +
        "when you pass a Worker (or a function returning one), give them there",
    );
  }
  const type = options.type ?? "module";
  if (type !== "module" && type !== "classic") throw new TypeError(`spawnWorker: type must be "module" or "classic", got ${String(type)}`);
  const wire = toWire(options.data);
  const endpoints = peerEndpoints(options.data);
  let worker: Worker;
  if (byUrl) worker = new WorkerClass(source, { type, name: options.name, credentials: options.credentials });
  else if (typeof source === "function") {
    const made: unknown = source();
    if (!isWorker(made, WorkerClass)) {
      throw new TypeError(`spawnWorker: the function passed must return a new Worker (new Worker(url, { type: "module" })), got ${describe(made)}`);
    }
    worker = made;
  } else worker = source;
  const label = options.name ?? (byUrl ? String(source) : "(the Worker passed to spawnWorker)");
  const party = { pid: partyIdentity().pid, thread: newThreadId() };
  const { port1: heldPort, port2 } = new MessageChannel();
  try {
    worker.postMessage({ [SPAWN_MARK]: 1, data: wire, party, held: port2 }, [port2]);
  } catch (error) {
    worker.terminate();
    throw cloneError(error);
  }
  preRegister(endpoints, party.pid, party.thread, 0);

  const report = (crashed: boolean) => void reportPartyEnd(party.pid, party.thread, crashed);
  const state: ExitState = { terminating: false };
  let settle!: { resolve(): void; reject(error: Error): void };
  const exited = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  if (options.onCrash) exited.catch(() => {});
  let stopped: Promise<void> | undefined;
  let ended = false;
  // resolves once the worker can run no more code; asked only once it holds its lock or was terminated
  const whenStopped = () => (stopped ??= whenThreadStopped(party.pid, party.thread));
  const end = (clean: boolean) => {
    if (ended) return;
    ended = true;
    heldPort.close();
    settleExit(clean && !state.terminating, state, report, options.onCrash, () => new WorkerCrashError(`worker ${label} ended`), settle.resolve, settle.reject);
  };
  heldPort.onmessage = () => void whenStopped().then(() => end(true)); // the worker holds its lock: watch for its end
  worker.addEventListener("error", (event: Event) => {
    if (ended || state.failure) return;
    const e = event as ErrorEvent;
    const where = e.filename ? ` (${e.filename}:${e.lineno}:${e.colno})` : "";
    // A load failure is a plain Event with no message; an uncaught error is an ErrorEvent.
    state.failure = typeof e.message === "string" && e.message !== ""
      ? new WorkerCrashError(`worker ${label} crashed: ${e.message}${where}; ${AFTER_DEATH}`)
      : new WorkerLoadError(loadFailureMessage(label, byUrl ? String(source) : undefined));
    if (options.onCrash) event.preventDefault();
    worker.terminate();
    void whenStopped().then(() => end(false));
  });
  const terminate = hostTerminate(state, () => ended, () => {
    worker.terminate();
    return whenStopped().then(() => end(false));
  }, exited);
  return { worker, exited, terminate, [Symbol.asyncDispose]: terminate };
}

/** What a crash message adds: what happened to what the worker held. */
const AFTER_DEATH = "the locks it held are recovered, and waits on its channels fail where no one is left on their other side";

/** What a WorkerLoadError says: the likely causes, the data: URL a bundler leaves first. */
function loadFailureMessage(label: string, url: string | undefined): string {
  const inlined = url?.startsWith("data:")
    ? "its URL is a data: URL, which is what a bundler leaves when it inlines a worker script without bundling its imports; "
    : "";
  return (
    `worker ${label} failed to load: the browser could not fetch, parse or link its script; ${inlined}` +
    "check that the script is served (not a 404) as JavaScript with the Cross-Origin-Embedder-Policy header, that it has " +
    'no syntax error, and that each of its imports resolves (an unbundled worker cannot import "sabre" by name: with a ' +
    'bundler, pass spawnWorker a Worker made by new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), ' +
    `see README "Bundlers"); ${AFTER_DEATH}`
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object";
  return typeof value;
}

/** @internal A DataCloneError from sending `data`, explained; other errors unchanged. */
export function cloneError(error: unknown): unknown {
  if ((error as Error)?.name !== "DataCloneError") return error;
  return new InvalidArgumentError(
    `spawnWorker: data cannot be sent to a worker (${(error as Error).message}); it may hold plain objects, arrays, Maps, ` +
      "Sets, typed arrays, primitives and sabre objects, not functions or other class instances",
    { cause: error },
  );
}

/** @internal Throws for an option name that is not known (a misspelt `data` would silently send nothing). */
export function checkOptions(options: object, known: readonly string[]): void {
  if (options === null || typeof options !== "object") throw new TypeError("spawnWorker: options must be an object");
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`spawnWorker: unknown option "${key}" (known: ${known.join(", ")})`);
  }
  const onCrash = (options as { onCrash?: unknown }).onCrash;
  if (onCrash !== undefined && typeof onCrash !== "function") throw new TypeError("spawnWorker: onCrash must be a function");
}

// ---- inside a Web Worker ------------------------------------------------------------------

type Received = { ok: true; data: unknown } | { ok: false; error: Error };
let received: Received | undefined;
const waiting: ((r: Received) => void)[] = [];

function receive(r: Received): void {
  received = r;
  for (const resolve of waiting.splice(0)) resolve(r);
}

// At load in a dedicated Web Worker: hold the Web Lock of this thread's identity (so that a
// page can tell when it stopped: workerDied, worker-end.ts), and take the first message if it
// is spawnWorker's (before any listener of the worker's own code, which is evaluated after its
// imports). From that message the worker adopts the party identity spawnWorker gave it,
// attaches its data (joining the party slot spawnWorker recorded), holds the Web Lock of that
// identity, tells the parent so, and only then hands the data to attachWorkerData. When it
// crashes (an uncaught error, see thread-end.ts) it reports its own death and closes. This runs
// wherever this module is loaded: unbundled, with sabre; in a bundle, with the worker's use of
// attachWorkerData (a bundled worker that never calls it does not need its data taken).
if (isDedicatedWorker()) {
  const scope = globalThis as unknown as EventTarget & { close(): void };
  void holdThreadLock(partyIdentity().pid, partyIdentity().thread);
  let spawnedAs: { pid: number; thread: number } | undefined;
  const onFirst = (event: Event) => {
    scope.removeEventListener("message", onFirst);
    const message = (event as MessageEvent).data as Record<string, unknown> | null;
    if (message && typeof message === "object" && message[SPAWN_MARK] === 1) {
      event.stopImmediatePropagation();
      const party = message.party as { pid: number; thread: number } | undefined; // absent: another sabre's spawnWorker
      if (party) setPartyIdentity({ pid: party.pid, thread: party.thread, start: 0 });
      spawnedAs = party;
      peerEndpoints(message.data); // attach now: this thread is a party of its channels from here
      void (party ? holdThreadLock(party.pid, party.thread) : Promise.resolve()).then(() => {
        (message.held as MessagePort | undefined)?.postMessage(1);
        receive({ ok: true, data: message.data });
      });
    } else {
      receive({
        ok: false,
        error: new SabreError("attachWorkerData: this worker's first message did not come from spawnWorker; start it with spawnWorker(url, { data })"),
      });
    }
  };
  scope.addEventListener("message", onFirst);
  onThreadEnd((crashed) => {
    if (!spawnedAs || !crashed) return;
    reportPartyEnd(spawnedAs.pid, spawnedAs.thread, true);
    scope.close(); // runs no further task: nothing of this worker acts after its death was reported
  });
}

/**
 * Inside a Web Worker started by spawnWorker: the `data` it was given, attached on this
 * thread (fromWire). Pass { codecs } for channels made with a custom codec.
 */
export function attachWorkerData<Data = unknown>(options: FromWireOptions = {}): Promise<Attached<Data>> {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (!isDedicatedWorker()) {
    return Promise.reject(
      new SabreError(
        g.process?.versions?.node
          ? "attachWorkerData from 'sabre' reads a Web Worker's first message; in a Node worker thread import attachWorkerData from 'sabre/node'"
          : "attachWorkerData is called inside a Web Worker started by spawnWorker, not on a page",
      ),
    );
  }
  const revive = (r: Received): Attached<Data> => {
    if (!r.ok) throw r.error;
    return fromWire(r.data, options) as Attached<Data>;
  };
  if (received) {
    try {
      return Promise.resolve(revive(received));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise((resolve, reject) => {
    waiting.push((r) => {
      try {
        resolve(revive(r));
      } catch (error) {
        reject(error);
      }
    });
  });
}
