// steps.ts — step machines and their drivers: each multi-phase operation written once.
//
// A step machine is a generator that says what to do next and never does the waiting itself:
//
//   yield call("mutex_lock_step", m, agent, parked)   run a core export; resumes with its result
//   yield load(address)                               an atomic read of a shared word (a scheduling
//                                                     point in the model); resumes with the value
//   yield park(address, expected)                     park while the word holds `expected`;
//                                                     resumes with a WAIT_* code
//
// and returns the operation's result. The same machine is run by four drivers:
//
//   runBlocking(host, machine, deadline)        parks the thread through the region's Parker
//                                               (after a brief spin on the word)
//   runAsync(host, machine, deadline, signal)   parks with Parker.waitAsync; the thread runs on
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
import type { Deadline } from "./deadline";
import { type Parker, WAIT_ABORTED } from "./parker";
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
export function park(address: number, expected: number): ParkRequest {
  return { op: "park", address, expected };
}

/** What a driver needs: the thread's core instance and the region's parker and words. */
export interface StepHost {
  readonly core: CoreExports;
  readonly parker: Parker;
  readonly words: Int32Array;
}

/** Loads of the park word before a blocking park (a few microseconds): a wake that comes
 *  quickly never pays a futex round trip (DESIGN.md, "Waiting"). */
const SPIN_LOADS = 2000;

const pause: () => void =
  typeof (Atomics as unknown as { pause?: () => void }).pause === "function"
    ? (Atomics as unknown as { pause: () => void }).pause.bind(Atomics)
    : () => {};

function doCall(core: CoreExports, r: CallRequest): number {
  return (core[r.fn] as (...a: number[]) => number)(...r.args);
}

/** Runs `machine` on this thread, parking (spin, then Parker.wait) as it asks. */
export function runBlocking<R>(host: StepHost, machine: Steps<R>, deadline: Deadline): R {
  const { core, parker, words } = host;
  let input = 0;
  for (;;) {
    const next = machine.next(input);
    if (next.done) return next.value;
    const r = next.value;
    if (r.op === "call") input = doCall(core, r);
    else if (r.op === "load") input = Atomics.load(words, r.address >> 2);
    else {
      const index = r.address >> 2;
      let spun = 0;
      while (spun < SPIN_LOADS && Atomics.load(words, index) === r.expected) {
        pause();
        spun++;
      }
      input = spun < SPIN_LOADS ? L.WAIT_NOT_EQUAL : parker.wait(r.address, r.expected, deadline);
    }
  }
}

/** Runs `machine` without blocking the thread; `signal` is thrown into the machine at its park. */
export async function runAsync<R>(
  host: StepHost, machine: Steps<R>, deadline: Deadline, what: string, signal?: AbortSignal,
): Promise<R> {
  const { core, parker, words } = host;
  let input = 0;
  let next = machine.next(input);
  for (;;) {
    if (next.done) return next.value;
    const r = next.value;
    if (r.op === "call") input = doCall(core, r);
    else if (r.op === "load") input = Atomics.load(words, r.address >> 2);
    else {
      input = await parker.waitAsync(r.address, r.expected, deadline, signal);
      if (input === WAIT_ABORTED) {
        next = machine.throw(abortError(what, signal as AbortSignal));
        continue;
      }
    }
    next = machine.next(input);
  }
}

/** Runs `machine` without ever parking: each park resumes with WAIT_TIMED_OUT at once. */
export function runTry<R>(host: StepHost, machine: Steps<R>): R {
  const { core, words } = host;
  let input = 0;
  for (;;) {
    const next = machine.next(input);
    if (next.done) return next.value;
    const r = next.value;
    if (r.op === "call") input = doCall(core, r);
    else if (r.op === "load") input = Atomics.load(words, r.address >> 2);
    else input = L.WAIT_TIMED_OUT;
  }
}
