// remote.ts — sabre-native RPC over a Mailbox, for users who do not want comlink:
//
//   server   expose(object, mailbox) -> Promise<number>   serves calls until the mailbox is
//            closed and drained (or `signal` aborts); resolves with the number served
//   client   wrap<T>(mailbox).a.b(x)   -> Promise<R>     (any thread; async)
//            wrapSync<T>(mailbox).a.b(x) -> R            (blocks; where blocking is allowed)
//
// A call is one Mailbox request (protocol.ts, part 3): [dotted path, args] -> the method's
// value (awaited when it is a promise) as the reply, or what it threw as a failure, rethrown
// to the caller as the original error rebuilt (name, message, stack, code; sabre errors as
// their class). The types are end to end: Remote<T> maps every method of T, at any depth, to
// an async function of the same parameters; SyncRemote<T> to a function returning the awaited
// value. Only methods are reachable: a property that is not a function fails the call.
//
// The server is a Pump (pump.ts) over the mailbox's requests: it polls while calls come and
// parks when idle. It is the mailbox's reader (one per mailbox). Requests to a server whose
// thread ended fail with PeerGoneError (Mailbox's reader-gone rule); a timeout bounds a call.
import { BlockingNotAllowedError, ClosedError, InvalidArgumentError, RemoteError } from "../errors";
import { Mailbox, type MailboxRequest } from "../mailbox/mailbox";
import { checkOptionKeys, describeValue } from "../options";
import { Deadline } from "../wait/deadline";
import { blockingAllowed } from "../wait/wait";
import { invoke } from "./invoke";
import type { RpcRequest } from "./protocol";
import { Pump } from "./pump";

/** `T` as the client sees it: every method, at any depth, as an async function. */
export type Remote<T> = {
  readonly [K in keyof T as T[K] extends ((...args: any[]) => any) | object ? K : never]:
    T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : Remote<T[K]>;
};

/** `T` as a blocking client sees it: every method, at any depth, returning its awaited value. */
export type SyncRemote<T> = {
  readonly [K in keyof T as T[K] extends ((...args: any[]) => any) | object ? K : never]:
    T[K] extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> : SyncRemote<T[K]>;
};

/** Options of {@link expose}. */
export interface ExposeOptions {
  /** Stops serving when aborted (the promise resolves with the number served). */
  signal?: AbortSignal;
  /** How long the server keeps polling after a call, in microseconds (default 200). */
  spinMicros?: number;
}

/** Options of {@link wrap} and {@link wrapSync}. */
export interface WrapOptions {
  /** Longest a call may take, in milliseconds (default: forever); then TimeoutError. */
  timeout?: number;
}

function expectMailbox(mailbox: unknown, what: string): Mailbox<any> {
  if (!(mailbox instanceof Mailbox)) {
    throw new InvalidArgumentError(`${what}: expects a Mailbox (Mailbox.create(region), or attached from its handle), got ${describeValue(mailbox)}`);
  }
  return mailbox;
}

/**
 * Serves the methods of `target` (at any depth) to {@link wrap} / {@link wrapSync} clients of
 * `mailbox`; this thread becomes the mailbox's reader. Resolves with the number of calls
 * served once the mailbox is closed and drained, or `signal` aborts.
 */
