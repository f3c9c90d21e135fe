// semaphore.ts — Semaphore: a counting semaphore in shared memory (facade over
// assembly/semaphore.ts).
//
// `acquire(n)` takes n permits at once (all or none). One step machine (`acquireSteps`: the
// step loop of src/wait/step-loop.ts over sem_acquire_step / sem_acquire_cancel, parked on
// SEM_COUNT only while it is below n) is run by `acquire` (blocking, after a one-call try)
// and `acquireAsync` (without blocking the thread), through the region's Parker;
// `tryAcquire` is one call and never throws for "no permits". `release(n)` past the maximum throws
// SemaphoreOverflowError and changes nothing. Permits have no owner: any thread may release.
// Not FIFO: a waiter may be overtaken by a thread that arrives while permits are available.
import * as L from "../../assembly/layout";
import { InvalidArgumentError, throwStatus } from "../errors";
import { OnceGuard } from "./guard";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { checkOptionKeys, describeValue } from "../options";
import { Deadline } from "../wait/deadline";
import { settle, stepLoop, type StepLoop } from "../wait/step-loop";
import { call, runAsync, runBlocking, type Steps } from "../wait/steps";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/**
 * The waiting acquire of `n` permits in the step convention. It parks only on a count below
 * n: a count >= n read before the step means the count moved, and it could come back to that
 * value with permits available (ABA; see "Waiting protocol" in assembly/semaphore.ts).
 */
export function acquireLoop(s: number, n: number): StepLoop {
  return {
    parkAt: s + L.SEM_COUNT,
    step: (parked) => call("sem_acquire_step", s, n, parked),
    cancel: () => call("sem_acquire_cancel", s, n),
    mayPark: (seen) => seen < n,
  };
}

/** Takes `n` permits: OK, TIMED_OUT or BAD_ARGUMENT. */
export function acquireSteps(s: number, n: number): Steps<number> {
  return stepLoop(acquireLoop(s, n));
}

/**
 * The structured-cloneable handle of a {@link Semaphore}: pass it to another thread and call
 * `Semaphore.from` there.
 */
export type SemaphoreHandle = PrimitiveHandle<"semaphore">;

const SEMAPHORE_OPTION_KEYS: readonly string[] = ["initial", "max"];

/** Options of {@link Semaphore.create}. */
export interface SemaphoreOptions {
  /** Permits available at creation (default: `max`). */
  initial?: number;
  /** Most permits the semaphore may hold (default 1: a binary semaphore); at most 2^31 - 1. */
  max?: number;
}

/** `n` permits held; released once, when disposed (`using permit = sem.hold()`) or released. */
export class Permit extends OnceGuard {
  /** @param permits How many permits this guard holds. */
  constructor(private readonly semaphore: Semaphore, readonly permits: number) {
    super();
  }
  /** Returns the permits to the semaphore; a second release through this guard does nothing. */
  release(): void {
    this.releaseOnce();
  }
  protected releaseNow(): void {
    this.semaphore.release(this.permits);
  }
}

const MAX_I32 = 0x7fffffff;

function isCount(n: unknown, min: number): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= min && n <= MAX_I32;
}

/** Lets `acquire({ timeout })` mean `acquire(1, { timeout })`. */
function args(n: number | WaitOptions | undefined, options: WaitOptions | undefined): [unknown, WaitOptions | undefined] {
  if (n === undefined) return [1, options];
  if (typeof n === "object" && n !== null) return [1, n];
  return [n, options];
}

/**
 * A counting semaphore in shared memory: `acquire(n)` takes n permits (all or none), `release(n)`
 * returns them; permits have no owner, so any thread may release. Not FIFO. Blocking, async and try
 * forms; `hold` returns a Permit for `using`.
 */
export class Semaphore {
  /** The structured-cloneable handle: post it to a worker and call `Semaphore.from` there. */
  readonly handle: SemaphoreHandle;
  /** The maximum number of permits (fixed at creation). */
  readonly max: number;
  /**
   * @param region The region the semaphore lives in. @param offset Byte offset of the semaphore's
   * block in the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("semaphore", region, offset);
    this.max = region.core.sem_max(offset);
  }

  /** Allocates a semaphore with `initial` permits (default `max`) of at most `max` (default 1). */
  static create(region: Region, options: SemaphoreOptions = {}): Semaphore {
    expectRegion(region, "Semaphore.create");
    checkOptionKeys("Semaphore.create", options, SEMAPHORE_OPTION_KEYS);
    const max = options.max ?? Math.max(1, options.initial ?? 1);
    const initial = options.initial ?? max;
    if (!isCount(max, 1)) {
      throw new InvalidArgumentError(`Semaphore.create: max must be an integer from 1 to ${MAX_I32}, got ${describeValue(max)}`);
    }
    if (!isCount(initial, 0) || initial > max) {
      throw new InvalidArgumentError(
        `Semaphore.create: initial must be an integer from 0 to max (${max}), got ${describeValue(initial)}`,
      );
    }
    return new Semaphore(region, createIn(region, L.KIND_SEMAPHORE, L.SEM_SIZE, "Semaphore.create", (core, at) => core.sem_init(at, initial, max)));
  }

