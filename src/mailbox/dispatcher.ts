// dispatcher.ts — the reply side of request/reply on the requester's thread: the dispatcher of
// one reply inbox (pending async requests by correlation id), and this thread's default reply
// inboxes.
//
// ReplyDispatcher. Each reply inbox has one. `newId` hands out correlation ids (unique among
// the requests waiting on the inbox: a free-running u32 that skips 0). An async request
// registers (id -> Pending) BEFORE its request is sent; the inbox's pump hands every reply,
// failure and gone it reads to `settle`, which removes the pending entry and returns how to settle it;
// a reply whose id is not pending (its request timed out, was aborted, or was blocking) is
// dropped there and never reaches a later request. A request that gives up removes itself
// (`giveUp`) first, so a reply racing with it is dropped, never delivered twice.
//
// Default reply inboxes. A requester that names no `replyTo` gets replies in a private
// mailbox of its thread in the server's region, made on first use and reused: one for blocking
// requests and one for async ones (a blocking wait cannot share a channel's receive lock with
// an async wait of the same thread). ReplyInboxes keeps them per region.
import type { Codec } from "../codec/codec";
import type { Region } from "../region/region";
import { K_FAILURE, K_GONE, K_REPLY } from "./envelope";
import type { Envelope } from "./protocol";

/** An async request waiting for its reply. */
export interface Pending {
  codec: Codec<any>;
  what: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  cleanup(): void;
}

export class ReplyDispatcher {
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  /** A correlation id for the next request (never 0). */
  newId(): number {
    this.#nextId = (this.#nextId + 1) >>> 0 || 1;
    return this.#nextId;
  }

  /** Async requests waiting for replies. */
  get size(): number {
    return this.#pending.size;
  }

  register(id: number, pending: Pending): void {
    this.#pending.set(id, pending);
  }

  /** Removes a request that gives up; undefined if it was already settled. */
  giveUp(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    p.cleanup();
    return p;
  }

  /**
   * How to settle the request a reply, failure or gone is for (`value` decodes it with that
   * request's codec, or throws its RemoteError); undefined when no request waits for it (it
   * is dropped).
   */
  settle(m: Envelope, value: (m: Envelope, codec: Codec<any>, what: string) => unknown): (() => void) | undefined {
    const p = this.giveUp(m.id);
    if (!p) return undefined;
    try {
      const v = value(m, p.codec, p.what);
      return () => p.resolve(v);
    } catch (error) {
      return () => p.reject(error);
    }
  }

  /** Rejects every pending request with `error`. */
  failAll(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.cleanup();
      p.reject(error);
    }
  }
}

/** Whether an envelope answers a request: a reply, failure or gone (what a dispatcher settles). */
export function isReply(m: Envelope): boolean {
  return m.kind === K_REPLY || m.kind === K_FAILURE || m.kind === K_GONE;
}

/** This thread's default reply inboxes, per region: one for blocking and one for async requests. */
export class ReplyInboxes<I extends { readonly freed: boolean }> {
  readonly #slots = new WeakMap<Region, { sync?: I; async?: I }>();

  /** The inbox of `mode` in `region`, made by `make` when there is none (or it was freed). */
  get(region: Region, mode: "sync" | "async", make: () => I): I {
    let slot = this.#slots.get(region);
    if (!slot) this.#slots.set(region, (slot = {}));
    let inbox = slot[mode];
    if (!inbox || inbox.freed) slot[mode] = inbox = make();
    return inbox;
  }

  /** This thread's inboxes in `region`. */
  list(region: Region): I[] {
    const slot = this.#slots.get(region);
    return slot ? [slot.sync, slot.async].filter((x): x is I => x !== undefined) : [];
  }

  drop(region: Region, inbox: I): void {
    const slot = this.#slots.get(region);
    if (slot?.sync === inbox) slot.sync = undefined;
    if (slot?.async === inbox) slot.async = undefined;
  }
}
