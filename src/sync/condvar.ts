// condvar.ts — CondVar: a condition variable in shared memory, used with a Mutex of the same
// region (facade over assembly/condvar.ts).
//
// `wait(mutex)` must be called holding `mutex`: it releases it, parks until signalled, and
// relocks it before returning or throwing (TimeoutError, AbortError): the caller's guard stays
// valid in every outcome. Wake-ups may be spurious, so wait in a loop on your predicate, or
// use `waitUntil(mutex, predicate)`, which does. `signal` and `broadcast` may be called with
// or without the mutex held; make the state change under the mutex first.
//
// A wait is two step machines: `parkSteps` (read CV_SEQ under the mutex, cv_wait_begin, park
// on CV_SEQ, cv_wait_end), run under the caller's deadline and signal, then the mutex's own
// `lockSteps` with no deadline (the caller must get its mutex back), both run blocking by
// `wait` and without blocking the thread by `waitAsync`, through the region's Parker.
import * as L from "../../assembly/layout";
import { Deadline } from "../wait/deadline";
import { InvalidArgumentError, NotOwnerError } from "../errors";
import { attach, createIn, expectSameRegion, makeHandle, type PrimitiveHandle } from "../region/handle";
import { lockSteps, type Mutex } from "./mutex";
import { expectRegion, type Region } from "../region/region";
import { call, load, park, runAsync, runBlocking, type Steps } from "../wait/steps";
import { settle } from "../wait/step-loop";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link CondVar}: pass it to another thread and call
 * `CondVar.from` there.
 */
export type CondVarHandle = PrimitiveHandle<"condvar">;

function notOwner(what: string): NotOwnerError {
  return new NotOwnerError(`${what}: the calling thread must hold the mutex it passes (lock it first)`);
}

/**
 * The first half of a wait by `agent`, which holds mutex `m`: releases it and parks until
 * signalled. OK (signalled, or a spurious wake-up), TIMED_OUT, or NOT_OWNER (nothing changed).
 * Unless NOT_OWNER, the caller then relocks `m` as `agent` (lockSteps) whatever the outcome,
 * an error thrown at the park (abort) included.
 */
export function* parkSteps(cv: number, m: number, agent: number): Steps<number> {
  const seen: number = yield load(cv + L.CV_SEQ); // under the mutex, before begin unlocks it
  const begun: number = yield call("cv_wait_begin", cv, m, agent);
  if (begun !== L.OK) return begun;
  try {
    return (yield park(cv + L.CV_SEQ, seen)) === L.WAIT_TIMED_OUT ? L.TIMED_OUT : L.OK;
  } finally {
    yield call("cv_wait_end", cv);
  }
}

/** Relocks mutex `m` as `agent` after a wait, blocking, with no deadline. */
function relock(region: Region, m: number, agent: number): void {
  // OWNER_DEAD relocks too: the mark stays on the mutex for its next locker (assembly/mutex.ts)
  const s = region.core.mutex_try_lock(m, agent);
  if (s !== L.OK && s !== L.OWNER_DEAD) runBlocking(region, lockSteps(m, agent), Deadline.forever);
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
    expectRegion(region, "CondVar.create");
    return new CondVar(region, createIn(region, L.KIND_CONDVAR, L.CV_SIZE, "CondVar.create", (core, at) => core.cv_init(at)));
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
    const deadline = Deadline.of(options, what);
    settle(this.#wait(mutex, deadline, what), deadline, what);
  }

  /** One blocking wait: the park, then the relock in every outcome. OK or TIMED_OUT. */
  #wait(mutex: Mutex, deadline: Deadline, what: string): number {
    const agent = this.region.agent;
    const status = runBlocking(this.region, parkSteps(this.offset, mutex.offset, agent), deadline);
    if (status === L.NOT_OWNER) throw notOwner(what);
    relock(this.region, mutex.offset, agent);
    return status;
  }

  /** `wait` without blocking the thread: parks and relocks through the region's Parker. */
  async waitAsync(mutex: Mutex, options?: WaitOptions): Promise<void> {
    const what = "CondVar.waitAsync";
    this.check(mutex, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    settle(await this.#waitAsync(mutex, deadline, what, options?.signal), deadline, what);
  }

  /** One async wait: the park, then the relock in every outcome (an abort included). */
  async #waitAsync(mutex: Mutex, deadline: Deadline, what: string, signal: AbortSignal | undefined): Promise<number> {
    const agent = mutex.heldAgent() || this.region.agent; // this thread's, or one of its lockAsync's
    let status: number;
    try {
      status = await runAsync(this.region, parkSteps(this.offset, mutex.offset, agent), deadline, what, signal);
    } catch (error) {
      await mutex.lockAsAsync(agent, Deadline.forever, what);
      throw error;
    }
    if (status === L.NOT_OWNER) throw notOwner(what);
    await mutex.lockAsAsync(agent, Deadline.forever, what);
    return status;
  }

  /**
   * Waits until `predicate()` (called with `mutex` held) returns true; returns at once if it
   * already does. The timeout bounds the whole wait. `mutex` is held on return and on throw.
   */
  waitUntil(mutex: Mutex, predicate: () => boolean, options?: WaitOptions): void {
    const what = "CondVar.waitUntil";
    this.check(mutex, what);
    const deadline = Deadline.of(options, what);
    while (!predicate()) {
      checkBlocking(what, options);
      if (this.#wait(mutex, deadline, what) === L.TIMED_OUT) {
        if (predicate()) return;
        throw deadline.error(what);
      }
    }
  }

  /** `waitUntil` without blocking the thread. */
  async waitUntilAsync(mutex: Mutex, predicate: () => boolean, options?: WaitOptions): Promise<void> {
    const what = "CondVar.waitUntilAsync";
    this.check(mutex, what);
    const deadline = Deadline.of(options, what);
    while (!predicate()) {
      throwIfAborted(what, options?.signal);
      if ((await this.#waitAsync(mutex, deadline, what, options?.signal)) === L.TIMED_OUT) {
        if (predicate()) return;
        throw deadline.error(what);
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
