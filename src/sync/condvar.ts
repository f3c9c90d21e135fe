// condvar.ts — CondVar: a condition variable in shared memory, used with a Mutex of the same
// region (facade over assembly/condvar.ts).
//
// `wait(mutex)` must be called holding `mutex`: it releases it, parks until signalled, and
// relocks it before returning or throwing (TimeoutError, AbortError): the caller's guard stays
// valid in every outcome. Wake-ups may be spurious, so wait in a loop on your predicate, or
// use `waitUntil(mutex, predicate)`, which does. `signal` and `broadcast` may be called with
// or without the mutex held; make the state change under the mutex first.
import * as L from "../../assembly/layout";
import { Deadline } from "../wait/deadline";
import { InvalidArgumentError, NotOwnerError, throwStatus } from "../errors";
import { attach, expectSameRegion, makeHandle, type PrimitiveHandle } from "../region/handle";
import type { Mutex } from "./mutex";
import type { Region } from "../region/region";
import {
  checkBlocking, deadlineFrom, parkAsync, throwIfAborted, timeoutError, timeoutMs, type WaitOptions,
} from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link CondVar}: pass it to another thread and call
 * `CondVar.from` there.
 */
export type CondVarHandle = PrimitiveHandle<"condvar">;

function notOwner(what: string): NotOwnerError {
  return new NotOwnerError(`${what}: the calling thread must hold the mutex it passes (lock it first)`);
}

/** Relocks `mutex` as `agent` after a wait, with no timeout or signal: the caller must get it back. */
async function relock(mutex: Mutex, agent: number): Promise<void> {
  await mutex.lockAsAsync(agent, Deadline.forever, "CondVar.waitAsync");
}

/**
 * A condition variable in shared memory, used with a {@link Mutex} of the same region:
 * `wait(mutex)` releases the mutex, waits for a signal and relocks it. Wake-ups may be spurious:
 * wait in a loop on your predicate, or use `waitUntil`.
 */
export class CondVar {
  /** The structured-cloneable handle: post it to a worker and call `CondVar.from` there. */
  readonly handle: CondVarHandle;
  /**
   * @param region The region the condition variable lives in. @param offset Byte offset of its
   * block in the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("condvar", region, offset);
  }

  /** Allocates a condition variable in `region`. */
  static create(region: Region): CondVar {
    const offset = region.allocate(L.KIND_CONDVAR, L.CV_SIZE, "CondVar.create");
    region.core.cv_init(offset);
    return new CondVar(region, offset);
  }

  /** Attaches to a condition variable from its handle (from another thread, or this one). */
  static from(handle: CondVarHandle): CondVar {
    const { region, offset } = attach(handle, "condvar", L.KIND_CONDVAR);
    return new CondVar(region, offset);
  }

  private check(mutex: Mutex, what: string): void {
    if (!mutex || typeof mutex !== "object" || !("offset" in mutex)) {
      throw new InvalidArgumentError(`${what}: expects the Mutex the caller holds, got ${String(mutex)}`);
    }
    expectSameRegion(this.region, mutex.region, `${what}: the CondVar and its Mutex`);
  }

  /**
   * Releases `mutex`, blocks until signalled (or spuriously woken), relocks it. Throws
   * TimeoutError after the timeout, NotOwnerError if the thread does not hold `mutex`.
   */
  wait(mutex: Mutex, options?: WaitOptions): void {
    const what = "CondVar.wait";
    this.check(mutex, what);
    checkBlocking(what, options);
    const ms = timeoutMs(options);
    const status = this.region.core.cv_wait(this.offset, mutex.offset, this.region.agent, ms);
    if (status === L.OK) return;
    if (status === L.TIMED_OUT) throw timeoutError(what, ms);
    if (status === L.NOT_OWNER) throw notOwner(what);
    throwStatus(status, what);
  }

  /** `wait` without blocking the thread: parks with Atomics.waitAsync, relocks with lockAsync. */
  async waitAsync(mutex: Mutex, options?: WaitOptions): Promise<void> {
    const what = "CondVar.waitAsync";
    this.check(mutex, what);
    throwIfAborted(what, options?.signal);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const { core, words } = this.region;
    const agent = mutex.heldAgent() || this.region.agent; // this thread's, or one of its lockAsync's
    const index = (this.offset + L.CV_SEQ) >> 2;
    const seen = Atomics.load(words, index); // read under the mutex, before begin unlocks it
    const status = core.cv_wait_begin(this.offset, mutex.offset, agent);
    if (status === L.NOT_OWNER) throw notOwner(what);
    if (status !== L.OK) throwStatus(status, what);
    let failure: unknown;
    let woke: "woken" | "timed-out" = "woken";
    try {
      woke = await parkAsync(words, index, seen, deadline, what, options?.signal);
    } catch (error) {
      failure = error;
    }
    core.cv_wait_end(this.offset);
    await relock(mutex, agent); // in every outcome: the caller's guard stays valid
    if (failure !== undefined) throw failure;
    if (woke === "timed-out") throw timeoutError(what, ms);
  }

  /**
   * Waits until `predicate()` (called with `mutex` held) returns true; returns at once if it
   * already does. The timeout bounds the whole wait. `mutex` is held on return and on throw.
   */
  waitUntil(mutex: Mutex, predicate: () => boolean, options?: WaitOptions): void {
    const what = "CondVar.waitUntil";
    this.check(mutex, what);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    while (!predicate()) {
      const left = deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
      try {
        this.wait(mutex, { timeout: left, signal: options?.signal });
      } catch (error) {
        if (error instanceof Error && error.name === "TimeoutError") {
          if (predicate()) return;
          throw timeoutError(what, ms);
        }
        throw error;
      }
    }
  }

  /** `waitUntil` without blocking the thread. */
  async waitUntilAsync(mutex: Mutex, predicate: () => boolean, options?: WaitOptions): Promise<void> {
    const what = "CondVar.waitUntilAsync";
    this.check(mutex, what);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    while (!predicate()) {
      const left = deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
      try {
        await this.waitAsync(mutex, { timeout: left, signal: options?.signal });
      } catch (error) {
        if (error instanceof Error && error.name === "TimeoutError") {
          if (predicate()) return;
          throw timeoutError(what, ms);
        }
        throw error;
      }
    }
  }

  /** Wakes one waiting thread (no syscall when nobody waits). */
  signal(): void {
    this.region.core.cv_signal(this.offset);
  }

  /** Wakes every waiting thread (no syscall when nobody waits). */
  broadcast(): void {
    this.region.core.cv_broadcast(this.offset);
  }

  /** Threads registered as waiting (a racy snapshot). */
  get waiters(): number {
    return this.region.core.cv_waiters(this.offset);
  }

  /** Returns the condition variable's memory to the region. Nobody may wait on it. */
  free(): void {
    this.region.release(L.KIND_CONDVAR, this.offset, "CondVar.free");
  }
}
