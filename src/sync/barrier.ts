// barrier.ts — Barrier: a reusable barrier for `parties` threads in shared memory (facade over
// assembly/barrier.ts).
//
// Each `wait()` counts one arrival; when `parties` arrivals have come, all of them pass and
// the barrier starts its next generation. Exactly one caller per generation, the last to
// arrive, gets `{ leader: true }` (useful for a once-per-round step). A wait that times out
// or is aborted withdraws its arrival, so the barrier stays consistent for the others; if the
// generation completed meanwhile, the wait succeeds instead of throwing.
import * as L from "../../assembly/layout";
import { InvalidArgumentError, throwStatus } from "../errors";
import { attach, makeHandle, type PrimitiveHandle } from "../region/handle";
import type { Region } from "../region/region";
import { stepAndPark } from "../wait/step-wait";
import { checkBlocking, deadlineFrom, throwIfAborted, timeoutError, timeoutMs, type WaitOptions } from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link Barrier}: pass it to another thread and call
 * `Barrier.from` there.
 */
export type BarrierHandle = PrimitiveHandle<"barrier">;

/** What a barrier wait returns. */
export interface BarrierResult {
  /** True for exactly one party per generation: the last to arrive. */
  readonly leader: boolean;
}

const LEADER: BarrierResult = Object.freeze({ leader: true });
const FOLLOWER: BarrierResult = Object.freeze({ leader: false });

function result(status: number, what: string, ms: number): BarrierResult {
  if (status === L.OK) return FOLLOWER;
  if (status === L.BARRIER_LEADER) return LEADER;
  if (status === L.TIMED_OUT) throw timeoutError(what, ms);
  throwStatus(status, what);
}

/**
 * A reusable barrier for `parties` threads in shared memory: each `wait` blocks until `parties`
 * threads have arrived, then all pass and the next round begins; the last to arrive gets `{ leader:
 * true }`. A wait that times out or is aborted withdraws its arrival.
 */
export class Barrier {
  /** The structured-cloneable handle: post it to a worker and call `Barrier.from` there. */
  readonly handle: BarrierHandle;
  /** Arrivals per generation (fixed at creation). */
  readonly parties: number;
  /**
   * @param region The region the barrier lives in. @param offset Byte offset of the barrier's block
   * in the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("barrier", region, offset);
    this.parties = region.core.barrier_parties(offset);
  }

  /** Allocates a barrier for `parties` threads (an integer from 1 to 65535). */
  static create(region: Region, parties: number): Barrier {
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1 || parties > L.BARRIER_PARTIES_MAX) {
      throw new InvalidArgumentError(
        `Barrier.create: parties must be an integer from 1 to ${L.BARRIER_PARTIES_MAX}, got ${String(parties)}`,
      );
    }
    const offset = region.allocate(L.KIND_BARRIER, L.BARRIER_SIZE, "Barrier.create");
    const status = region.core.barrier_init(offset, parties);
    if (status !== L.OK) {
      region.release(L.KIND_BARRIER, offset, "Barrier.create");
      throwStatus(status, "Barrier.create");
    }
    return new Barrier(region, offset);
  }

  /** Attaches to a barrier from its handle (from another thread, or this one). */
  static from(handle: BarrierHandle): Barrier {
    const { region, offset } = attach(handle, "barrier", L.KIND_BARRIER);
    return new Barrier(region, offset);
  }

  /** Arrives and blocks this thread until all parties have arrived (or the timeout passes). */
  wait(options?: WaitOptions): BarrierResult {
    checkBlocking("Barrier.wait", options);
    const ms = timeoutMs(options);
    return result(this.region.core.barrier_wait(this.offset, ms), "Barrier.wait", ms);
  }

  /** Arrives and waits without blocking the thread (Atomics.waitAsync on the barrier word). */
  async waitAsync(options?: WaitOptions): Promise<BarrierResult> {
    const what = "Barrier.waitAsync";
    throwIfAborted(what, options?.signal);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const { core, words } = this.region;
    const ticket = core.barrier_arrive(this.offset);
    if (ticket & L.BARRIER_TICKET_LEADER) return LEADER;
    const status = await stepAndPark({
      words, index: (this.offset + L.BARRIER_STATE) >> 2, what, ms, deadline, signal: options?.signal,
      step: (parked) => core.barrier_wait_step(this.offset, ticket, parked),
      cancel: () => core.barrier_cancel(this.offset, ticket),
    });
    return result(status, what, ms);
  }

  /** Arrivals so far in the current generation (a racy snapshot). */
  get arrived(): number {
    return this.region.core.barrier_arrived(this.offset);
  }

  /** The current generation number, counting from 0 and wrapping at 65536 (a racy snapshot). */
  get generation(): number {
    return this.region.core.barrier_generation(this.offset);
  }

  /** Threads registered as waiting (parked or about to park; a racy snapshot). */
  get waiters(): number {
    return this.region.core.barrier_waiters(this.offset);
  }

  /** Returns the barrier's memory to the region. Nobody may wait on it. */
  free(): void {
    this.region.release(L.KIND_BARRIER, this.offset, "Barrier.free");
  }
}
