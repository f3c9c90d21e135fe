// select.ts — Go's `select` over channels: wait on several receive and send cases at once and
// complete exactly one of them, with a timeout, an AbortSignal and a default case.
//
//   const r = select([recvCase(a), recvCase(b), sendCase(out, v)], { timeout: 100 });
//   // r: { index: 0, closed: false, value: A } | { index: 0, closed: true }
//   //  | { index: 1, closed: false, value: B } | { index: 1, closed: true } | { index: 2 }
//   select(cases, { default: true })  // { index: -1 } at once when no case is ready
//   await selectAsync(cases, { signal })
//
// Cases: recvCase(ch) completes with the next value, or with { closed: true } once ch is
// closed and drained (a closed channel is always ready, as in Go). sendCase(ch, v) completes
// when v was sent (it is encoded once, before any waiting: codec and size errors come first);
// a send case chosen on a closed channel throws ClosedError (Go panics), and nothing else was
// consumed by that select. A case may be null / undefined / false: it is never chosen and the
// other indices stay where they are (Go's nil-channel case, to switch a case off in a loop).
// Result types follow the case tuple: each index carries its own channel's value type.
//
// How it waits. Each round tries every case once (Channel.tryRecv, a try-send of the encoded
// bytes) in a fresh random order — Go's pollorder: a random permutation, so among ready cases
// each is chosen with equal probability and a busy channel does not starve its neighbours.
// The first case that completes ends the select; the others are untouched. With
// { default: true } one round is all. Otherwise select registers on the region-wide event word
// (RH_EVENT_SEQ, assembly/channel.ts: every channel state change that can make a case ready —
// a message begun, a message claimed, a close — bumps and notifies it while someone is
// registered), reads the word, tries a round, and parks while the word is unchanged, so no
// change after the read is missed. Blocking select parks with Atomics.wait (the same futex
// wait as the core's memory.atomic.wait32) and obeys the blocking rules of Channel.recv
// (BlockingNotAllowedError on a browser main thread, except with { default: true }, which
// never parks; the signal is checked once, before it parks). selectAsync parks with
// Atomics.waitAsync (polling where it is missing), so it works on a browser main thread and
// honours its signal at any time. Registration is undone on every exit: result, timeout,
// abort or error.
//
// Bounded polling instead of an event wait (a slice of 1 ms doubling to 50 ms), when:
//   - cases live in more than one region: select parks on the first case's region and polls
//     the others once per slice (an event in another region is seen within one slice);
//   - a case failed although its channel could proceed ("busy"): a recv case found a message
//     but another receiver held the channel's recv lock; a send case found the send lock held
//     by another sender (which may withdraw a message on a timeout: that bumps no event) or
//     room but no lock; or the case is a send on a rendezvous channel, which succeeds only
//     while a receiver is inside recv, and entering recv bumps no event.
// A polling wait parks on the event word as it is after the round (the round's own sends bump
// it; waiting on the value from before the round would return at once, every round).
//
// Limits:
//   - Rendezvous (capacity 0) channels: a send case completes only when another thread is
//     blocked in recv/recvAsync on that channel (or entering it within the polling slice); a
//     recv case completes when a sender is blocked in send (not with trySend). A select's send case never meets
//     another select's recv case on a capacity-0 channel — neither waits inside the channel —
//     so such a pair waits until its timeout. Give the channel capacity 1 to pair selects.
//   - On a thread that may not wait at all (a browser main thread) a send case on a rendezvous
//     channel succeeds only if the blocked receiver claims the value within the core's short
//     spin (Channel.trySend's rule there), so it may take many rounds or never; use capacity 1.
//   - A recv case competes with threads blocked in recv on the same channel: they hold the
//     channel's recv lock while they wait and take the messages first.
//   - A rendezvous send case, or a send case whose message is larger than the free ring,
//     tries by publishing the value and giving a receiver inside recv up to 1 ms to take it
//     (Channel.trySend's grace), so a round may block (or, on a browser main thread, spin) up
//     to 1 ms per such case.
//   - Fairness is per round among the cases that are ready when the round tries them; it is
//     not FIFO among several selects or receivers waiting on the same channel.
//   - A blocking select is not interrupted by its signal once parked (a parked thread runs no
//     JavaScript); use a timeout, or selectAsync.
import * as L from "../../assembly/layout";
import { Channel } from "./channel";
import { InvalidArgumentError } from "../errors";
import type { Region } from "../region/region";
import { checkBlocking, deadlineFrom, parkAsync, throwIfAborted, timeoutError, timeoutMs, type WaitOptions } from "../wait/wait";

