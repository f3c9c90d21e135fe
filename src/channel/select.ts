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
// Cases reach select through the Selectable seam (selectable.ts): select knows nothing of
// channels but their attempts, readiness and event words. Its loop is one step machine
// (selectSteps) run by the blocking and the async drivers of src/wait/steps.ts, through the
// parker of the region of the first case.
//
// How it waits. Each round tries every case once (its attempt: a try-receive, a try-send of
// the encoded bytes) in a fresh random order — Go's pollorder: a random permutation, so among
// ready cases each is chosen with equal probability and a busy channel does not starve its
// neighbours.
// The first case that completes ends the select; the others are untouched. With
// { default: true } a round is all, made atomic as Go's (which locks every case's channel):
// select registers on the event words around it and takes the default only when no event
// came during the round (every case was not ready at its end); else it tries another round
// (at most DEFAULT_ROUNDS). Otherwise select registers on the region-wide event word
// (RH_EVENT_SEQ, assembly/channel.ts: every channel state change that can make a case ready —
// a message begun, a message claimed, a close — bumps and notifies it while someone is
// registered), reads the word, tries a round, and parks while the word is unchanged, so no
// change after the read is missed. Blocking select parks through the region's parker and obeys the blocking rules of Channel.recv
// (BlockingNotAllowedError on a browser main thread, except with { default: true }, which
// never parks; the signal is checked once, before it parks). selectAsync parks with the
// parker's async wait, so it works on a browser main thread and
// honours its signal at any time. Registration is undone on every exit: result, timeout,
// abort or error.
//
// Bounded polling instead of an event wait (a slice of 1 ms doubling to 50 ms), when:
//   - cases live in more than one region: select parks on the first case's region and polls
//     the others once per slice (an event in another region is seen within one slice), except
//     a blocking select whose regions all park on the futex (file-backed regions, sabre/node):
//     it parks on every region's event word at once (FutexParker.waitAny, Linux's
//     FUTEX_WAITV), for the whole timeout;
//   - a case failed although it was ready (Selectable.ready, "busy"): a recv case found a message
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
import { InvalidArgumentError } from "../errors";
import { Deadline } from "../wait/deadline";
import { parkerFor } from "../wait/parker";
import { load, park, runAsync, runBlocking, runTry, type StepHost, type Steps } from "../wait/steps";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";
import type { EventSource, RecvSelectSource, Selectable, SendSelectSource } from "./selectable";

/** A receive case: completes with the channel's next value, or closed once it is drained. */
export interface RecvCase<T> {
  /** Marks a receive case. */
  readonly kind: "recv";
  /** What the case receives from: a Channel (or a Mailbox). */
  readonly channel: RecvSelectSource<T>;
}

