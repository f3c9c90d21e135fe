// steps.ts — step machines and their drivers: each multi-phase operation written once.
//
// A step machine is a generator that says what to do next and never does the waiting itself:
//
//   yield call("mutex_lock_step", m, agent, parked)   run a core export; resumes with its result
//   yield load(address)                               an atomic read of a shared word (a scheduling
//                                                     point in the model); resumes with the value
//   yield park(address, expected)                     park while the word holds `expected`;
//                                                     resumes with a WAIT_* code
//   yield park(address, expected, { whole: true })    a park that must finish: ignores the
//                                                     deadline and the signal (the other side
//                                                     is committed to changing the word soon)
//   yield park(address, expected, { capMs })          a park of at most capMs (a grace wait
//                                                     of a try): its end resumes with
//                                                     WAIT_TIMED_OUT
//   yield park(address, expected, { sliceMs })        a park of at most sliceMs (a polling
//                                                     slice): its end resumes with WAIT_WOKEN
//                                                     unless the deadline passed (a whole
//                                                     park may be sliced too: always WOKEN)
//   yield park(address, expected, { spun: true })     the step before it already re-checked for
//                                                     a while: the blocking and async drivers park
//                                                     without their own spin on the word
//   yield park(address, expected, { sliceMs, any })   a polling slice, or instead a park on
//                                                     every word of `any` (words of several
//                                                     memories, each with its expected value):
//                                                     the blocking driver does that, for the
//                                                     whole deadline, when its parker has
//                                                     waitAny and every word's parker is of its
//                                                     kind; the other drivers poll
//
// and returns the operation's result. The same machine is run by four drivers:
//
//   runBlocking(host, machine, deadline)        parks the thread through the region's Parker
//                                               (after the parker's adaptive spin on the word,
//                                               src/wait/spin.ts)
//   runAsync(host, machine, deadline, signal)   parks with Parker.waitAsync (after the same
//                                               spin, capped shorter: waking a parked thread is
//                                               the cost, not the API); the thread runs on
//   runTry(host, machine)                       never parks: every park resumes with
//                                               WAIT_TIMED_OUT at once, so the machine takes
//                                               its "gave up" path (last re-check, deregister)
//   the model harness (test/model)              runs every call on a virtual thread of the model
//                                               build and parks in the modelled futex, so the
//                                               schedules explored are those of the shipped code
//
// Contract for machines:
//   - A park returns WAIT_TIMED_OUT when the deadline passed (the machine must then re-check
//     once and give up cleanly: deregister, withdraw, return TIMED_OUT or throw), WAIT_WOKEN
//     or WAIT_NOT_EQUAL otherwise (re-check; spurious returns are allowed).
//   - Cancellation (an AbortSignal, or an error thrown by a driver) reaches the machine as an
//     exception thrown at its `yield park(...)`: a machine that registered itself undoes that
//     in `finally` (it may still yield calls there) and lets the error propagate.
//   - Machines allocate nothing per step beyond their request objects, touch shared memory
//     only through core calls and `load`, and read no clock (the deadline is the driver's).
//
// One-call fast paths (a try-lock before the machine starts) stay plain code in the facades.
import * as L from "../../assembly/layout";
import type { CoreExports } from "../region/core";
import { Deadline } from "./deadline";
import { type ParkTarget, type Parker, WAIT_ABORTED, spinThenWait, spinThenWaitAsync, spinnerOf } from "./parker";
import type { Spinner } from "./spin";
import { abortError } from "./wait";

export interface CallRequest {
  readonly op: "call";
  readonly fn: keyof CoreExports & string;
  readonly args: readonly number[];
}
export interface LoadRequest {
  readonly op: "load";
  readonly address: number;
}
export interface ParkRequest {
  readonly op: "park";
  readonly address: number;
  readonly expected: number;
  /** Ignore the deadline and the signal (see the header). */
  readonly whole?: boolean;
  /** Park at most this many ms; its end resumes with WAIT_TIMED_OUT (see the header). */
  readonly capMs?: number;
  /** Park at most this many ms; the slice's end resumes with WAIT_WOKEN (see the header). */
  readonly sliceMs?: number;
  /** The step already spun: no spin on the word before the park (see the header). */
  readonly spun?: boolean;
  /** Words (of several memories) a waitAny may park on instead (see the header). */
  readonly any?: readonly AnyParkWord[];
}

/** A word of a park request's `any`, with the kind of its memory's parker. */
export interface AnyParkWord extends ParkTarget {
  /** The kind of the parker of the word's memory ("futex", ...). */
  readonly kind: string;
}

