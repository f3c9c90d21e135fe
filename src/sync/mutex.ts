// mutex.ts — Mutex: a mutual-exclusion lock in shared memory (facade over assembly/mutex.ts).
//
// Blocking `lock` spins then parks inside the core; `lockAsync` runs the core's lock step and
// parks with Atomics.waitAsync on MUTEX_STATE while it is MUTEX_CONTENDED (the core's
// protocol: see the header of assembly/mutex.ts). The lock is owned by the calling thread's
// agent id in the region; it is not re-entrant (relocking throws DeadlockError) and only the
// holder may unlock (NotOwnerError otherwise).
import * as L from "../../assembly/layout";
import { throwStatus } from "../errors";
import { OnceGuard } from "./guard";
import { attach, makeHandle, type PrimitiveHandle } from "../region/handle";
import type { Region } from "../region/region";
import {
  checkBlocking, deadlineFrom, parkAsync, throwIfAborted, timeoutError, timeoutMs, type WaitOptions,
} from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link Mutex}: pass it to another thread and call
 * `Mutex.from` there.
 */
export type MutexHandle = PrimitiveHandle<"mutex">;

/** Releases the lock once, when disposed (`using guard = mutex.lock()`) or unlocked. */
export class MutexGuard extends OnceGuard {
  constructor(private readonly mutex: Mutex) {
    super();
  }
  /** Unlocks the mutex; a second unlock through this guard does nothing. */
  unlock(): void {
    this.releaseOnce();
  }
  protected releaseNow(): void {
    this.mutex.unlock();
  }
}

/**
 * A mutual-exclusion lock in shared memory, usable from every thread attached to its region. Owned
 * by the locking thread and not re-entrant: locking it again on the same thread throws
 * DeadlockError, and only the holder may unlock (NotOwnerError). `lock` blocks, `lockAsync` waits
 * without blocking, `tryLock` never waits; each returns a guard for `using`.
 */
export class Mutex {
  /** The structured-cloneable handle: post it to a worker and call `Mutex.from` there. */
  readonly handle: MutexHandle;
  /**
   * @param region The region the mutex lives in. @param offset Byte offset of the mutex's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("mutex", region, offset);
  }

  /** Allocates an unlocked mutex in `region`. */
  static create(region: Region): Mutex {
    const offset = region.allocate(L.KIND_MUTEX, L.MUTEX_SIZE, "Mutex.create");
    region.core.mutex_init(offset);
    return new Mutex(region, offset);
  }

  /** Attaches to a mutex from its handle (from another thread, or this one). */
  static from(handle: MutexHandle): Mutex {
    const { region, offset } = attach(handle, "mutex", L.KIND_MUTEX);
    return new Mutex(region, offset);
  }

  /** Locks, blocking this thread (spin, then park) until acquired or the timeout passes. */
  lock(options?: WaitOptions): MutexGuard {
    checkBlocking("Mutex.lock", options);
    const ms = timeoutMs(options);
    const status = this.region.core.mutex_lock(this.offset, this.region.agent, ms);
    if (status !== L.OK) {
      if (status === L.TIMED_OUT) throw timeoutError("Mutex.lock", ms);
      throwStatus(status, "Mutex.lock");
    }
    return new MutexGuard(this);
  }

  /** One attempt: a guard if acquired, `undefined` if another thread holds the lock. */
  tryLock(): MutexGuard | undefined {
    const status = this.region.core.mutex_try_lock(this.offset, this.region.agent);
    if (status === L.OK) return new MutexGuard(this);
    if (status === L.WOULD_BLOCK) return undefined;
    throwStatus(status, "Mutex.tryLock");
  }

  /** Locks without blocking the thread: parks with Atomics.waitAsync on the lock word. */
  async lockAsync(options?: WaitOptions): Promise<MutexGuard> {
    throwIfAborted("Mutex.lockAsync", options?.signal);
    const ms = timeoutMs(options);
    const deadline = deadlineFrom(ms);
    const { core, agent, words } = this.region;
    let parked = 0;
    for (;;) {
      const status = core.mutex_lock_step(this.offset, agent, parked);
      if (status === L.OK) return new MutexGuard(this);
      if (status !== L.WOULD_BLOCK) throwStatus(status, "Mutex.lockAsync");
      const woke = await parkAsync(
        words, (this.offset + L.MUTEX_STATE) >> 2, L.MUTEX_CONTENDED, deadline, "Mutex.lockAsync", options?.signal,
      );
      if (woke === "timed-out") throw timeoutError("Mutex.lockAsync", ms);
      parked = 1;
    }
  }

  /** Unlocks; throws NotOwnerError (and changes nothing) if this thread does not hold it. */
  unlock(): void {
    const status = this.region.core.mutex_unlock(this.offset, this.region.agent);
    if (status !== L.OK) throwStatus(status, "Mutex.unlock");
  }

  /** Whether some thread holds the lock (a racy snapshot). */
  get locked(): boolean {
    return this.region.core.mutex_owner(this.offset) !== 0;
  }

  /** Returns the mutex's memory to the region. It must be unlocked and unused everywhere. */
  free(): void {
    this.region.release(L.KIND_MUTEX, this.offset, "Mutex.free");
  }
}
