// endpoint.ts — a mailbox's message endpoint: the raw-bytes Channel under it, used as framed
// messages with blocking, try and async send and receive, close and peer-gone; and the one
// mapping of the channel's errors to the mailbox's (TimeoutError, ClosedError and
// PeerGoneError re-said for the mailbox; everything else passes through unchanged).
//
// Only Channel's public methods are used. The mailbox above speaks to this class, never to the
// channel, so another transport can stand in for it.
//
// Roles. Any thread sends; the mailbox's reader receives. Async sends of one thread go out one
// at a time, in call order (a chain). A blocking send while an async send of this thread is
// inside the channel is refused with InvalidArgumentError: the async one may hold the channel's send lock,
// and a thread that blocks on a lock held by its own pending task never wakes.
import type { Channel } from "../channel/channel";
import { ClosedError, InvalidArgumentError, PeerGoneError, TimeoutError } from "../errors";
import type { Deadline } from "../wait/deadline";

/** What the endpoint says errors for: its mailbox. */
export interface EndpointOwner {
  readonly name: string;
  /** The mailbox's PeerGoneError for `what` (its reader ended, or a peer died). */
  goneError(what: string): PeerGoneError;
}

export type TryRecv = { ok: true; value: Uint8Array } | { ok: false; closed: boolean };

export class ChannelEndpoint {
  /** Async sends of this thread inside the channel now (they may hold its send lock). */
  #asyncSends = 0;
  #sendChain: Promise<unknown> = Promise.resolve();
  /** Async sends of this thread not finished yet (queued in the chain, or inside the channel). */
  #queued = 0;

  constructor(readonly channel: Channel<Uint8Array>, private readonly owner: EndpointOwner) {}

  // ---- send ------------------------------------------------------------------------------------

  /** Sends one message, blocking while the channel is full, until `deadline`. */
  send(bytes: Uint8Array, deadline: Deadline, what: string): void {
    if (this.#asyncSends > 0) {
      throw new InvalidArgumentError(
        `${what} on ${this.owner.name}: this thread has an async send on this mailbox in flight; await it, or use the async form`,
      );
    }
    try {
      this.channel.send(bytes, { timeout: deadline.left() });
    } catch (error) {
      this.rethrow(error, what, deadline);
    }
  }

  /** One attempt: false when the channel is full now (Channel.trySend semantics). */
  trySend(bytes: Uint8Array, what: string): boolean {
    try {
      return this.channel.trySend(bytes);
    } catch (error) {
      this.rethrow(error, what);
    }
  }

  /** Sends without blocking the thread, after this thread's earlier async sends. With none
   *  pending it first tries at once (Channel.trySend: a message with room is in the channel
   *  before this returns, so a request is out before its caller waits for the reply). */
  sendAsync(bytes: Uint8Array, deadline: Deadline, signal: AbortSignal | undefined, what: string): Promise<void> {
    if (this.#queued === 0 && !signal?.aborted) {
      try {
        if (this.channel.trySend(bytes)) return Promise.resolve();
      } catch (error) {
        return Promise.reject(this.mapError(error, what, deadline));
      }
    }
    const run = async () => {
      this.#asyncSends++;
      try {
        await this.channel.sendAsync(bytes, { timeout: deadline.left(), signal });
      } catch (error) {
        this.rethrow(error, what, deadline);
      } finally {
        this.#asyncSends--;
        this.#queued--;
      }
    };
    this.#queued++;
    const p = this.#sendChain.then(run, run);
    this.#sendChain = p.catch(() => {});
    return p;
  }

  // ---- receive -----------------------------------------------------------------------------------

  /** Receives one message, blocking until `deadline`. */
  recv(deadline: Deadline, what: string): Uint8Array {
    try {
      return this.channel.recv({ timeout: deadline.left() });
    } catch (error) {
      this.rethrow(error, what, deadline);
    }
  }

  /** One attempt at a receive. */
  tryRecv(what: string): TryRecv {
    try {
      return this.channel.tryRecv();
    } catch (error) {
      this.rethrow(error, what);
    }
  }

  /** Receives without blocking the thread until `signal` aborts; errors as the channel throws
   *  them (the caller maps them: rethrow). */
  recvAsync(signal: AbortSignal): Promise<Uint8Array> {
    return this.channel.recvAsync({ signal });
  }

  // ---- state -------------------------------------------------------------------------------------

  get closed(): boolean {
    return this.channel.closed;
  }
  get peerGone(): boolean {
    return this.channel.peerGone;
  }
  get len(): number {
    return this.channel.len;
  }
  get capacity(): number {
    return this.channel.capacity;
  }
  close(): void {
    this.channel.close();
  }
  markPeerGone(): void {
    this.channel.markPeerGone();
  }
  free(): void {
    this.channel.close();
    this.channel.free();
  }

  // ---- errors ------------------------------------------------------------------------------------

  /** The mailbox's ClosedError for `what`. */
  closedError(what: string): ClosedError {
    return new ClosedError(`${what} on ${this.owner.name}: the mailbox is closed and holds no such message; nothing more can arrive`);
  }

  /** A channel error as the mailbox's (see the header). */
  mapError(error: unknown, what: string, deadline?: Deadline): unknown {
    if (error instanceof TimeoutError && deadline) return deadline.error(`${what} on ${this.owner.name}`);
    if (error instanceof ClosedError) return this.closedError(what);
    if (error instanceof PeerGoneError) return this.owner.goneError(what);
    return error;
  }

  rethrow(error: unknown, what: string, deadline?: Deadline): never {
    throw this.mapError(error, what, deadline);
  }
}
