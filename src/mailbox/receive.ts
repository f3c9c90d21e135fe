// receive.ts — the reader's side of a mailbox, in one place: take the first message a selector
// wants, from the save queue first and then the channel (tryTake), or wait for one (take,
// blocking; takeAsync, without blocking the thread).
//
// Selectors. A receive wants plain messages (K_MESSAGE) or requests (K_REQUEST), optionally
// filtered by a predicate; a blocking request's wait wants the answer (reply, failure or gone)
// with its correlation id (K_REPLY + id). An entry a receive does not want is stashed: an answer
// goes to the inbox's ReplyDispatcher (settling an async request, or dropped when none waits),
// a message or request to the save queue (SaveQueueFullError past its bound, the entry kept).
// A predicate that throws leaves the entry saved and passes the error on.
//
// The pump. Async receives of one thread, and async requests waiting for replies in this
// inbox, are served by ONE async reader (the pump) per mailbox per thread: it runs while any
// of them waits, reads the channel with recvAsync, hands each entry to the oldest waiter that
// wants it, else stashes it. Settlements it makes are applied after each read while others
// still wait, or once the pump has stopped, so a caller that resumes may block on the mailbox
// at once. While the pump runs it may hold the channel's receive lock: a blocking receive of
// this thread then throws InvalidArgumentError (use the async form) instead of deadlocking.
//
// Invariants:
//   - an entry read from the channel is returned to exactly one receive, settles or is dropped
//     by the dispatcher, or is in the save queue (in read order);
//   - the channel's receive lock is held by this thread only inside one take, or while the pump
//     has a recvAsync in flight.
import { AbortError, InvalidArgumentError, SaveQueueFullError } from "../errors";
import type { Codec } from "../codec/codec";
import type { Deadline } from "../wait/deadline";
import { abortError } from "../wait/wait";
import { ReplyDispatcher, isReply } from "./dispatcher";
import type { ChannelEndpoint } from "./endpoint";
import { K_MESSAGE, K_REPLY, K_REQUEST, unpack } from "./envelope";
import type { Envelope } from "./protocol";
import { SaveQueue } from "./save-queue";

export type Match<T> = (value: T) => boolean;

/** An envelope with its value decoded (messages and requests). */
export interface Incoming<T> extends Envelope {
  value: T | undefined;
}

/** What a receive wants. */
export interface Selector<T> {
  kind: typeof K_MESSAGE | typeof K_REQUEST | typeof K_REPLY;
  match?: Match<T>;
  /** K_REPLY: the correlation id. */
  id?: number;
}

/** What the reader needs of its mailbox. */
export interface ReaderHost<T> {
  readonly name: string;
  readonly endpoint: ChannelEndpoint;
  readonly freed: boolean;
  /** An envelope read from the channel, with its value decoded by the mailbox's codec. */
  decode(bytes: Uint8Array, what: string): Incoming<T>;
  /** A reply's value (decoded with `codec`), or throws a failure's RemoteError. */
  replyValue(m: Envelope, codec: Codec<any>, what: string): unknown;
  /** Called by every take: records this thread as the mailbox's reader. */
  noteRead(): void;
}

interface Waiter<T> {
  sel: Selector<T>;
  resolve(m: Incoming<T>): void;
  reject(e: unknown): void;
  cleanup(): void;
}

export class Reader<T> {
  readonly saved: SaveQueue<Incoming<T>>;
  readonly dispatcher = new ReplyDispatcher();
  #waiters: Waiter<T>[] = [];
  #pump: Promise<void> | undefined;
  #pumpAbort: AbortController | undefined;
  #settle: (() => void)[] = [];

  constructor(private readonly host: ReaderHost<T>, maxSaved: number) {
    this.saved = new SaveQueue(maxSaved);
  }

  /** Whether the pump runs (an async receive or request waits on this thread). */
  get pumping(): boolean {
    return this.#pump !== undefined;
  }

  // ---- taking ------------------------------------------------------------------------------------

