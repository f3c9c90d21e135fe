// sync-call.ts — synchronous calls over a link (protocol.ts, part 2): the caller's thread
// blocks on shared memory until the server's (possibly async) function has settled.
//
//   caller   syncFunction(end, name, { timeout }) -> (...args) => value    (blocks; throws
//            the function's error, TimeoutError, PeerGoneError)
//   server   serveSync(functions, end) -> Promise<void>   (resolves when the caller closed
//            the link or is gone)
//
// The caller sends [id, name, args] and polls its rx for `spinMicros` (a reply that comes
// quickly never pays a thread wake-up), then blocks in recv (which spins briefly and parks)
// until its deadline. Replies whose id is not the call's (late answers of calls that timed
// out) are dropped. The server is a Pump (pump.ts): it keeps polling while calls come, so a
// sequence of calls costs two channel messages each and no wake-up; calls run concurrently
// (an async function does not hold the next call back) and each reply goes out when its
// function settles.
//
// A server that ends mid-call — a crash (its end's channels are marked peer-gone by the
// spawn hosts' crash watch), or any exit of a worker whose host closes its tx on exit (see
// workers/rpc-host.mjs) — fails the call with PeerGoneError, never a hang. Where blocking is
// forbidden (a browser's main thread) the function refuses with BlockingNotAllowedError.
// Roles: one caller thread per end (calls are sequential); one server per the other end.
import {
  BlockingNotAllowedError, ClosedError, InvalidArgumentError, PeerGoneError, TimeoutError, errorFromWire, errorToWire, type ErrorWire,
} from "../errors";
import { checkOptionKeys, describeValue } from "../options";
import { Deadline } from "../wait/deadline";
import { blockingAllowed } from "../wait/wait";
import { invoke } from "./invoke";
import { expectLinkEnd, type LinkEnd } from "./link";
import type { SyncRequest, SyncResponse } from "./protocol";
import { DEFAULT_SPIN_MICROS, Pump } from "./pump";
import { AdaptiveSpin } from "../pool/spin";

/** Options of {@link syncFunction}. */
export interface SyncFunctionOptions {
  /** Longest a call may take, in milliseconds (default: forever); then TimeoutError. */
  timeout?: number;
  /** How long a call polls for its reply before it parks, in microseconds (default 200). */
  spinMicros?: number;
}

/** Options of {@link serveSync}. */
export interface ServeSyncOptions {
  /** How long the server keeps polling for the next call after one, in microseconds
   *  (default 1000). */
  spinMicros?: number;
}

/** A function called synchronously: the remote function's arguments, its awaited value. */
export type SyncFunction<F> = F extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> : never;

const SYNC_OPTIONS = ["timeout", "spinMicros"];
const now = () => performance.now();

/** Per caller end: the next correlation id, and whether polling for replies pays. */
const callers = new WeakMap<object, { id: number; spin: AdaptiveSpin }>();

function checkSpin(v: unknown, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`${what}: spinMicros is a number of microseconds >= 0, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * The function `name` served by {@link serveSync} at the other end of `end`, as a function this
 * thread calls synchronously: it blocks until the remote function settles and returns its value
 * or throws its error (name, message, stack; sabre errors as their class). A browser's main
 * thread may not block: there it throws BlockingNotAllowedError.
 *
 * @typeParam F - the remote function's type (`typeof import("./fns.mjs").name`).
 */
export function syncFunction<F extends (...args: any[]) => any>(
  end: LinkEnd, name = "default", options: SyncFunctionOptions = {},
): SyncFunction<F> {
  const what = `syncFunction(${JSON.stringify(name)})`;
  expectLinkEnd(end, what);
  checkOptionKeys(what, options, SYNC_OPTIONS);
  if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(`${what}: name must be a non-empty string`);
  Deadline.of(options, what); // checks the timeout now
  const spinMicros = checkSpin(options.spinMicros, DEFAULT_SPIN_MICROS, what);
  if (!blockingAllowed) throw blockingRefused(what);
  let caller = callers.get(end.tx);
  if (!caller) callers.set(end.tx, (caller = { id: 0, spin: new AdaptiveSpin(spinMicros) }));
  const state = caller;
  const call = (...args: unknown[]) => callSync(end, state, name, args, Deadline.of(options, what), what);
  return call as SyncFunction<F>;
}

function blockingRefused(what: string): BlockingNotAllowedError {
  return new BlockingNotAllowedError(
    `${what}: a synchronous call blocks its thread, and a browser's main thread may never block; ` +
      "call it from a Web Worker, or make the call async (wrap(mailbox) gives async methods)",
  );
}

