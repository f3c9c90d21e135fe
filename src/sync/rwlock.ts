// rwlock.ts — RwLock: a writer-preferring readers-writer lock in shared memory (facade over
// assembly/rwlock.ts).
//
// Many readers or one writer. Once a writer waits, new readers wait behind it, so writers are
// never starved. `read()` / `write()` block (spin, then park inside the core); the async forms
// park with Atomics.waitAsync; `tryRead()` / `tryWrite()` return undefined when busy. All
// return `using` guards. The write lock is owned by the calling thread (unlock elsewhere
// throws NotOwnerError; asking again while holding it throws DeadlockError). Read locks are
// not re-entrant: read-locking twice on one thread can deadlock once a writer waits.
import * as L from "../../assembly/layout";
import { throwStatus } from "../errors";
import { OnceGuard } from "./guard";
import { attach, makeHandle, type PrimitiveHandle } from "../region/handle";
import type { Region } from "../region/region";
import { stepAndPark } from "../wait/step-wait";
import { checkBlocking, deadlineFrom, throwIfAborted, timeoutError, timeoutMs, type WaitOptions } from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link RwLock}: pass it to another thread and call
 * `RwLock.from` there.
 */
export type RwLockHandle = PrimitiveHandle<"rwlock">;

/** A held read lock; released once, when disposed or unlocked. */
export class ReadGuard extends OnceGuard {
  constructor(private readonly lock: RwLock) {
    super();
  }
  /** Releases this lock; a second unlock through this guard does nothing. */
  unlock(): void {
    this.releaseOnce();
  }
  protected releaseNow(): void {
    this.lock.readUnlock();
  }
}

/** The held write lock; released once, when disposed or unlocked. */
export class WriteGuard extends OnceGuard {
  constructor(private readonly lock: RwLock) {
    super();
  }
  /** Releases this lock; a second unlock through this guard does nothing. */
  unlock(): void {
    this.releaseOnce();
  }
  protected releaseNow(): void {
    this.lock.writeUnlock();
  }
}

/**
 * A writer-preferring readers-writer lock in shared memory: many readers or one writer; once a
 * writer waits, new readers wait behind it. The write lock is owned by its thread (NotOwnerError,
 * DeadlockError as for Mutex); read locks are not re-entrant. Every form returns a guard for
 * `using`.
 */
export class RwLock {
  /** The structured-cloneable handle: post it to a worker and call `RwLock.from` there. */
  readonly handle: RwLockHandle;
  /**
   * @param region The region the lock lives in. @param offset Byte offset of the lock's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("rwlock", region, offset);
  }

  /** Allocates an unlocked readers-writer lock in `region`. */
  static create(region: Region): RwLock {
    const offset = region.allocate(L.KIND_RWLOCK, L.RW_SIZE, "RwLock.create");
    region.core.rw_init(offset);
    return new RwLock(region, offset);
  }

  /** Attaches to a lock from its handle (from another thread, or this one). */
  static from(handle: RwLockHandle): RwLock {
    const { region, offset } = attach(handle, "rwlock", L.KIND_RWLOCK);
    return new RwLock(region, offset);
  }

  /** Takes a shared read lock, blocking this thread until granted or the timeout passes. */
  read(options?: WaitOptions): ReadGuard {
    checkBlocking("RwLock.read", options);
    const ms = timeoutMs(options);
    const status = this.region.core.rw_read(this.offset, this.region.agent, ms);
    if (status === L.OK) return new ReadGuard(this);
    if (status === L.TIMED_OUT) throw timeoutError("RwLock.read", ms);
    throwStatus(status, "RwLock.read");
  }

  /** Takes the exclusive write lock, blocking this thread until granted or the timeout passes. */
  write(options?: WaitOptions): WriteGuard {
    checkBlocking("RwLock.write", options);
    const ms = timeoutMs(options);
    const status = this.region.core.rw_write(this.offset, this.region.agent, ms);
    if (status === L.OK) return new WriteGuard(this);
    if (status === L.TIMED_OUT) throw timeoutError("RwLock.write", ms);
    throwStatus(status, "RwLock.write");
  }

  /** A read guard if granted now, undefined if a writer holds the lock or waits for it. */
  tryRead(): ReadGuard | undefined {
    const status = this.region.core.rw_try_read(this.offset, this.region.agent);
    if (status === L.OK) return new ReadGuard(this);
    if (status === L.WOULD_BLOCK) return undefined;
    throwStatus(status, "RwLock.tryRead");
  }

  /** A write guard if granted now, undefined if anyone holds the lock. */
  tryWrite(): WriteGuard | undefined {
    const status = this.region.core.rw_try_write(this.offset, this.region.agent);
    if (status === L.OK) return new WriteGuard(this);
    if (status === L.WOULD_BLOCK) return undefined;
    throwStatus(status, "RwLock.tryWrite");
  }

  /** `read` without blocking the thread. */
  async readAsync(options?: WaitOptions): Promise<ReadGuard> {
    const what = "RwLock.readAsync";
    throwIfAborted(what, options?.signal);
    const ms = timeoutMs(options);
    const { core, words, agent } = this.region;
    const status = await stepAndPark({
      words, index: (this.offset + L.RW_READ_SEQ) >> 2, what, ms, deadline: deadlineFrom(ms), signal: options?.signal,
      step: (parked) => core.rw_read_step(this.offset, agent, parked),
      cancel: () => core.rw_read_cancel(this.offset),
    });
    if (status !== L.OK) throwStatus(status, what);
    return new ReadGuard(this);
  }

  /** `write` without blocking the thread. */
  async writeAsync(options?: WaitOptions): Promise<WriteGuard> {
    const what = "RwLock.writeAsync";
    throwIfAborted(what, options?.signal);
    const ms = timeoutMs(options);
    const { core, words, agent } = this.region;
    const status = await stepAndPark({
      words, index: (this.offset + L.RW_WRITE_SEQ) >> 2, what, ms, deadline: deadlineFrom(ms), signal: options?.signal,
      step: (parked) => core.rw_write_step(this.offset, agent, parked),
      cancel: () => core.rw_write_cancel(this.offset),
    });
    if (status !== L.OK) throwStatus(status, what);
    return new WriteGuard(this);
  }

  /** Releases one read lock (prefer the guard). NotOwnerError if no reader holds it. */
  readUnlock(): void {
    const status = this.region.core.rw_read_unlock(this.offset);
    if (status !== L.OK) throwStatus(status, "RwLock.readUnlock");
  }

  /** Releases the write lock (prefer the guard). NotOwnerError unless this thread holds it. */
  writeUnlock(): void {
    const status = this.region.core.rw_write_unlock(this.offset, this.region.agent);
    if (status !== L.OK) throwStatus(status, "RwLock.writeUnlock");
  }

  /** Readers holding the lock now (a racy snapshot). */
  get readers(): number {
    return this.region.core.rw_readers(this.offset);
  }

  /** Whether a writer holds the lock (a racy snapshot). */
  get writeLocked(): boolean {
    return this.region.core.rw_writer(this.offset) !== 0;
  }

  /** Threads registered as waiting, readers and writers (a racy snapshot). */
  get waiters(): number {
    return this.region.core.rw_waiters(this.offset);
  }

  /** Returns the lock's memory to the region. It must be unlocked and unused everywhere. */
  free(): void {
    this.region.release(L.KIND_RWLOCK, this.offset, "RwLock.free");
  }
}
