// comlink-endpoint.ts — comlinkEndpoint(end, { via }): a link end (link.ts) as the `Endpoint`
// comlink expects (postMessage, addEventListener("message"), removeEventListener, start), so
// `Comlink.wrap(comlinkEndpoint(port1, { via: worker }))` on one side and
// `Comlink.expose(api, comlinkEndpoint(port2, { via: parentPort }))` on the other work
// unchanged between worker threads, Web Workers and processes (spawnProcess).
//
// sabre never imports comlink: it only speaks comlink's message shapes where it must (which
// messages are requests, and the "throw" response it makes for an error), so 'sabre' does not
// depend on comlink and users who do not use it never load it.
//
// The wire (protocol.ts, part 1): each postMessage is one message on the end's tx channel
// (msgpack codec); messages with a transfer list go through a side MessagePort announced once
// through `via`, with a marker on the channel that keeps their place in the order. Receiving
// is a Pump (pump.ts): a message is dispatched to the listeners as `{ data }` when it arrives,
// polling while calls are in flight and parking when idle.
//
// Roles: one thread or process per end. Failure rules:
//   - a transfer without `via` throws TransferUnavailableError from postMessage for a request
//     (the comlink call rejects) and is answered as a comlink "throw" for a response;
//   - a value the codec refuses (a function, a symbol) throws CodecError from postMessage;
//   - when the peer is gone (its end's channels marked peer-gone: a crashed worker or
//     process) or it closed the link, every request this end sent and saw no response to is
//     answered with a comlink "throw" carrying PeerGoneError (name, message, stack, code);
//     later requests throw it from postMessage.
// Send order is kept: when the channel is full, messages queue on this end in order and go out
// with sendAsync.
import { ClosedError, CodecError, PeerGoneError, TransferUnavailableError } from "../errors";
import { checkOptionKeys } from "../options";
import { expectLinkEnd, type LinkEnd } from "./link";
import type { SideAnnounce, SideMarker } from "./protocol";
import { Pump } from "./pump";

/** A `message` event as this endpoint delivers it: the message in `data`. */
export interface LinkMessageEvent {
  /** The message, as the other end posted it (decoded by the codec). */
  readonly data: any;
}

/** A listener of {@link ComlinkEndpoint}: a function or an object with handleEvent; it gets a
 *  {@link LinkMessageEvent} (typed `any` so that DOM's EventListener, as comlink's Endpoint
 *  declares it, is accepted). */
export type LinkListener = ((event: any) => void) | {
  /** Called with each message event. */
  handleEvent(event: any): void;
};

/**
 * Something that reaches the other side by postMessage: a Worker (Node or Web), Node's
 * parentPort, a Web Worker's `self`, or a MessagePort. An end receives the other end's side
 * port on it.
 */
export interface PostTarget {
  /** Posts a message (with transfers) to the other side. */
  postMessage(message: any, transfer?: any[]): void;
  /** Node's Worker and MessagePort: data as the argument. */
  on?(event: "message", listener: (data: any) => void): unknown;
  /** Removes a listener added with `on`. */
  off?(event: "message", listener: (data: any) => void): unknown;
  /** Web Workers, `self` and MessagePorts: the data in the event's `data`. */
  addEventListener?(type: "message", listener: (event: any) => void): void;
  /** Removes a listener added with addEventListener. */
  removeEventListener?(type: "message", listener: (event: any) => void): void;
}

/** Options of {@link comlinkEndpoint}. */
export interface ComlinkEndpointOptions {
  /** Reaches the other side by postMessage (see {@link PostTarget}): the side channel for
   *  comlink's proxy() callbacks and transfers. Omit it between processes. */
  via?: PostTarget;
  /** How long the end keeps polling its channel after activity, in microseconds (default 200). */
  spinMicros?: number;
}