/** A receive case: completes with the channel's next value, or closed once it is drained. */
export interface RecvCase<T> {
  /** Marks a receive case. */
  readonly kind: "recv";
  /** The channel of this case. */
  readonly channel: Channel<T>;
}

/** A send case: completes once `value` is sent. */
export interface SendCase<T> {
  /** Marks a send case. */
  readonly kind: "send";
  /** The channel of this case. */
  readonly channel: Channel<T>;
  /** The value to send. */
  readonly value: T;
}

/** Any case (`any`: a Channel<T> is invariant in T, and each case keeps its own T). */
export type SelectCase = RecvCase<any> | SendCase<any>;
/** A slot in select's case list; null / undefined / false is a case that is never ready. */
export type SelectCaseSlot = SelectCase | null | undefined | false;

export interface SelectOptions extends WaitOptions {
  /** Return { index: -1 } at once when no case is ready (Go's `default:`). */
  default?: boolean;
}

/** What a receive case at `index` completes with. */
export type RecvResult<I extends number, T> =
  | {
    /** The position of the case in the list passed to select. */
    readonly index: I;
    /** The channel was open: a value was received. */
    readonly closed: false;
    /** The value received. */
    readonly value: T;
  }
  | {
    /** The position of the case in the list passed to select. */
    readonly index: I;
    /** The channel is closed and drained: no value. */
    readonly closed: true;
    /** Always undefined for a closed channel. */
    readonly value?: undefined;
  };
/** What a send case at `index` completes with. */
export type SendResult<I extends number> = {
  /** The position of the case in the list passed to select. */
  readonly index: I;
};
/** The result of a select with { default: true } when no case was ready. */
export type DefaultResult = {
  /** -1: no case. */
  readonly index: -1;
};

type CaseResult<C, I extends number> =
  C extends RecvCase<infer T> ? RecvResult<I, T> : C extends SendCase<unknown> ? SendResult<I> : never;
type IndexOf<K> = K extends `${infer N extends number}` ? N : number;

/** The union of the results of `Cases` (a tuple: each index with its own value type). */
export type SelectResult<Cases extends readonly SelectCaseSlot[]> = {
  [K in keyof Cases]: CaseResult<Cases[K], IndexOf<K>>;
}[number];

/** SelectResult, plus DefaultResult when the options may ask for a default case. */
export type SelectOutcome<Cases extends readonly SelectCaseSlot[], O extends SelectOptions | undefined> =
  SelectResult<Cases> | DefaultOf<O>;
/** DefaultResult when `default` may be true in O (a literal true, or a plain boolean). */
type DefaultOf<O> = O extends undefined
  ? never
  : "default" extends keyof O ? (O extends { readonly default?: infer D } ? (true extends D ? DefaultResult : never) : never) : never;

/** A receive case on `channel`. */
export function recvCase<T>(channel: Channel<T>): RecvCase<T> {
  if (!(channel instanceof Channel)) throw new InvalidArgumentError(`recvCase: expected a Channel, got ${describe(channel)}`);
  return { kind: "recv", channel };
}

