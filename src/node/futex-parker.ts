// node/futex-parker.ts — FutexParker: the Parker of file-backed regions, whose memory is shared
// between processes (Parker contract: src/wait/parker.ts).
//
// Atomics.wait / notify and wasm's memory.atomic.wait / notify never cross a process (V8 keeps
// its waiters per process), so this parker parks on the futex of the word itself through the
// native addon, without FUTEX_PRIVATE_FLAG: the kernel keys a shared futex by (file, offset),
// so a wake from any process (or thread) mapping the same file reaches every waiter.
//
//   wait        spins SPIN_LOADS loads of the word (a wake that comes within microseconds
//               costs no system call), then futexWait with the time left. While peer processes
//               are watched (liveness.ts) it parks at most LIVENESS_INTERVAL_MS at a time and
//               checks them in between, returning WAIT_WOKEN (a spurious return: the caller
//               re-checks and parks again), so a thread blocked here learns of a dead peer.
//   waitAsync   spins the same, then parks on one of the addon's waiter threads (never libuv's
//               threadpool) and resolves on the JS thread; its AbortSignal cancels the native
//               wait (WAIT_ABORTED). A wake-up that reaches an abandoned wait is passed on.
//   wake        futexWake: wakes up to `count` waiters in every process.
//
// Every agent of a region must park through this parker: a wake sent here does not reach an
// Atomics.wait, nor the reverse. Region.from gives a "futex" handle this parker on any thread
// that has loaded 'sabre/node' (registered below); the step drivers (src/wait/steps.ts) and
// select park through the region's parker, so the runtime's waits on the memory come here too.
import * as L from "../../assembly/layout";
import type { WasmMemory } from "../globals";
import { Region } from "../region/region";
import type { Deadline } from "../wait/deadline";
import { WAIT_ABORTED, type Parker } from "../wait/parker";
import { LIVENESS_INTERVAL_MS, checkPeersDue, watchingPeers } from "./liveness";
import { nativeAddon, type NativeAddon } from "./native";

/** Loads of the word before a futex system call (a few microseconds). */
const SPIN_LOADS = 2000;
const CANCELLED = 3; // the addon's code for a cancelled async wait

const pause: () => void =
  typeof (Atomics as unknown as { pause?: () => void }).pause === "function"
    ? (Atomics as unknown as { pause: () => void }).pause.bind(Atomics)
    : () => {};

/** Whether the word changed within the spin budget. */
function spin(words: Int32Array, index: number, expected: number): boolean {
  for (let i = 0; i < SPIN_LOADS; i++) {
    if (Atomics.load(words, index) !== expected) return true;
    pause();
  }
  return false;
}

export class FutexParker implements Parker {
  readonly kind = "futex";
  readonly #words: Int32Array;
  readonly #addon: NativeAddon;

  /** A futex parker over `memory`, a region's memory whose bytes are mapped from a file. */
  constructor(memory: WasmMemory) {
    this.#addon = nativeAddon("a file-backed region (futex parking)");
    this.#words = new Int32Array(memory.buffer);
  }

  wait(address: number, expected: number, deadline: Deadline): number {
    const words = this.#words;
    const index = address >> 2;
    if (spin(words, index, expected)) return L.WAIT_NOT_EQUAL;
    const left = deadline.left();
    if (left <= 0) return Atomics.load(words, index) === expected ? L.WAIT_TIMED_OUT : L.WAIT_NOT_EQUAL;
    if (!watchingPeers()) return this.#addon.futexWait(words, index, expected, left === Infinity ? -1 : left);
    const slice = Math.min(left, LIVENESS_INTERVAL_MS);
    const code = this.#addon.futexWait(words, index, expected, slice);
    if (code !== L.WAIT_TIMED_OUT) return code;
    // a dead peer is reported now (the caller's re-check sees it); also when the caller's own
    // deadline ended the wait (a lock waiter's slice), at most once per interval
    checkPeersDue();
    return slice >= left ? code : L.WAIT_WOKEN;
  }

  waitAsync(address: number, expected: number, deadline: Deadline, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.resolve(WAIT_ABORTED);
    const words = this.#words;
    const index = address >> 2;
    if (spin(words, index, expected)) return Promise.resolve(L.WAIT_NOT_EQUAL);
    const left = deadline.left();
    if (left <= 0) return Promise.resolve(Atomics.load(words, index) === expected ? L.WAIT_TIMED_OUT : L.WAIT_NOT_EQUAL);
    return new Promise((resolve) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        this.#addon.futexCancel(job);
        resolve(WAIT_ABORTED);
      };
      const job = this.#addon.futexWaitAsync(words, index, expected, left === Infinity ? -1 : left, (code) => {
        signal?.removeEventListener("abort", onAbort);
        if (settled) {
          // pass on a wake-up this abandoned wait took, so no other waiter loses it
          if (code === L.WAIT_WOKEN) this.wake(address, 1);
          return;
        }
        settled = true;
        resolve(code === CANCELLED ? WAIT_ABORTED : code);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  wake(address: number, count: number): number {
    return this.#addon.futexWake(this.#words, address >> 2, count);
  }
}

// Handles of file-backed regions name the "futex" parking kind; on any thread of this process
// (the window is mapped process-wide) they attach with a FutexParker.
Region.registerParking("futex", (memory) => new FutexParker(memory));