const REQUESTS = new Set(["GET", "SET", "APPLY", "CONSTRUCT", "ENDPOINT", "RELEASE"]);
const OPTIONS = ["via", "spinMicros"];
/** The marker that answers a side marker on an end without `via` (protocol.ts). */
const NO_SIDE: SideMarker = -1;
/** How often a wait for a side message checks that the link is still alive (ms). */
const SIDE_CHECK_MS = 50;

type Message = { id?: unknown; type?: unknown } | null | undefined;

/** comlink's "throw" response for `id`, carrying `error`'s name, message, stack and code. */
function throwResponse(id: unknown, error: Error & { code?: string }): object {
  return {
    id, type: "HANDLER", name: "throw",
    value: { isError: true, value: { name: error.name, message: error.message, stack: error.stack, code: error.code } },
  };
}

/** Listens for `message` on a PostTarget; returns the function that stops listening. */
function listen(target: PostTarget, onData: (data: any) => void): () => void {
  if (typeof target.on === "function") {
    target.on("message", onData);
    return () => target.off?.("message", onData);
  }
  if (typeof target.addEventListener === "function") {
    const onEvent = (event: { data: any }) => onData(event.data);
    target.addEventListener("message", onEvent);
    (target as { start?: () => void }).start?.();
    return () => target.removeEventListener?.("message", onEvent);
  }
  throw new TypeError("comlinkEndpoint: `via` must have on('message') or addEventListener('message')");
}

/** The id both ends of a link compute alike (their tx and rx are swapped). */
function linkId(end: LinkEnd): string {
  const a = end.tx.offset;
  const b = end.rx.offset;
  return `${end.tx.region.handle.id >>> 0}:${Math.min(a, b)}-${Math.max(a, b)}`;
}

/**
 * A comlink `Endpoint` over a link end (see the header): pass it to `Comlink.wrap` or
 * `Comlink.expose`. Close it (or `using`) when done: a receiving end keeps its thread alive.
 */
export class ComlinkEndpoint {
  readonly #end: LinkEnd;
  readonly #id: string;
  readonly #via: PostTarget | undefined;
  readonly #listeners = new Set<LinkListener>();
  readonly #pending = new Set<unknown>();
  readonly #pump: Pump<unknown>;
  readonly #outQueue: unknown[] = [];
  #flushing = false;
  #failure: Error | undefined;
  #closed = false;
  // side channel: what this end sends, and what the other end sent
  #sideOut: MessagePort | undefined;
  #sideOutSeq = 0;
  #sideIn: MessagePort | undefined;
  readonly #sideQueue: unknown[] = [];
  #sideWaiter: ((value: unknown) => void) | undefined;
  #unlistenVia: (() => void) | undefined;
  #unlistenSide: (() => void) | undefined;