/** A send case: completes once `value` is sent. */
export interface SendCase<T> {
  /** Marks a send case. */
  readonly kind: "send";
  /** The channel the case sends on. */
  readonly channel: SendSelectSource<T>;
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

const isRecvSource = (x: unknown): x is RecvSelectSource<unknown> =>
  typeof x === "object" && x !== null && typeof (x as { selectRecv?: unknown }).selectRecv === "function";
const isSendSource = (x: unknown): x is SendSelectSource<unknown> =>
  typeof x === "object" && x !== null && typeof (x as { selectSend?: unknown }).selectSend === "function";

/** A receive case on `channel`. */
export function recvCase<T>(channel: RecvSelectSource<T>): RecvCase<T> {
  if (!isRecvSource(channel)) throw new InvalidArgumentError(`recvCase: expected a Channel or a Mailbox, got ${describe(channel)}`);
  return { kind: "recv", channel };
}

/** A send case of `value` on `channel`. */
export function sendCase<T>(channel: SendSelectSource<T>, value: T): SendCase<T> {
  if (!isSendSource(channel)) throw new InvalidArgumentError(`sendCase: expected a Channel, got ${describe(channel)}`);
  return { kind: "send", channel, value };
}

function describe(v: unknown): string {
  return v === null ? "null" : typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
}

const MIN_SLICE_MS = 1;
const MAX_SLICE_MS = 50;
/** Rounds a select with a default tries while events keep coming during its rounds. */
const DEFAULT_ROUNDS = 16;

/** A live case: its index in the caller's list and its Selectable. */
export interface ActiveCase {
  readonly index: number;
  readonly kind: "recv" | "send";
  readonly selectable: Selectable<unknown>;
}

/** What selectSteps returns: a case's result, the default, or the deadline. */
export type SelectOutcomeOf = { index: number; closed?: boolean; value?: unknown } | typeof NO_CASE | typeof TIMED_OUT;
export const NO_CASE = Symbol("default");
export const TIMED_OUT = Symbol("timed out");

/** Runs `machine` on `source`'s host: inline when that is the driver's (`home`), else as a try. */
function* on<R>(home: EventSource, source: EventSource, machine: Steps<R>): Steps<R> {
  if (source.host === home.host) return yield* machine;
  return runTry(source.host, machine);
}

/** The event words of every source, read now. */
function* words(home: EventSource, sources: readonly EventSource[]): Steps<number[]> {
  const out: number[] = [];
  for (const src of sources) out.push(yield* on(home, src, loadWord(src.word)));
  return out;
}

function* loadWord(address: number): Steps<number> {
  return yield load(address);
}

/**
 * Select's loop, once (see the header). `cases` are tried in a fresh random order per round
 * (`random`: [0, 1)); `home` is the event source parked on (its host is the driver's), the
 * others are polled. Returns the completed case, NO_CASE (withDefault and nothing ready), or
 * TIMED_OUT (the driver's deadline passed).
 */
export function* selectSteps(
  cases: readonly ActiveCase[], withDefault: boolean, random: () => number = Math.random,
): Steps<SelectOutcomeOf> {
  const sources = [...new Set(cases.map((c) => c.selectable.events))];
  const home = sources[0];
  const order = cases.map((_, i) => i);
  for (const src of sources) yield* on(home, src, src.register());
  try {
    let slice = MIN_SLICE_MS;
    for (let round = 1; ; round++) {
      const before = yield* words(home, sources);
      // Fisher-Yates: a fresh random permutation per round (Go's pollorder)
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      let busy = false;
      for (const k of order) {
        const { index, kind, selectable } = cases[k];
        const src = selectable.events;
        const a = yield* on(home, src, selectable.attempt());
        if (a.done) return kind === "send" ? { index } : a.closed ? { index, closed: true } : { index, closed: false, value: a.value };
        if (!busy && (yield* on(home, src, selectable.ready()))) busy = true;
      }
      if (withDefault) {
        const after = yield* words(home, sources);
        if (round >= DEFAULT_ROUNDS || after.every((w, i) => w === before[i])) return NO_CASE;
        continue;
      }
      let woke: number;
      if (busy) {
        // a polling wait takes the word as it is now: this round's own attempts bump it, and the
        // value from before the round would return at once, every round
        woke = yield park(home.word, yield load(home.word), { sliceMs: slice });
        slice = Math.min(slice * 2, MAX_SLICE_MS);
      } else if (sources.length > 1) {
        // several memories: poll the others once per slice (parked on the home word as it is
        // now: this round's own attempts bump it), or, where the blocking driver's parker can
        // (futex waitv), park on every event word at once as it was before the round, as the
        // single-memory wait below does: a change during the round is never slept through
        const any = sources.map((src, i) => ({ words: src.host.words, address: src.word, expected: before[i], kind: src.host.parker.kind }));
        woke = yield park(home.word, yield load(home.word), { sliceMs: slice, any });
        slice = Math.min(slice * 2, MAX_SLICE_MS);
      } else {
        woke = yield park(home.word, before[0]);
        slice = MIN_SLICE_MS;
      }
      if (woke === WAIT_TIMED_OUT) {
        // the deadline passed: one last round without waiting
        for (const { index, kind, selectable } of cases) {
          const a = yield* on(home, selectable.events, selectable.attempt());
          if (a.done) return kind === "send" ? { index } : a.closed ? { index, closed: true } : { index, closed: false, value: a.value };
        }
        return TIMED_OUT;
      }
    }
  } finally {
    for (const src of sources) yield* on(home, src, src.unregister());
  }
}

/** The WAIT_* code of a park that timed out (src/wait/parker.ts). */
const WAIT_TIMED_OUT = 2;

/** One select call's live cases (null / undefined / false slots dropped). */
function start(cases: readonly SelectCaseSlot[], options: SelectOptions | undefined, what: string, async: boolean): ActiveCase[] {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new InvalidArgumentError(`${what}: options must be an object { timeout, signal, default }, got ${describe(options)}`);
  }
  if (!Array.isArray(cases)) throw new InvalidArgumentError(`${what}: cases must be an array of recvCase(...) / sendCase(...), got ${describe(cases)}`);
  const active: ActiveCase[] = [];
  cases.forEach((c: SelectCaseSlot, index) => {
    if (c === null || c === undefined || c === false) return;
    const ok = typeof c === "object" && ((c.kind === "recv" && isRecvSource(c.channel)) || (c.kind === "send" && isSendSource(c.channel)));
    if (!ok) throw new InvalidArgumentError(`${what}: case ${index} is not a recvCase(...) / sendCase(...), got ${describe(c)}`);
    const selectable = c.kind === "recv"
      ? (c.channel as RecvSelectSource<unknown>).selectRecv(what, async)
      : (c.channel as SendSelectSource<unknown>).selectSend(c.value, `${what} (send case ${index})`, async);
    active.push({ index, kind: c.kind, selectable: selectable as Selectable<unknown> });
  });
  return active;
}

