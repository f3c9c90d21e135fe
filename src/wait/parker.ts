// parker.ts — Parker: how a region's agents park on a 32-bit word and wake each other.
//
// Every park in sabre goes through the Parker of the region the word lives in: the core's own
// (bound at instantiation as the imports env.park / env.wake, see assembly/atom.ts) and the
// runtime's (the step drivers of steps.ts, select). A Parker is chosen per region, never per
// primitive, so every primitive's code is the same whatever its region is shared with.
//
//   wait(address, expected, deadline)          blocks while the word at `address` (a byte
//                                              offset, 4-aligned) holds `expected`
//   waitAsync(address, expected, deadline, signal)   the same without blocking the thread
//   wake(address, count)                       wakes up to `count` agents parked on it
//
// Results are the core's WAIT_* codes (assembly/layout.ts): WAIT_WOKEN (woken, or a spurious
// return: re-check), WAIT_NOT_EQUAL (the word did not hold `expected`), WAIT_TIMED_OUT; an
// async wait whose signal fires resolves WAIT_ABORTED. A Parker never decides anything about
// a protocol: callers re-check their condition after every return.
//
// Implementations:
//   - AtomicsParker: Atomics.wait / Atomics.waitAsync / Atomics.notify, for memory shared
//     between threads (worker threads, Web Workers). Where Atomics.waitAsync is missing, async
//     waits poll with backoff (0.05 ms doubling to 20 ms).
//   - PollingParker: re-reads the word with backoff and sleeps in between; `wake` does nothing.
//     It needs no kernel support for the memory, so it serves memory shared by any means (and
//     tests that every protocol survives a parker with no wake-ups, only re-checks).
//   - (sabre/node) the futex parker, for file-backed regions shared between processes.
import * as L from "../../assembly/layout";
import type { WasmMemory } from "../globals";
import { Deadline } from "./deadline";
import { Spinner } from "./spin";

/** An async wait ended by its AbortSignal (not a core code: the core never sees it). */
export const WAIT_ABORTED = 3;

/** How a thread-shared region parks: Atomics wait/notify, or re-reading with backoff. */
export type ParkingKind = "atomics" | "polling";

/**
 * How agents park on a 32-bit word of a region and wake each other (see the header of
 * src/wait/parker.ts). Addresses are byte offsets in the region's memory, 4-aligned; results
 * are the core's wait codes: 0 woken, 1 not equal, 2 timed out, 3 aborted (async only).
 */
export interface Parker {
  /** "atomics", "polling", or "futex" (file-backed regions, sabre/node). */
  readonly kind: string;
  /** Blocks while the word at `address` holds `expected`, until woken or `deadline`. */
  wait(address: number, expected: number, deadline: Deadline): number;
  /** The same without blocking the thread; `signal` ends it with 3 (aborted). */
  waitAsync(address: number, expected: number, deadline: Deadline, signal?: AbortSignal): Promise<number>;
  /** Wakes up to `count` agents parked on `address`; returns how many it woke. */
  wake(address: number, count: number): number;
  /**
   * Optional: blocks while every word of `targets` (words of this parker's memory or of other
   * memories whose parker is of the same kind) holds its `expected` value, until any of them
   * is woken or changes, or `deadline`. Same codes as wait. A blocking select over several
   * regions parks on all their event words at once with it.
   */
  waitAny?(targets: readonly ParkTarget[], deadline: Deadline): number;
  /**
   * Optional: the parker's adaptive spin (src/wait/spin.ts). Waits on this parker's words spin
   * through it before they park (the step drivers, the core's park import), and the core's
   * timed spins ask its spinOn (the core's `env.spin` import). Without it they spin a fixed
   * SPIN_FIRST_MS.
   */
  readonly spinner?: Spinner;
}

/** A word a {@link Parker.waitAny} waits on. */
export interface ParkTarget {
  /** The 32-bit words of the word's memory. */
  readonly words: Int32Array;
  /** Byte address of the word in it (4-aligned). */
  readonly address: number;
  /** The value the word is expected to hold. */
  readonly expected: number;
}

/** The spinner of `parker`: its own, or a fixed one (never learning) for a parker without. */
export function spinnerOf(parker: Parker): Spinner {
  return parker.spinner ?? fixedSpinner;
}
const fixedSpinner = new Spinner({ fixed: true });