/** A send case of `value` on `channel`. */
export function sendCase<T>(channel: Channel<T>, value: T): SendCase<T> {
  if (!(channel instanceof Channel)) throw new InvalidArgumentError(`sendCase: expected a Channel, got ${describe(channel)}`);
  return { kind: "send", channel, value };
}

function describe(v: unknown): string {
  return v === null ? "null" : typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
}

const MIN_SLICE_MS = 1;
const MAX_SLICE_MS = 50;
const EVENT_SEQ = (L.REGION_BASE + L.RH_EVENT_SEQ) >> 2;

interface Active {
  readonly index: number;
  readonly channel: Channel<unknown>;
  /** Encoded value of a send case; undefined for a receive case. */
  readonly bytes: Uint8Array | undefined;
}

/** One select call's state: the live cases, their regions, and the round that tries them. */
class Selector {
  readonly active: Active[] = [];
  readonly regions: Region[] = [];
  /** Whether the last round saw a case fail that could have proceeded (see the header). */
  busy = false;
  readonly #order: number[];

  constructor(cases: readonly SelectCaseSlot[], readonly what: string) {
    if (!Array.isArray(cases)) throw new InvalidArgumentError(`${what}: cases must be an array of recvCase(...) / sendCase(...), got ${describe(cases)}`);
    cases.forEach((c, index) => {
      if (c === null || c === undefined || c === false) return;
      if (typeof c !== "object" || (c.kind !== "recv" && c.kind !== "send") || !(c.channel instanceof Channel)) {
        throw new InvalidArgumentError(`${what}: case ${index} is not a recvCase(...) / sendCase(...), got ${describe(c)}`);
      }
      const channel = c.channel as Channel<unknown>;
      const bytes = c.kind === "send" ? channel.encodeForSend(c.value, `${what} (send case ${index})`) : undefined;
      this.active.push({ index, channel, bytes });
      if (!this.regions.includes(channel.region)) this.regions.push(channel.region);
    });
    this.#order = this.active.map((_, i) => i);
  }

  /** Tries every case once in a random order; the first that completes is the result. */
  round(): SelectResult<SelectCaseSlot[]> | undefined {
    const order = this.#order;
    // Fisher-Yates: a fresh random permutation per round (Go's pollorder)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let busy = false;
    for (const k of order) {
      const { index, channel, bytes } = this.active[k];
      const { core } = channel.region;
      const c = channel.offset;
      if (bytes === undefined) {
        const r = channel.tryRecv();
        if (r.ok) return { index, closed: false, value: r.value };
        if (r.closed) return { index, closed: true };
        // failed: busy if a message is there now (another receiver holds the lock). A receiver
        // leaving the lock makes no message appear: while none is there, events suffice.
        if (core.ch_recv_ready(c) !== 0) busy = true;
      } else {
        if (channel.trySendEncoded(bytes, `${this.what} (send case ${index})`)) return { index };
        // failed: busy on a rendezvous channel (no event says a receiver arrived), when another
        // sender holds the lock (it may withdraw a message, which bumps no event), or when
        // there is room now
        if (channel.capacity === 0 || core.mutex_owner(c + L.CH_SEND_LOCK) !== 0 || core.ch_send_ready(c) !== L.WOULD_BLOCK) busy = true;
      }
    }
    this.busy = busy;
    return undefined;
  }

  /** Whether waits must be bounded slices (several regions, or a busy case). */
  get polling(): boolean {
    return this.busy || this.regions.length > 1;
  }

  register(): void {
    for (const r of this.regions) r.core.ch_event_wait_begin();
  }

  unregister(): void {
    for (const r of this.regions) r.core.ch_event_wait_end();
  }
}

function start(cases: readonly SelectCaseSlot[], options: SelectOptions | undefined, what: string): Selector {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new InvalidArgumentError(`${what}: options must be an object { timeout, signal, default }, got ${describe(options)}`);
  }
  const s = new Selector(cases, what);
  if (s.active.length === 0 && !options?.default && timeoutMs(options) < 0) {
    throw new InvalidArgumentError(`${what}: no case can ever be ready (every case is null/undefined/false) and there is no timeout or default: it would wait forever`);
  }
  return s;
}