  /** Attaches to a semaphore from its handle (from another thread, or this one). */
  static from(handle: SemaphoreHandle): Semaphore {
    const { region, offset } = attach(handle, "semaphore", L.KIND_SEMAPHORE);
    return new Semaphore(region, offset);
  }

  private permits(n: unknown, what: string): number {
    if (!isCount(n, 1) || n > this.max) {
      throw new InvalidArgumentError(
        `${what}: the number of permits must be an integer from 1 to the maximum (${this.max}), got ${describeValue(n)}`,
      );
    }
    return n;
  }

  /** Takes `n` permits (default 1), blocking this thread until available or the timeout passes. */
  acquire(n?: number | WaitOptions, options?: WaitOptions): void {
    const [count, opts] = args(n, options);
    checkBlocking("Semaphore.acquire", opts);
    this.acquireBlocking(this.permits(count, "Semaphore.acquire"), opts);
  }

  private acquireBlocking(n: number, options: WaitOptions | undefined): void {
    const deadline = Deadline.of(options, "Semaphore.acquire");
    let status = this.region.core.sem_try_acquire(this.offset, n);
    if (status === L.WOULD_BLOCK) status = runBlocking(this.region, acquireSteps(this.offset, n), deadline);
    settle(status, deadline, "Semaphore.acquire");
  }

  /** Takes `n` permits if available now; false (nothing taken) otherwise. */
  tryAcquire(n = 1): boolean {
    this.permits(n, "Semaphore.tryAcquire");
    const status = this.region.core.sem_try_acquire(this.offset, n);
    if (status === L.OK) return true;
    if (status === L.WOULD_BLOCK) return false;
    throwStatus(status, "Semaphore.tryAcquire");
  }

  /** Takes `n` permits without blocking the thread (parks through the region's Parker). */
  async acquireAsync(count?: number | WaitOptions, opts?: WaitOptions): Promise<void> {
    const what = "Semaphore.acquireAsync";
    const [wanted, options] = args(count, opts);
    throwIfAborted(what, options?.signal);
    const n = this.permits(wanted, what);
    const deadline = Deadline.of(options, what);
    let status = this.region.core.sem_try_acquire(this.offset, n);
    if (status === L.WOULD_BLOCK) status = await runAsync(this.region, acquireSteps(this.offset, n), deadline, what, options?.signal);
    settle(status, deadline, what);
  }

  /** `acquire(n)` as a guard: `using permit = sem.hold()` releases the permits at scope exit. */
  hold(n?: number | WaitOptions, options?: WaitOptions): Permit {
    const [count, opts] = args(n, options);
    checkBlocking("Semaphore.hold", opts);
    const permits = this.permits(count, "Semaphore.hold");
    this.acquireBlocking(permits, opts);
    return new Permit(this, permits);
  }

  /** `acquireAsync(n)` as a guard. */
  async holdAsync(n?: number | WaitOptions, options?: WaitOptions): Promise<Permit> {
    const [count, opts] = args(n, options);
    const permits = this.permits(count, "Semaphore.holdAsync");
    await this.acquireAsync(permits, opts);
    return new Permit(this, permits);
  }

  /** `tryAcquire(n)` as a guard, or undefined. */
  tryHold(n = 1): Permit | undefined {
    return this.tryAcquire(n) ? new Permit(this, n) : undefined;
  }

  /** Returns `n` permits (default 1); past the maximum throws SemaphoreOverflowError, nothing changed. */
  release(n = 1): void {
    if (!isCount(n, 1)) {
      throw new InvalidArgumentError(`Semaphore.release: the number of permits must be a positive integer, got ${describeValue(n)}`);
    }
    const status = this.region.core.sem_release(this.offset, n);
    if (status !== L.OK) throwStatus(status, "Semaphore.release");
  }

  /** Permits available now (a racy snapshot). */
  get count(): number {
    return this.region.core.sem_count(this.offset);
  }

  /** Threads registered as waiting for permits (a racy snapshot). */
  get waiters(): number {
    return this.region.core.sem_waiters(this.offset);
  }

  /** Returns the semaphore's memory to the region. Nobody may use it afterwards. */
  free(): void {
    this.region.release(L.KIND_SEMAPHORE, this.offset, "Semaphore.free");
  }
}