/** How a park request may differ from a plain park (see the header). */
export interface ParkHow {
  readonly whole?: boolean;
  readonly capMs?: number;
  readonly sliceMs?: number;
  readonly spun?: boolean;
  readonly any?: readonly AnyParkWord[];
}
export type StepRequest = CallRequest | LoadRequest | ParkRequest;

/** A step machine returning R. Every `yield` resumes with a number (see the header). */
export type Steps<R> = Generator<StepRequest, R, number>;

export function call(fn: keyof CoreExports & string, ...args: number[]): CallRequest {
  return { op: "call", fn, args };
}
export function load(address: number): LoadRequest {
  return { op: "load", address };
}
export function park(address: number, expected: number, how?: ParkHow): ParkRequest {
  return how ? { op: "park", address, expected, ...how } : { op: "park", address, expected };
}

/** The deadline a driver parks with for `r`: forever for a whole park, capped for a cap or a slice. */
function parkDeadline(r: ParkRequest, deadline: Deadline): Deadline {
  if (r.whole) return r.sliceMs === undefined ? Deadline.forever : Deadline.forever.capped(r.sliceMs);
  const cap = r.capMs ?? r.sliceMs;
  return cap === undefined ? deadline : deadline.capped(cap);
}

/** A slice that ended before the deadline is a spurious wake-up, not a timeout. */
function sliceResult(r: ParkRequest, result: number, deadline: Deadline): number {
  return result === L.WAIT_TIMED_OUT && r.sliceMs !== undefined && (r.whole || !deadline.passed()) ? L.WAIT_WOKEN : result;
}

/** What a driver needs: the thread's core instance and the region's parker and words. */
export interface StepHost {
  readonly core: CoreExports;
  readonly parker: Parker;
  readonly words: Int32Array;
}

/** Runs a call (a new core spin of the parker's spinner around it: src/wait/spin.ts) or a load
 *  on this thread; its result is the machine's next input. */
function perform(host: StepHost, spinner: Spinner, r: CallRequest | LoadRequest, async: boolean): number {
  if (r.op === "load") return Atomics.load(host.words, r.address >> 2);
  spinner.begin(async);
  const out = (host.core[r.fn] as (...a: number[]) => number)(...r.args);
  spinner.end();
  return out;
}

/** Runs `machine` on this thread to its end; `parkNow` answers each park request. */
function runSync<R>(host: StepHost, machine: Steps<R>, async: boolean, parkNow: (r: ParkRequest, spinner: Spinner) => number): R {
  const spinner = spinnerOf(host.parker);
  let input = 0;
  for (;;) {
    const next = machine.next(input);
    if (next.done) return next.value;
    const r = next.value;
    input = r.op === "park" ? parkNow(r, spinner) : perform(host, spinner, r, async);
  }
}

/** Runs `machine` on this thread, parking (the parker's adaptive spin, then Parker.wait) as it asks. */
export function runBlocking<R>(host: StepHost, machine: Steps<R>, deadline: Deadline): R {
  const { parker, words } = host;
  return runSync(host, machine, false, (r, spinner) => {
    if (r.any && parker.waitAny && r.any.every((w) => w.kind === parker.kind)) {
      if (r.spun) spinner.parkedAfterCore();
      else if (spinner.spin(words, r.address >> 2, r.expected, false)) return L.WAIT_NOT_EQUAL;
      return parker.waitAny(r.any, r.whole ? Deadline.forever : deadline);
    }
    return sliceResult(r, spinThenWait(parker, words, r.address, r.expected, parkDeadline(r, deadline), r.spun), deadline);
  });
}

/** Runs `machine` without blocking the thread (spins capped for async waits, then
 *  Parker.waitAsync); `signal` is thrown into the machine at its park. */
export async function runAsync<R>(
  host: StepHost, machine: Steps<R>, deadline: Deadline, what: string, signal?: AbortSignal,
): Promise<R> {
  const { parker, words } = host;
  const spinner = spinnerOf(parker);
  let next = machine.next(0);
  for (;;) {
    if (next.done) return next.value;
    const r = next.value;
    if (r.op !== "park") {
      next = machine.next(perform(host, spinner, r, true));
      continue;
    }
    const input = sliceResult(r, await spinThenWaitAsync(parker, words, r.address, r.expected, parkDeadline(r, deadline), r.whole ? undefined : signal, r.spun), deadline);
    next = input === WAIT_ABORTED ? machine.throw(abortError(what, signal as AbortSignal)) : machine.next(input);
  }
}

/** Runs `machine` without ever parking: each park resumes with WAIT_TIMED_OUT at once. */
export function runTry<R>(host: StepHost, machine: Steps<R>): R {
  return runSync(host, machine, true, () => L.WAIT_TIMED_OUT);
}