/**
 * Waits until one of `cases` can complete and completes exactly that one (blocking form).
 * Throws TimeoutError after `timeout` ms, AbortError if `signal` is aborted before it parks,
 * ClosedError when a chosen send case's channel is closed. With { default: true } returns
 * { index: -1 } at once when no case is ready. See the header of select.ts for the contract.
 */
export function select<const Cases extends readonly SelectCaseSlot[], const O extends SelectOptions | undefined = undefined>(
  cases: Cases, options?: O,
): SelectOutcome<Cases, O> {
  const what = "select";
  // with a default case it never parks: allowed where blocking is not (a browser main thread)
  if (options?.default) throwIfAborted(what, options.signal);
  else checkBlocking(what, options);
  const ms = timeoutMs(options);
  const s = start(cases, options, what);
  type R = SelectOutcome<Cases, O>;
  const first = s.round();
  if (first) return first as R;
  if (options?.default) return { index: -1 } as R;
  const deadline = deadlineFrom(ms);
  if (s.active.length === 0) {
    // nothing can be ready: sleep out the timeout on a private word
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    throw timeoutError(what, ms);
  }
  const words = s.regions[0].words;
  s.register();
  try {
    let slice = MIN_SLICE_MS;
    for (;;) {
      const seen = Atomics.load(words, EVENT_SEQ);
      const r = s.round();
      if (r) return r as R;
      const left = deadline - performance.now();
      if (left <= 0) throw timeoutError(what, ms);
      if (s.polling) {
        // a polling wait takes the word as it is now: this round's own sends bump it (a publish,
        // a withdraw's wake), and waiting on the value read before the round would return at
        // once, every round (a busy loop that starved a receiver in Chromium); an event from
        // another thread during the round costs at most this slice
        Atomics.wait(words, EVENT_SEQ, Atomics.load(words, EVENT_SEQ), Math.min(slice, left));
        slice = Math.min(slice * 2, MAX_SLICE_MS);
      } else {
        Atomics.wait(words, EVENT_SEQ, seen, left);
        slice = MIN_SLICE_MS;
      }
    }
  } finally {
    s.unregister();
  }
}

/** `select` without blocking the thread (Atomics.waitAsync); honours `signal` at any time. */
export async function selectAsync<const Cases extends readonly SelectCaseSlot[], const O extends SelectOptions | undefined = undefined>(
  cases: Cases, options?: O,
): Promise<SelectOutcome<Cases, O>> {
  const what = "selectAsync";
  const signal = options?.signal;
  throwIfAborted(what, signal);
  const ms = timeoutMs(options);
  const s = start(cases, options, what);
  type R = SelectOutcome<Cases, O>;
  const first = s.round();
  if (first) return first as R;
  if (options?.default) return { index: -1 } as R;
  const deadline = deadlineFrom(ms);
  if (s.active.length === 0) {
    await parkAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, deadline, what, signal);
    throw timeoutError(what, ms);
  }
  const words = s.regions[0].words;
  s.register();
  try {
    let slice = MIN_SLICE_MS;
    for (;;) {
      const seen = Atomics.load(words, EVENT_SEQ);
      const r = s.round();
      if (r) return r as R;
      if (deadline - performance.now() <= 0) throw timeoutError(what, ms);
      if (s.polling) {
        // the word as it is now, as in select
        await parkAsync(words, EVENT_SEQ, Atomics.load(words, EVENT_SEQ), Math.min(deadline, performance.now() + slice), what, signal);
        slice = Math.min(slice * 2, MAX_SLICE_MS);
      } else {
        await parkAsync(words, EVENT_SEQ, seen, deadline, what, signal);
        slice = MIN_SLICE_MS;
      }
    }
  } finally {
    s.unregister();
  }
}