export function expose(target: object, mailbox: Mailbox<any>, options: ExposeOptions = {}): Promise<number> {
  const what = "expose";
  expectMailbox(mailbox, what);
  checkOptionKeys(what, options, ["signal", "spinMicros"]);
  if (target === null || (typeof target !== "object" && typeof target !== "function")) {
    throw new InvalidArgumentError(`${what}: target must be an object or a function, got ${describeValue(target)}`);
  }
  let served = 0;
  const answer = (req: MailboxRequest<RpcRequest>) => {
    served++;
    const fail = (error: unknown) => void req.failAsync(error).catch(() => {});
    const reply = (value: unknown) => void req.replyAsync(value).catch((error) => (req.answered ? undefined : fail(error)));
    const [path, args] = Array.isArray(req.value) ? req.value : ["", []];
    let result: unknown;
    try {
      result = invoke(target, path, args, what);
    } catch (error) {
      return fail(error);
    }
    if (result !== null && typeof (result as { then?: unknown })?.then === "function") (result as Promise<unknown>).then(reply, fail);
    else reply(result);
  };
  const signal = options.signal;
  let onAbort: (() => void) | undefined;
  const served$ = new Promise<number>((resolve, reject) => {
    const pump = new Pump<MailboxRequest<RpcRequest>>(
      {
        tryTake: () => {
          const req = mailbox.tryReceiveRequest<unknown>();
          return req ? { ok: true, value: req as MailboxRequest<RpcRequest> } : { ok: false, closed: false };
        },
        take: (signal) => mailbox.receiveRequestAsync<unknown>({ signal }) as Promise<MailboxRequest<RpcRequest>>,
      },
      answer,
      (error) => (error instanceof ClosedError ? resolve(served) : reject(error)),
      options.spinMicros,
    );
    if (signal?.aborted) return resolve(0);
    onAbort = () => {
      pump.stop();
      resolve(served);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    pump.start();
  });
  // the listener goes when serving ends, however it ends (one signal may outlive many exposes)
  if (signal && onAbort) {
    const off = () => signal.removeEventListener("abort", onAbort!);
    void served$.then(off, off);
  }
  return served$;
}

/** The original error of a RemoteError (rebuilt on this thread), else `error`. */
function unwrap(error: unknown): unknown {
  return error instanceof RemoteError && error.cause instanceof Error ? error.cause : error;
}

function proxyOf(path: readonly string[], call: (path: string, args: unknown[]) => unknown): any {
  return new Proxy(function remote() {}, {
    get(_t, prop) {
      if (typeof prop !== "string" || prop === "then") return undefined; // not a thenable
      return proxyOf([...path, prop], call);
    },
    apply(_t, _this, args: unknown[]) {
      if (path.length === 0) throw new InvalidArgumentError("wrap: call a method of the remote object (remote.name(...)), not the object itself");
      return call(path.join("."), args);
    },
  });
}

/**
 * A client of the object {@link expose}d on `mailbox`: `wrap<typeof api>(mailbox).add(1, 2)`
 * resolves with the method's value, or rejects with its error (name, message, stack, code),
 * TimeoutError or PeerGoneError.
 */
export function wrap<T>(mailbox: Mailbox<any>, options: WrapOptions = {}): Remote<T> {
  const what = "wrap";
  expectMailbox(mailbox, what);
  checkOptionKeys(what, options, ["timeout"]);
  Deadline.of(options, what);
  const request = { timeout: options.timeout };
  return proxyOf([], (path, args) => {
    const value: RpcRequest = [path, args];
    return mailbox.requestAsync(value, request).catch((error) => {
      throw unwrap(error);
    });
  });
}

/**
 * A blocking client of the object {@link expose}d on `mailbox`: each method call blocks this
 * thread until the remote method settles and returns its value or throws its error. Refused
 * (BlockingNotAllowedError) on a browser's main thread; use {@link wrap} there.
 */
export function wrapSync<T>(mailbox: Mailbox<any>, options: WrapOptions = {}): SyncRemote<T> {
  const what = "wrapSync";
  expectMailbox(mailbox, what);
  checkOptionKeys(what, options, ["timeout"]);
  Deadline.of(options, what);
  if (!blockingAllowed) {
    throw new BlockingNotAllowedError(`${what}: its calls block the thread, and a browser's main thread may never block; use wrap(mailbox) there (async methods)`);
  }
  const request = { timeout: options.timeout };
  return proxyOf([], (path, args) => {
    const value: RpcRequest = [path, args];
    try {
      return mailbox.request(value, request);
    } catch (error) {
      throw unwrap(error);
    }
  });
}