function gone(what: string, name: string, cause: unknown): PeerGoneError {
  return new PeerGoneError(
    `${what}: the server of "${name}" ended (it crashed, exited or closed the link) before answering; start a new one`,
    { cause },
  );
}

/** One synchronous call: send, poll, block; the reply's value or its error. */
function callSync(
  end: LinkEnd, caller: { id: number; spin: AdaptiveSpin }, name: string, args: unknown[], deadline: Deadline, what: string,
): unknown {
  if (!blockingAllowed) throw blockingRefused(what);
  const id = (caller.id = (caller.id % 0x7fffffff) + 1);
  const request: SyncRequest = [id, name, args];
  const { tx, rx } = end;
  try {
    if (!tx.trySend(request)) tx.send(request, { timeout: deadline.left() });
  } catch (error) {
    throw mapError(error, deadline, what, name);
  }
  // poll for the reply while polling pays (spin.ts), then block
  const budget = caller.spin.budget();
  const start = budget > 0 ? now() : 0;
  const spinUntil = start + budget / 1000;
  let polling = budget > 0;
  let polls = 0;
  for (;;) {
    let reply: SyncResponse;
    try {
      const r = rx.tryRecv();
      if (r.ok) {
        reply = r.value as SyncResponse;
        if (polling) caller.spin.record(true, (now() - start) * 1000);
        polling = false;
      } else if (!r.closed && polling && ((++polls & 31) !== 0 || now() < spinUntil)) continue;
      else {
        if (polling) caller.spin.record(false, budget);
        polling = false;
        reply = rx.recv({ timeout: deadline.left() }) as SyncResponse;
      }
    } catch (error) {
      throw mapError(error, deadline, what, name);
    }
    if (!Array.isArray(reply) || reply[0] !== id) continue; // a late reply of an earlier call
    if (reply[1] === 1) throw errorFromWire(reply[2] as ErrorWire);
    return reply[2];
  }
}

function mapError(error: unknown, deadline: Deadline, what: string, name: string): unknown {
  if (error instanceof TimeoutError) return deadline.error(`${what}: the call of "${name}"`);
  if (error instanceof ClosedError || error instanceof PeerGoneError) return gone(what, name, error);
  return error;
}

/**
 * Serves the functions of `functions` (an object, or a promise of one such as a module
 * namespace from `import()`: a rejected promise fails every call with its error) to the
 * {@link syncFunction} callers at the other end of `end`. Async functions are awaited. Resolves
 * when the caller closed the link or is gone.
 */
export function serveSync(functions: object | Promise<object>, end: LinkEnd, options: ServeSyncOptions = {}): Promise<void> {
  const what = "serveSync";
  expectLinkEnd(end, what);
  checkOptionKeys(what, options, ["spinMicros"]);
  const spin = checkSpin(options.spinMicros, 1000, what);
  let target: object | undefined;
  let loadError: unknown;
  const { tx, rx } = end;
  const reply = (response: SyncResponse) => {
    try {
      if (!tx.trySend(response)) void tx.sendAsync(response).catch(() => {});
    } catch (error) {
      // an unencodable value: answer with that error instead
      if (response[1] === 0) reply([response[0], 1, errorToWire(error)]);
    }
  };
  const run = (req: SyncRequest) => {
    const [id, name, args] = Array.isArray(req) ? req : [0, "", []];
    if (loadError !== undefined) return reply([id, 1, errorToWire(loadError)]);
    let result: unknown;
    try {
      result = invoke(target, name, args, what);
    } catch (error) {
      return reply([id, 1, errorToWire(error)]);
    }
    if (result !== null && typeof (result as { then?: unknown })?.then === "function") {
      (result as Promise<unknown>).then((v) => reply([id, 0, v]), (error) => reply([id, 1, errorToWire(error)]));
    } else reply([id, 0, result]);
  };
  const load = Promise.resolve(functions)
    .then((t) => void (target = t), (error) => void (loadError = error ?? new Error("the functions' promise rejected")));
  return new Promise<void>((resolve, reject) => {
    const pump = new Pump<unknown>(
      { tryTake: () => rx.tryRecv(), take: (signal) => rx.recvAsync({ signal }) },
      (req) => run(req as SyncRequest),
      (error) => (isEnd(error) ? resolve() : reject(error)),
      spin,
    );
    void load.then(() => pump.start()); // calls wait in the channel until the functions are there
  });
}

const isEnd = (error: unknown) => error instanceof ClosedError || error instanceof PeerGoneError;