  #accepts(sel: Selector<T>, m: Incoming<T>): boolean {
    if (sel.kind === K_REPLY) return isReply(m) && m.id === sel.id;
    return m.kind === sel.kind && (!sel.match || sel.match(m.value as T));
  }

  #fromSaved(sel: Selector<T>): Incoming<T> | undefined {
    if (sel.kind === K_REPLY) return undefined; // replies are never saved
    return this.saved.take((m) => this.#accepts(sel, m));
  }

  /** Whether `m` is what `sel` wants; if not (or `match` throws), it is stashed. */
  #takeOrStash(sel: Selector<T>, m: Incoming<T>, what: string): boolean {
    let wanted: boolean;
    try {
      wanted = this.#accepts(sel, m);
    } catch (error) {
      this.#stash(m, what);
      throw error;
    }
    if (!wanted) this.#stash(m, what);
    return wanted;
  }

  /** An entry nobody waiting wants now: settle or drop a reply, save a message or request. */
  #stash(m: Incoming<T>, what: string): void {
    if (isReply(m)) {
      const settle = this.dispatcher.settle(m, (r, codec, w) => this.host.replyValue(r, codec, w));
      if (!settle) return; // stale: its request gave up
      if (this.#pump) this.#settle.push(settle); // applied once the pump lets go (see #startPump)
      else settle();
      return;
    }
    if (!this.saved.push(m)) throw this.fullError(what);
  }

  fullError(what: string): SaveQueueFullError {
    const requests = this.saved.count((m) => m.kind === K_REQUEST);
    return new SaveQueueFullError(
      `${what} on ${this.host.name}: ${this.saved.length} messages are saved for later receives (${requests} of them requests), above maxSaved ${this.saved.max}; ` +
        "receive without a predicate (or receiveRequest for requests) to drain them, or raise maxSaved",
    );
  }

  #checkReadable(what: string): void {
    if (this.host.freed) throw new InvalidArgumentError(`${what} on ${this.host.name}: the mailbox was freed`);
    if (this.saved.over) throw this.fullError(what);
  }

  /** One attempt: the first entry `sel` wants from the save queue, then from what the channel
   *  holds now; `closed` when the channel is closed and drained. */
  tryTake(sel: Selector<T>, what: string): { m?: Incoming<T>; closed: boolean } {
    this.host.noteRead();
    const hit = this.#fromSaved(sel);
    if (hit) return { m: hit, closed: false };
    this.#checkReadable(what);
    if (this.#pump) return { closed: false }; // the pump reads the channel for this thread
    for (;;) {
      const r = this.host.endpoint.tryRecv(what);
      if (!r.ok) return { closed: r.closed };
      const m = this.host.decode(r.value, what);
      if (this.#takeOrStash(sel, m, what)) return { m, closed: false };
    }
  }

  /** Waits (blocking the thread) for the first entry `sel` wants, until `deadline`. */
  take(sel: Selector<T>, deadline: Deadline, what: string): Incoming<T> {
    this.host.noteRead();
    const hit = this.#fromSaved(sel);
    if (hit) return hit;
    this.#checkReadable(what);
    if (this.#pump) {
      throw new InvalidArgumentError(`${what} on ${this.host.name}: an async receive or request is waiting on this mailbox in this thread; use the async form`);
    }
    for (;;) {
      const m = this.host.decode(this.host.endpoint.recv(deadline, what), what);
      if (this.#takeOrStash(sel, m, what)) return m;
    }
  }

  /** Waits without blocking the thread: one try, then a waiter served by the pump. */
  takeAsync(sel: Selector<T>, deadline: Deadline, signal: AbortSignal | undefined, what: string): Promise<Incoming<T>> {
    try {
      if (signal?.aborted) throw abortError(`${what} on ${this.host.name}`, signal);
      const now = this.tryTake(sel, what);
      if (now.m) return Promise.resolve(now.m);
      if (now.closed) throw this.host.endpoint.closedError(what);
      if (deadline.passed()) throw deadline.error(`${what} on ${this.host.name}`);
      return new Promise<Incoming<T>>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () =>
          this.#dropWaiter(w, new AbortError(`${what} on ${this.host.name} was aborted by its AbortSignal`, { cause: signal?.reason }));
        const w: Waiter<T> = {
          sel, resolve, reject,
          cleanup: () => {
            if (timer !== undefined) clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
          },
        };
        if (!deadline.forever) timer = setTimeout(() => this.#dropWaiter(w, deadline.error(`${what} on ${this.host.name}`)), deadline.left());
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#waiters.push(w);
        this.startPump();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- the pump ----------------------------------------------------------------------------------

  /** Removes a waiter that gives up; rejects it once the pump no longer holds the receive lock
   *  (if it was the last reason for the pump), so the caller may block on the mailbox next. */
  #dropWaiter(w: Waiter<T>, error: unknown): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    w.cleanup();
    this.afterGiveUp(() => w.reject(error));
  }

  /** Runs `settle` for a waiter or request that gave up, after the pump stops if it should. */
  afterGiveUp(settle: () => void): void {
    if (this.#pump && !this.#wantPump()) {
      this.#pumpAbort?.abort();
      this.#pump.then(settle, settle);
    } else settle();
  }

  #wantPump(): boolean {
    return this.#waiters.length > 0 || this.dispatcher.size > 0;
  }

  startPump(): void {
    if (this.#pump) return;
    this.#pump = this.#runPump().then((failure) => {
      // the receive lock is free again: the pump's settlements take effect now
      this.#pump = undefined;
      if (failure) this.failAll(failure.error);
      this.#flush();
      if (this.#wantPump()) this.startPump();
    });
  }

  #flush(): void {
    const settle = this.#settle;
    this.#settle = [];
    for (const f of settle) f();
  }

  async #runPump(): Promise<{ error: unknown } | undefined> {
    const what = "Mailbox.receiveAsync";
    const endpoint = this.host.endpoint;
    while (this.#wantPump() && !this.host.freed) {
      // one controller, across runs of the pump, until it is aborted (that stops a pump)
      let ctl = this.#pumpAbort;
      if (!ctl || ctl.signal.aborted) this.#pumpAbort = ctl = new AbortController();
      let bytes: Uint8Array;
      try {
        bytes = await endpoint.recvAsync(ctl.signal);
      } catch (error) {
        if (ctl.signal.aborted && error instanceof AbortError) continue;
        return { error: endpoint.mapError(error, what) };
      }
      let m: Incoming<T> | undefined;
      try {
        m = this.host.decode(bytes, what);
        const msg = m;
        const w = this.#waiters.find((x) => this.#accepts(x.sel, msg));
        if (w) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.cleanup();
          this.#settle.push(() => w.resolve(msg));
        } else this.#stash(m, what);
      } catch (error) {
        // undecodable (consumed): the oldest waiter gets the error; a predicate threw or the
        // save queue overflowed (the entry is kept): every waiter gets it
        const hit = m === undefined ? this.#waiters.splice(0, 1) : this.#waiters.splice(0);
        if (m && !isReply(m) && !this.saved.has(m)) this.saved.push(m);
        for (const x of hit) {
          x.cleanup();
          this.#settle.push(() => x.reject(error));
        }
      }
      if (this.#wantPump()) this.#flush();
    }
    return undefined;
  }

  /** Rejects every waiting receive and request of this thread with `error`. */
  failAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.cleanup();
      w.reject(error);
    }
    this.dispatcher.failAll(error);
  }

  /** Removes and returns the saved requests, then the requests among (at most `max`) entries
   *  still in the channel; other entries are dropped. For a reader whose thread is ending. */
  drainRequests(max: number): Envelope[] {
    const out: Envelope[] = [];
    for (let m = this.saved.take((x) => x.kind === K_REQUEST); m; m = this.saved.take((x) => x.kind === K_REQUEST)) out.push(m);
    const what = "Mailbox (its reader ended)";
    try {
      for (let i = 0; i < max; i++) {
        const r = this.host.endpoint.tryRecv(what);
        if (!r.ok) break;
        const m = unpack(r.value, what, this.host.name);
        if (m.kind === K_REQUEST) out.push(m);
      }
    } catch {
      // a channel closed, marked or freed meanwhile: what was drained is answered
    }
    return out;
  }

  /** Fails every waiter and stops the pump; returns what settles once the pump has let go of
   *  the channel (undefined when it does not run). */
  shutdown(error: unknown): Promise<void> | undefined {
    this.failAll(error);
    this.#pumpAbort?.abort();
    this.saved.clear();
    return this.#pump;
  }
}