/**
 * Parks through `parker` after a spin of its spinner on the word, or at once when `spun` (the
 * core call just before re-checked for a while: its spin, if it made one, did not pay).
 */
export function spinThenWait(parker: Parker, words: Int32Array, address: number, expected: number, deadline: Deadline, spun = false): number {
  const spinner = spinnerOf(parker);
  if (spun) spinner.parkedAfterCore();
  else if (spinner.spin(words, address >> 2, expected, false)) return L.WAIT_NOT_EQUAL;
  return parker.wait(address, expected, deadline);
}

/** spinThenWait without blocking the thread (a spin capped for async waits, then waitAsync). */
export function spinThenWaitAsync(
  parker: Parker, words: Int32Array, address: number, expected: number, deadline: Deadline, signal: AbortSignal | undefined, spun = false,
): Promise<number> {
  const spinner = spinnerOf(parker);
  if (spun) spinner.parkedAfterCore();
  else if (spinner.spin(words, address >> 2, expected, true)) return Promise.resolve(L.WAIT_NOT_EQUAL);
  return parker.waitAsync(address, expected, deadline, signal);
}

/** The core's imports for parking (assembly/atom.ts), bound to `parker` over `memory`: the
 *  core's timed spins ask the parker's spinner; its parks spin through it, then park. */
export function coreParkImports(parker: Parker, memory: WasmMemory): {
  park(ptr: number, expected: number, timeoutMs: number): number;
  wake(ptr: number, count: number): number;
  spin(): number;
} {
  const spinner = spinnerOf(parker);
  const words = new Int32Array(memory.buffer);
  return {
    spin: () => (spinner.spinOn() ? 1 : 0),
    park: (ptr, expected, timeoutMs) =>
      spinThenWait(parker, words, ptr >>> 0, expected, timeoutMs < 0 ? Deadline.forever : Deadline.after(timeoutMs)),
    // wasm's notify count is unsigned: the core's "all" (-1) is 2^32 - 1, never "none"
    wake: (ptr, count) => parker.wake(ptr >>> 0, count >>> 0),
  };
}

type WaitAsyncResult = { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
const atomicsWaitAsync: ((a: Int32Array, i: number, v: number, t?: number) => WaitAsyncResult) | undefined =
  (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t?: number) => WaitAsyncResult }).waitAsync;

/** Whether async waits park natively (Atomics.waitAsync) rather than by polling. */
export const nativeWaitAsync = typeof atomicsWaitAsync === "function";

const CODE = { ok: L.WAIT_WOKEN, "not-equal": L.WAIT_NOT_EQUAL, "timed-out": L.WAIT_TIMED_OUT } as const;

/** A private word to sleep on (Atomics.wait with nothing to wake it: a sleep that blocks). */
let sleepWord: Int32Array | undefined;
function sleepBlocking(ms: number): void {
  sleepWord ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleepWord, 0, 0, ms);
}

/**
 * One timer per thread keeps its event loop alive while native async waits are pending (Node's
 * Atomics.waitAsync does not): referenced while any is pending, unreferenced otherwise (a
 * flag, not a timer per wait). Where timers cannot be unreferenced (browsers: their event loops
 * never exit for lack of work), nothing is held.
 */
let aliveTimer: { ref(): unknown; unref(): unknown } | undefined;
let alivePending = 0;
function holdAlive(): void {
  if (alivePending++ > 0) return;
  if (!aliveTimer) {
    const t = setInterval(() => {}, 0x3fffffff) as unknown as { ref?(): unknown; unref?(): unknown };
    if (typeof t.unref !== "function" || typeof t.ref !== "function") {
      clearInterval(t as unknown as ReturnType<typeof setInterval>);
      aliveTimer = { ref() {}, unref() {} };
    } else aliveTimer = t as { ref(): unknown; unref(): unknown };
  }
  aliveTimer.ref();
}
function releaseAlive(): void {
  if (--alivePending === 0) aliveTimer?.unref();
}
/** A native async wait settled: its code, the keep-alive released. */
function settledCode(v: "ok" | "timed-out"): number {
  releaseAlive();
  return CODE[v];
}

const POLL_FIRST_MS = 0.05;
const POLL_MAX_MS = 20;

