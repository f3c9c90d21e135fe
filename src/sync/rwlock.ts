// rwlock.ts — RwLock: a writer-preferring readers-writer lock in shared memory (facade over
// assembly/rwlock.ts).
//
// Many readers or one writer. Once a writer waits, new readers wait behind it, so writers are
// never starved. One step machine per side (`readSteps`, `writeSteps`: the step loop of
// src/wait/step-loop.ts over rw_read_step / rw_read_cancel parked on RW_READ_SEQ, and
// rw_write_step / rw_write_cancel parked on RW_WRITE_SEQ) is run by `read()` / `write()`
// (blocking, after a one-call try) and by the async forms, through the region's Parker;
// `tryRead()` / `tryWrite()` are one call and return undefined when busy. All return `using`
// guards. Read locks are not re-entrant: read-locking twice on one thread can deadlock once a
// writer waits.
//
// Ownership of the write lock: `write` and `tryWrite` hold it as the calling thread's agent
// (asking again while holding it throws DeadlockError), `writeAsync` (and `readAsync`) as a
// fresh agent per call, so that any number of async tasks of one thread may wait for the lock
// and are served in turn, as Mutex.lockAsync. Only the holder may write-unlock (NotOwnerError
// otherwise): its guard, or `writeUnlock()` on this RwLock object.
import * as L from "../../assembly/layout";
import { throwStatus } from "../errors";
import { OnceGuard } from "./guard";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { Deadline } from "../wait/deadline";
import { settle, stepLoop } from "../wait/step-loop";
import { call, runAsync, runBlocking, type Steps } from "../wait/steps";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/** A read lock for `agent`: OK, TIMED_OUT or WOULD_DEADLOCK (`agent` holds the write lock). */
export function readSteps(rw: number, agent: number): Steps<number> {
  return stepLoop({
    parkAt: rw + L.RW_READ_SEQ,
    step: (parked) => call("rw_read_step", rw, agent, parked),
    cancel: () => call("rw_read_cancel", rw),
  });
}

/** The write lock for `agent`: OK, TIMED_OUT or WOULD_DEADLOCK (`agent` holds it). */
export function writeSteps(rw: number, agent: number): Steps<number> {
  return stepLoop({
    parkAt: rw + L.RW_WRITE_SEQ,
    step: (parked) => call("rw_write_step", rw, agent, parked),
    cancel: () => call("rw_write_cancel", rw),
  });
}

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
  constructor(private readonly lock: RwLock, private readonly agent: number) {
    super();
  }
  /** Releases this lock; a second unlock through this guard does nothing. */
  unlock(): void {
    this.releaseOnce();
  }
  protected releaseNow(): void {
    this.lock.writeUnlockAs(this.agent);
  }
}

type Side = "read" | "write";
const STEPS = { read: readSteps, write: writeSteps } as const;
const TRY = { read: "rw_try_read", write: "rw_try_write" } as const;

/**
 * A writer-preferring readers-writer lock in shared memory: many readers or one writer; once a
 * writer waits, new readers wait behind it. The write lock is held by its thread, or by the task
 * of one writeAsync (NotOwnerError, DeadlockError as for Mutex); read locks are not re-entrant. Every form returns a guard for
 * `using`.
 */
export class RwLock {
  /** The structured-cloneable handle: post it to a worker and call `RwLock.from` there. */
  readonly handle: RwLockHandle;
  /** Agents of this thread's pending or held writeAsync calls on this object. */
  readonly #asyncWriters = new Set<number>();
  /**
   * @param region The region the lock lives in. @param offset Byte offset of the lock's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("rwlock", region, offset);
  }

  /** Allocates an unlocked readers-writer lock in `region`. */
  static create(region: Region): RwLock {
    expectRegion(region, "RwLock.create");
    return new RwLock(region, createIn(region, L.KIND_RWLOCK, L.RW_SIZE, "RwLock.create", (core, at) => core.rw_init(at)));
  }

