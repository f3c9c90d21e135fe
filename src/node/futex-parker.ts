// node/futex-parker.ts — FutexParker: the Parker of file-backed regions, whose memory is shared
// between processes (Parker contract: src/wait/parker.ts).
//
// Atomics.wait / notify and wasm's memory.atomic.wait / notify never cross a process (V8 keeps
// its waiters per process), so this parker parks on the futex of the word itself through the
// native addon, without FUTEX_PRIVATE_FLAG: the kernel keys a shared futex by (file, offset),
// so a wake from any process (or thread) mapping the same file reaches every waiter.
//
//   wait        futexWait with the time left. While peer processes are watched (liveness.ts) it
//               parks at most LIVENESS_INTERVAL_MS at a time and checks them in between,
//               returning WAIT_WOKEN (a spurious return: the caller re-checks and parks again),
//               so a thread blocked here learns of a dead peer.
//   waitAsync   parks on one of the addon's waiter threads (never libuv's threadpool) and
//               resolves on the JS thread; its AbortSignal cancels the native wait
//               (WAIT_ABORTED). A wake-up that reaches an abandoned wait is passed on.
//   wake        futexWake: wakes up to `count` waiters in every process.
//   spinner     the adaptive spin (src/wait/spin.ts) every wait on the region spins through
//               before it parks here: budget up to SPIN_MAX_MS, and the addon's sched_yield
//               between reads of the clock, so a yield that kept the CPU away ends the spin.
//   waitAny     parks on several words at once, in one or several file-backed regions (FUTEX_WAITV,
//               Linux >= 5.16; before that a poll of WAITV_FALLBACK_MS slices): a blocking select
//               over several regions parks here (src/channel/select.ts).
//
// Spin. Waking a parked process costs tens to hundreds of microseconds on a busy machine (the
// futex system call, then the scheduler). Two processes in a request/reply exchange whose every
// wait parks pay two wake-ups per exchange (measured here: ~150 us per round trip instead of
// ~6 us), so the spinner's budget for this parker reaches SPIN_MAX_MS, longer than between
// threads.
//
// Every agent of a region must park through this parker: a wake sent here does not reach an
// Atomics.wait, nor the reverse. Region.from gives a "futex" handle this parker on any thread
// that has loaded 'sabre/node' (registered below); the step drivers (src/wait/steps.ts) and
// select park through the region's parker, so the runtime's waits on the memory come here too.
import * as L from "../../assembly/layout";
import type { WasmMemory } from "../globals";
import { Region } from "../region/region";
import type { Deadline } from "../wait/deadline";
import { WAIT_ABORTED, type ParkTarget, type Parker } from "../wait/parker";
import { Spinner } from "../wait/spin";
import { LIVENESS_INTERVAL_MS, checkPeers, checkPeersDue, watchingPeers } from "./liveness";
import { nativeAddon, type NativeAddon } from "./native";

/** The longest spin (ms) the spinner of a futex parker learns (see the header). */
const SPIN_MAX_MS = 0.25;
const CANCELLED = 3; // the addon's code for a cancelled async wait
/** Most words one FUTEX_WAITV takes (the kernel's limit), and the park of waitAny's fallback. */
const WAITV_MAX = 128;
const WAITV_FALLBACK_MS = 10;
/** Set once FUTEX_WAITV answered ENOSYS (a kernel older than 5.16). */
let waitvMissing = false;

export class FutexParker implements Parker {
  readonly kind = "futex";
  readonly #words: Int32Array;
  readonly #addon: NativeAddon;
  /** The adaptive spin every wait on this parker's words spins through (see the header). */
  readonly spinner: Spinner;

  /** A futex parker over `memory`, a region's memory whose bytes are mapped from a file. */
  constructor(memory: WasmMemory) {
    this.#addon = nativeAddon("a file-backed region (futex parking)");
    this.#words = new Int32Array(memory.buffer);
    this.spinner = new Spinner({ maxMs: SPIN_MAX_MS, yieldCpu: this.#addon.yieldCpu });
  }

  wait(address: number, expected: number, deadline: Deadline): number {
    const words = this.#words;
    const index = address >> 2;
    const left = deadline.left();
    if (left <= 0) return Atomics.load(words, index) === expected ? L.WAIT_TIMED_OUT : L.WAIT_NOT_EQUAL;
    const slice = watchingPeers() ? Math.min(left, LIVENESS_INTERVAL_MS) : left;
    const code = this.#addon.futexWait(words, index, expected, slice === Infinity ? -1 : slice);
    if (code !== L.WAIT_TIMED_OUT || !watchingPeers()) return code;
    // a dead peer is reported now (the caller's re-check sees it); also when the caller's own
    // deadline ended the wait (a lock waiter's slice), at most once per interval
    checkPeersDue();
    return slice >= left ? code : L.WAIT_WOKEN;
  }

  /**
   * Parks on every word of `targets` at once (the futex of each, Linux's FUTEX_WAITV, >= 5.16):
   * returns when any is woken or does not hold its expected value, or at the deadline. The
   * words may live in several file-backed regions. Where FUTEX_WAITV is missing (ENOSYS) or
   * there are more than WAITV_MAX words, it parks on the first word for at most
   * WAITV_FALLBACK_MS and returns WAIT_WOKEN (the caller re-checks every word: a poll).
   */
  waitAny(targets: readonly ParkTarget[], deadline: Deadline): number {
    for (const t of targets) if (Atomics.load(t.words, t.address >> 2) !== t.expected) return L.WAIT_NOT_EQUAL;
    const left = deadline.left();
    if (left <= 0) return L.WAIT_TIMED_OUT;
    if (waitvMissing || targets.length > WAITV_MAX) {
      const [first] = targets;
      const capped = Math.min(left, WAITV_FALLBACK_MS);
      const code = this.#addon.futexWait(first.words, first.address >> 2, first.expected, capped);
      return code === L.WAIT_TIMED_OUT && capped < left ? L.WAIT_WOKEN : code;
    }
    const slice = watchingPeers() ? Math.min(left, LIVENESS_INTERVAL_MS) : left;
    let code: number;
    try {
      code = this.#addon.futexWaitv(targets.map((t) => t.words), targets.map((t) => t.address >> 2), targets.map((t) => t.expected), slice === Infinity ? -1 : slice);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOSYS") throw error;
      waitvMissing = true;
      return L.WAIT_WOKEN; // the caller re-checks, then parks again (by the fallback)
    }
    if (code !== L.WAIT_TIMED_OUT || slice >= left) return code;
    checkPeers();
    return L.WAIT_WOKEN;
  }

  waitAsync(address: number, expected: number, deadline: Deadline, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.resolve(WAIT_ABORTED);
    const words = this.#words;
    const index = address >> 2;
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