/** Re-reads `words[index]` until it differs from `expected`, the deadline, or the signal. */
async function pollAsync(words: Int32Array, index: number, expected: number, deadline: Deadline, signal?: AbortSignal): Promise<number> {
  let delay = POLL_FIRST_MS;
  while (Atomics.load(words, index) === expected) {
    if (signal?.aborted) return WAIT_ABORTED;
    const left = deadline.left();
    if (left <= 0) return L.WAIT_TIMED_OUT;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
  return signal?.aborted ? WAIT_ABORTED : L.WAIT_WOKEN;
}

/** The longest native async wait that an AbortSignal can end (see AtomicsParker.waitAsync). */
const ABORTABLE_SLICE_MS = 1000;

/** What the thread parkers share: the words of the region's memory they wait on. */
abstract class MemoryParker {
  protected readonly words: Int32Array;
  /** This parker's adaptive spin (src/wait/spin.ts). */
  readonly spinner = new Spinner();
  constructor(memory: WebAssembly.Memory) {
    this.words = new Int32Array(memory.buffer);
  }
}

export class AtomicsParker extends MemoryParker implements Parker {
  readonly kind = "atomics";

  wait(address: number, expected: number, deadline: Deadline): number {
    return CODE[Atomics.wait(this.words, address >> 2, expected, deadline.left())];
  }

  waitAsync(address: number, expected: number, deadline: Deadline, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.resolve(WAIT_ABORTED);
    const index = address >> 2;
    const left = deadline.left();
    if (left <= 0) return Promise.resolve(Atomics.load(this.words, index) === expected ? L.WAIT_TIMED_OUT : L.WAIT_NOT_EQUAL);
    if (!atomicsWaitAsync) return pollAsync(this.words, index, expected, deadline, signal);
    // An abortable wait parks in slices of at most ABORTABLE_SLICE_MS, re-armed while the word
    // holds `expected`: an aborted native wait stays pending until its own timeout and keeps the
    // memory alive till then (a page refuses new memories after about a hundred).
    const r = atomicsWaitAsync(this.words, index, expected, signal ? Math.min(left, ABORTABLE_SLICE_MS) : left);
    if (!r.async) return Promise.resolve(CODE[r.value]);
    // Node: a pending Atomics.waitAsync does not keep the event loop alive (a worker awaiting
    // only it would exit); the thread's keep-alive timer is held until the wait settles or is
    // aborted.
    holdAlive();
    if (!signal) return r.value.then(settledCode);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (code: number) => {
        settled = true;
        signal.removeEventListener("abort", onAbort);
        releaseAlive();
        resolve(code);
      };
      const onAbort = () => {
        if (!settled) finish(WAIT_ABORTED);
      };
      const onSettled = (v: "ok" | "timed-out") => {
        if (settled) {
          // pass on a wake-up this abandoned wait took, so no other waiter loses it
          if (v === "ok") Atomics.notify(this.words, index, 1);
          return;
        }
        const rest = deadline.left();
        if (v === "ok" || rest <= 0) return finish(CODE[v]);
        const next = atomicsWaitAsync(this.words, index, expected, Math.min(rest, ABORTABLE_SLICE_MS));
        if (!next.async) return finish(CODE[next.value]);
        void next.value.then(onSettled);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      void r.value.then(onSettled);
    });
  }

  wake(address: number, count: number): number {
    return Atomics.notify(this.words, address >> 2, count);
  }
}

export class PollingParker extends MemoryParker implements Parker {
  readonly kind = "polling";

  wait(address: number, expected: number, deadline: Deadline): number {
    const index = address >> 2;
    if (Atomics.load(this.words, index) !== expected) return L.WAIT_NOT_EQUAL;
    let delay = POLL_FIRST_MS;
    while (Atomics.load(this.words, index) === expected) {
      const left = deadline.left();
      if (left <= 0) return L.WAIT_TIMED_OUT;
      sleepBlocking(Math.min(delay, left));
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
    return L.WAIT_WOKEN;
  }

  waitAsync(address: number, expected: number, deadline: Deadline, signal?: AbortSignal): Promise<number> {
    if (Atomics.load(this.words, address >> 2) !== expected) return Promise.resolve(L.WAIT_NOT_EQUAL);
    return pollAsync(this.words, address >> 2, expected, deadline, signal);
  }

  wake(): number {
    return 0; // pollers see the change on their next read
  }
}

/** The parker of a thread-shared region of the given kind. */
export function parkerFor(kind: ParkingKind, memory: WebAssembly.Memory): Parker {
  return kind === "polling" ? new PollingParker(memory) : new AtomicsParker(memory);
}