/** A host with a private word, to sleep out a timeout when no case can ever be ready. */
function privateHost(): StepHost {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  return { core: undefined as never, parker: parkerFor("atomics", memory), words: new Int32Array(memory.buffer) };
}
function* sleepOut(): Steps<typeof TIMED_OUT> {
  while ((yield park(0, 0)) !== WAIT_TIMED_OUT);
  return TIMED_OUT;
}

function finish<R>(r: SelectOutcomeOf, what: string, deadline: Deadline): R {
  if (r === NO_CASE) return { index: -1 } as R;
  if (r === TIMED_OUT) throw deadline.error(what);
  return r as R;
}

function prepare(cases: readonly SelectCaseSlot[], options: SelectOptions | undefined, what: string, async: boolean) {
  const deadline = Deadline.of(options, what);
  const active = start(cases, options, what, async);
  if (active.length === 0 && !options?.default && deadline.forever) {
    throw new InvalidArgumentError(`${what}: no case can ever be ready (every case is null/undefined/false) and there is no timeout or default: it would wait forever`);
  }
  return { deadline, active };
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
  const { deadline, active } = prepare(cases, options, what, false);
  const withDefault = !!options?.default;
  if (active.length === 0) return finish(withDefault ? NO_CASE : runBlocking(privateHost(), sleepOut(), deadline), what, deadline);
  return finish(runBlocking(active[0].selectable.events.host, selectSteps(active, withDefault), deadline), what, deadline);
}

/** `select` without blocking the thread (the parker's async wait); honours `signal` at any time. */
export async function selectAsync<const Cases extends readonly SelectCaseSlot[], const O extends SelectOptions | undefined = undefined>(
  cases: Cases, options?: O,
): Promise<SelectOutcome<Cases, O>> {
  const what = "selectAsync";
  const signal = options?.signal;
  throwIfAborted(what, signal);
  const { deadline, active } = prepare(cases, options, what, true);
  const withDefault = !!options?.default;
  if (active.length === 0) return finish(withDefault ? NO_CASE : await runAsync(privateHost(), sleepOut(), deadline, what, signal), what, deadline);
  return finish(await runAsync(active[0].selectable.events.host, selectSteps(active, withDefault), deadline, what, signal), what, deadline);
}
