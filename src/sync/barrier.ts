// barrier.ts — Barrier: a reusable barrier for `parties` threads in shared memory (facade over
// assembly/barrier.ts).
//
// Each `wait()` counts one arrival; when `parties` arrivals have come, all of them pass and
// the barrier starts its next generation. Exactly one caller per generation, the last to
// arrive, gets `{ leader: true }` (useful for a once-per-round step). A wait that times out
// or is aborted withdraws its arrival, so the barrier stays consistent for the others; if the
// generation completed meanwhile, the wait succeeds instead of throwing.
//
// One step machine (`waitSteps`: barrier_arrive, then the step loop of src/wait/step-loop.ts
// over barrier_wait_step / barrier_wait_cancel, parked on BARRIER_STATE) is run by `wait`
// (blocking) and `waitAsync` (without blocking the thread), through the region's Parker.
import * as L from "../../assembly/layout";
import { InvalidArgumentError, throwStatus } from "../errors";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { describeValue } from "../options";
import { Deadline } from "../wait/deadline";
import { stepLoop } from "../wait/step-loop";
import { call, runAsync, runBlocking, type Steps } from "../wait/steps";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

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

function result(status: number, what: string, deadline: Deadline): BarrierResult {
  if (status === L.OK) return FOLLOWER;
  if (status === L.BARRIER_LEADER) return LEADER;
  if (status === L.TIMED_OUT) throw deadline.error(what);
  throwStatus(status, what);
}

/** Arrives and waits for the generation: OK, BARRIER_LEADER, or TIMED_OUT (arrival withdrawn). */
export function* waitSteps(b: number): Steps<number> {
  const ticket: number = yield call("barrier_arrive", b);
  if (ticket & L.BARRIER_TICKET_LEADER) return L.BARRIER_LEADER;
  return yield* stepLoop({
    parkAt: b + L.BARRIER_STATE,
    step: (parked) => call("barrier_wait_step", b, ticket, parked),
    cancel: () => call("barrier_wait_cancel", b, ticket),
  });
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
    expectRegion(region, "Barrier.create");
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1 || parties > L.BARRIER_PARTIES_MAX) {
      throw new InvalidArgumentError(
        `Barrier.create: parties must be an integer from 1 to ${L.BARRIER_PARTIES_MAX}, got ${describeValue(parties)}`,
      );
    }
    return new Barrier(region, createIn(region, L.KIND_BARRIER, L.BARRIER_SIZE, "Barrier.create", (core, at) => core.barrier_init(at, parties)));
  }

  /** Attaches to a barrier from its handle (from another thread, or this one). */
  static from(handle: BarrierHandle): Barrier {
    const { region, offset } = attach(handle, "barrier", L.KIND_BARRIER);
    return new Barrier(region, offset);
  }

  /** Arrives and blocks this thread until all parties have arrived (or the timeout passes). */
  wait(options?: WaitOptions): BarrierResult {
    checkBlocking("Barrier.wait", options);
    const deadline = Deadline.of(options, "Barrier.wait");
    return result(runBlocking(this.region, waitSteps(this.offset), deadline), "Barrier.wait", deadline);
  }

  /** Arrives and waits without blocking the thread (parks through the region's Parker). */
  async waitAsync(options?: WaitOptions): Promise<BarrierResult> {
    const what = "Barrier.waitAsync";
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    return result(await runAsync(this.region, waitSteps(this.offset), deadline, what, options?.signal), what, deadline);
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