  /** Attaches to a lock from its handle (from another thread, or this one). */
  static from(handle: RwLockHandle): RwLock {
    const { region, offset } = attach(handle, "rwlock", L.KIND_RWLOCK);
    return new RwLock(region, offset);
  }

  /** Takes a shared read lock, blocking this thread until granted or the timeout passes. */
  read(options?: WaitOptions): ReadGuard {
    this.#lock("read", "RwLock.read", options);
    return new ReadGuard(this);
  }

  /** Takes the exclusive write lock, blocking this thread until granted or the timeout passes. */
  write(options?: WaitOptions): WriteGuard {
    this.#lock("write", "RwLock.write", options);
    return new WriteGuard(this, this.region.agent);
  }

  #lock(side: Side, what: string, options: WaitOptions | undefined): void {
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    const { core, agent } = this.region;
    let status = core[TRY[side]](this.offset, agent);
    if (status === L.WOULD_BLOCK) status = runBlocking(this.region, STEPS[side](this.offset, agent), deadline);
    settle(status, deadline, what);
  }

  /** A read guard if granted now, undefined if a writer holds the lock or waits for it. */
  tryRead(): ReadGuard | undefined {
    return this.#try("read", "RwLock.tryRead") ? new ReadGuard(this) : undefined;
  }

  /** A write guard if granted now, undefined if anyone holds the lock. */
  tryWrite(): WriteGuard | undefined {
    return this.#try("write", "RwLock.tryWrite") ? new WriteGuard(this, this.region.agent) : undefined;
  }

  #try(side: Side, what: string): boolean {
    const status = this.region.core[TRY[side]](this.offset, this.region.agent);
    if (status === L.OK) return true;
    if (status === L.WOULD_BLOCK) return false;
    throwStatus(status, what);
  }

  /** `read` without blocking the thread (parks through the region's Parker). */
  async readAsync(options?: WaitOptions): Promise<ReadGuard> {
    await this.#lockAsync("read", this.region.newAgent(), "RwLock.readAsync", options);
    return new ReadGuard(this);
  }

  /**
   * `write` without blocking the thread. Several async calls of one thread may wait at once;
   * each gets the lock in turn (each holds it as its own agent).
   */
  async writeAsync(options?: WaitOptions): Promise<WriteGuard> {
    const agent = this.region.newAgent();
    this.#asyncWriters.add(agent);
    try {
      await this.#lockAsync("write", agent, "RwLock.writeAsync", options);
    } catch (error) {
      this.#asyncWriters.delete(agent);
      throw error;
    }
    return new WriteGuard(this, agent);
  }

  async #lockAsync(side: Side, agent: number, what: string, options: WaitOptions | undefined): Promise<void> {
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    let status = this.region.core[TRY[side]](this.offset, agent);
    if (status === L.WOULD_BLOCK) status = await runAsync(this.region, STEPS[side](this.offset, agent), deadline, what, options?.signal);
    settle(status, deadline, what);
  }

  /** Releases one read lock (prefer the guard). NotOwnerError if no reader holds it. */
  readUnlock(): void {
    const status = this.region.core.rw_read_unlock(this.offset);
    if (status !== L.OK) throwStatus(status, "RwLock.readUnlock");
  }

  /**
   * Releases the write lock held by this thread or by one of this object's writeAsync calls
   * (prefer the guard); NotOwnerError (nothing changed) otherwise.
   */
  writeUnlock(): void {
    const owner = this.region.core.rw_writer(this.offset);
    this.writeUnlockAs(this.#asyncWriters.has(owner) ? owner : this.region.agent);
  }

  /** @internal Releases the write lock as `agent` (a guard's). */
  writeUnlockAs(agent: number): void {
    const status = this.region.core.rw_write_unlock(this.offset, agent);
    if (status !== L.OK) throwStatus(status, "RwLock.writeUnlock");
    this.#asyncWriters.delete(agent);
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