  constructor(end: LinkEnd, options: ComlinkEndpointOptions = {}) {
    const what = "comlinkEndpoint";
    this.#end = expectLinkEnd(end, what);
    checkOptionKeys(what, options, OPTIONS);
    this.#id = linkId(end);
    this.#via = options.via;
    if (this.#via) {
      if (typeof this.#via.postMessage !== "function") throw new TypeError(`${what}: \`via\` must have postMessage`);
      this.#unlistenVia = listen(this.#via, (data: Partial<SideAnnounce> | null) => {
        if (data && typeof data === "object" && data.__sabreRpcSide === this.#id && data.port) this.#adoptSide(data.port as MessagePort);
      });
    }
    const rx = end.rx;
    this.#pump = new Pump<unknown>(
      { tryTake: () => rx.tryRecv(), take: (signal) => rx.recvAsync({ signal }) },
      (value) => this.#receive(value),
      (error) => this.#fail(error),
      options.spinMicros,
    );
  }

  // ---- comlink's Endpoint ----------------------------------------------------------------------

  /** Sends `message` to the other end (comlink calls this). A request on a failed or closed
   *  link throws (comlink rejects that call with it); a response or a RELEASE to a link that is
   *  gone is dropped, since comlink posts those without handling an error and nobody is left
   *  to read them. */
  postMessage(message: any, transfer?: readonly any[]): void {
    const m = message as Message;
    const isRequest = m !== null && typeof m === "object" && REQUESTS.has(m.type as string);
    const fireAndForget = !isRequest || m.type === "RELEASE";
    if (this.#closed) {
      if (fireAndForget) return;
      throw new ClosedError("comlinkEndpoint: this end was closed (close() or the end of its `using` scope); create a new endpoint");
    }
    if (this.#failure && isRequest) {
      if (m.type === "RELEASE") return;
      throw this.#failure;
    }
    try {
      this.#post(m, message, transfer, isRequest);
    } catch (error) {
      // a dead link: nobody is left to read it (a value the codec refuses still throws, so
      // that comlink answers the call with its "Unserializable return value")
      if (fireAndForget && (error instanceof PeerGoneError || error instanceof ClosedError)) return;
      throw error;
    }
    if (isRequest) {
      this.#pending.add(m.id);
      this.#pump.heat();
    }
  }

  #post(m: Message, message: unknown, transfer: readonly any[] | undefined, isRequest: boolean): void {
    if (transfer && transfer.length > 0) {
      if (!this.#via) {
        const error = new TransferUnavailableError(
          "comlinkEndpoint: this message carries a MessagePort or a transfer (comlink's proxy() or transfer()), which shared memory cannot carry; " +
            "between threads, create the endpoint with { via: worker } (parentPort, self in the worker) for a side channel; between processes, pass plain data instead",
        );
        if (isRequest) throw error;
        this.#send(throwResponse(m?.id, error));
        return;
      }
      this.#sideSend(message, transfer);
    } else {
      this.#send(message);
    }
  }

  /** Adds a `message` listener (comlink calls this); the first one starts receiving. */
  addEventListener(type: string, listener: LinkListener): void {
    if (type !== "message" || !listener) return;
    this.#listeners.add(listener);
    this.#pump.start();
  }

  /** Removes a `message` listener. */
  removeEventListener(type: string, listener: LinkListener): void {
    if (type === "message") this.#listeners.delete(listener);
  }

  /** Starts receiving (comlink calls this; adding a listener does it too). */
  start(): void {
    this.#pump.start();
  }

  /** Stops receiving, closes this end's tx channel (the other end's pending calls fail with
   *  PeerGoneError once it drained what was sent) and the side ports. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pump.stop();
    this.#unlistenVia?.();
    this.#unlistenSide?.();
    this.#sideOut?.close();
    this.#sideIn?.close();
    try {
      this.#end.tx.close();
    } catch {
      // freed or peer-gone already
    }
  }

  /** `using ep = comlinkEndpoint(...)`: close() at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- sending --------------------------------------------------------------------------------

  #send(message: unknown): void {
    if (this.#outQueue.length === 0) {
      try {
        if (this.#end.tx.trySend(message)) return;
      } catch (error) {
        throw this.#sendError(error);
      }
    }
    this.#outQueue.push(message);
    if (!this.#flushing) void this.#flush();
  }

  /** The channel full: the queued messages go out in order with sendAsync. */
  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#outQueue.length > 0 && !this.#closed) {
        const message = this.#outQueue[0];
        try {
          await this.#end.tx.sendAsync(message);
        } catch (error) {
          const m = message as Message;
          if (error instanceof CodecError && m && typeof m === "object" && this.#pending.has(m.id)) {
            this.#outQueue.shift();
            this.#answer(m.id, error);
            continue;
          }
          this.#fail(this.#sendError(error));
          return;
        }
        this.#outQueue.shift();
      }
    } finally {
      this.#flushing = false;
    }
  }

  #sendError(error: unknown): unknown {
    if (error instanceof ClosedError) {
      return new PeerGoneError(`comlinkEndpoint: the link is closed (${error.message}); create a new link`, { cause: error });
    }
    return error;
  }

  #sideSend(message: unknown, transfer: readonly any[]): void {
    if (!this.#sideOut) {
      const { port1, port2 } = new MessageChannel();
      const announce: SideAnnounce = { __sabreRpcSide: this.#id, port: port2 };
      (this.#via as PostTarget).postMessage(announce, [port2]);
      this.#sideOut = port1;
    }
    const seq: SideMarker = this.#sideOutSeq++;
    this.#sideOut.postMessage(message, transfer as any[]);
    this.#send(seq);
  }

  // ---- receiving ------------------------------------------------------------------------------

  #adoptSide(port: MessagePort): void {
    this.#sideIn?.close();
    this.#sideIn = port;
    this.#unlistenSide = listen(port as unknown as PostTarget, (data) => {
      const waiter = this.#sideWaiter;
      if (waiter) {
        this.#sideWaiter = undefined;
        waiter(data);
      } else {
        this.#sideQueue.push(data);
      }
    });
  }

  #receive(value: unknown): void | Promise<void> {
    if (typeof value === "number") {
      // a side marker: the next side message takes this place in the order
      if (this.#sideQueue.length > 0) return this.#dispatch(this.#sideQueue.shift());
      if (value === NO_SIDE) {
        this.#fail(new TransferUnavailableError(
          "comlinkEndpoint: this end sent a message through its side channel (a proxy() or a transfer), and the other end has no `via` to receive it on; create both ends with { via }",
        ));
        return;
      }
      if (!this.#via) {
        // the message is lost: tell the sender, whose calls fail instead of waiting
        this.#send(NO_SIDE);
        return;
      }
      return this.#sideMessage().then((data) => this.#dispatch(data));
    }
    this.#dispatch(value);
  }

  /** The next side message; rejects with PeerGoneError if the link fails first (checked
   *  every SIDE_CHECK_MS: a peer that died between its marker and its side message). */
  #sideMessage(): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const watch = setInterval(() => {
        const rx = this.#end.rx;
        if (!this.#closed && !rx.peerGone) return;
        clearInterval(watch);
        this.#sideWaiter = undefined;
        reject(new PeerGoneError("comlinkEndpoint: the other end went away before its side-channel message arrived"));
      }, SIDE_CHECK_MS);
      this.#sideWaiter = (data) => {
        clearInterval(watch);
        resolve(data);
      };
    });
  }

  #dispatch(data: unknown): void {
    const m = data as Message;
    if (m && typeof m === "object" && m.id !== undefined && !REQUESTS.has(m.type as string)) this.#pending.delete(m.id);
    const event: LinkMessageEvent = { data };
    for (const listener of this.#listeners) {
      if (typeof listener === "function") listener(event);
      else listener.handleEvent(event);
    }
  }

  /** Answers the pending request `id` locally with `error` (as a comlink "throw"). */
  #answer(id: unknown, error: Error): void {
    this.#dispatch(throwResponse(id, error));
  }

  /** The link failed (peer gone, closed, undecodable): every pending request gets the error. */
  #fail(error: unknown): void {
    if (this.#closed) return;
    let failure: Error;
    if (error instanceof PeerGoneError) failure = error;
    else if (error instanceof ClosedError) {
      failure = new PeerGoneError("comlinkEndpoint: the other end closed the link; no answer will come", { cause: error });
    } else failure = error instanceof Error ? error : new PeerGoneError(`comlinkEndpoint: the link failed: ${String(error)}`);
    this.#failure = failure;
    for (const id of [...this.#pending]) this.#answer(id, failure);
    this.#pending.clear();
  }
}

/**
 * A comlink `Endpoint` over one end of a link (createLink): `Comlink.wrap(comlinkEndpoint(port1,
 * { via: worker }))` on one side, `Comlink.expose(api, comlinkEndpoint(port2, { via: parentPort }))`
 * on the other. `via` (optional) carries comlink's proxy() callbacks and transfers between
 * threads; between processes omit it (they then fail with TransferUnavailableError).
 */
export function comlinkEndpoint(end: LinkEnd, options?: ComlinkEndpointOptions): ComlinkEndpoint {
  return new ComlinkEndpoint(end, options);
}
