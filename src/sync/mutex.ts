// mutex.ts — Mutex: a mutual-exclusion lock in shared memory (facade over assembly/mutex.ts).
//
// One step machine (`lockSteps`) is the lock protocol of the core (see the header of
// assembly/mutex.ts): run mutex_lock_step until it returns OK, parking on MUTEX_STATE while it
// is MUTEX_CONTENDED in between. `lock` runs it blocking, `lockAsync` without blocking the
// thread, both after a one-call try (mutex_try_lock), through the region's Parker.
//
// Ownership. A lock is held by an agent id of the region: `lock` and `tryLock` by the calling
// thread's (the region's agent: relocking throws DeadlockError), `lockAsync` by a fresh agent
// per call, so that any number of async tasks of one thread may wait for the same mutex and
// are served in turn (a task, not a thread, holds it, as in tokio). Only the holder may
// unlock (NotOwnerError otherwise): the guard, or `unlock()` on this Mutex object, which
// releases the lock held by this thread or by one of its async acquisitions.
//
// Owner died (assembly/mutex.ts, assembly/party.ts). A holder whose thread or process ended
// with the lock (reported by spawnWorker, spawnProcess, the liveness sweep of sabre/node, or
// threadDied) is never waited for: the next `lock`, `lockAsync` or `tryLock` takes the lock
// over — within one ROBUST_SLICE_MS slice of the report at most, at once when the report's
// walk wakes it — and throws OwnerDeadError whose `guard` holds the lock: repair the state it
// protects, call `guard.markConsistent()`, and go on (or unlock without it: the next locker is
// told again). A holder that is alive is never taken over, however long it holds the lock.
import * as L from "../../assembly/layout";
import { OwnerDeadError, throwStatus } from "../errors";
import { OnceGuard } from "./guard";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { Deadline } from "../wait/deadline";
import { settle } from "../wait/step-loop";
import { call, park, runAsync, runBlocking, type Steps } from "../wait/steps";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/** Parks of a lock wait last at most ROBUST_SLICE_MS while the holder is a tracked party: its
 *  liveness is re-checked (a death walk usually wakes the waiters first; the slice is the bound
 *  where it cannot, as on a polling region). */
const SLICE = { sliceMs: L.ROBUST_SLICE_MS };

/**
 * The lock protocol: OK, OWNER_DEAD (acquired from a dead holder, or still marked so), TIMED_OUT,
 * or WOULD_DEADLOCK (the agent already holds it). Between parks (slices of ROBUST_SLICE_MS) it
 * asks the core whether the holder is known dead (mutex_recover) and takes the lock over if so.
 */
export function* lockSteps(m: number, agent: number): Steps<number> {
  let parked = 0;
  for (;;) {
    const status = yield call("mutex_lock_step", m, agent, parked);
    if (status !== L.WOULD_BLOCK) return status;
    if ((yield call("mutex_recover", m, agent)) === L.OWNER_DEAD) return L.OWNER_DEAD;
    parked = 1;
    // slices only while the holder is a party whose death can be reported (always, outside tests)
    const how = (yield call("mutex_holder_tracked", m)) ? SLICE : undefined;
    if ((yield park(m + L.MUTEX_STATE, L.MUTEX_CONTENDED, how)) === L.WAIT_TIMED_OUT) {
      const last = yield call("mutex_lock_step", m, agent, 1);
      if (last !== L.WOULD_BLOCK) return last;
      return (yield call("mutex_recover", m, agent)) === L.OWNER_DEAD ? L.OWNER_DEAD : L.TIMED_OUT;
    }
  }
}

/**
 * The structured-cloneable handle of a {@link Mutex}: pass it to another thread and call
 * `Mutex.from` there.
 */
export type MutexHandle = PrimitiveHandle<"mutex">;

/** Releases the lock once, when disposed (`using guard = mutex.lock()`) or unlocked. */
export class MutexGuard extends OnceGuard {
  constructor(private readonly mutex: Mutex, private readonly agent: number) {
    super();
  }
  /** Unlocks the mutex; a second unlock through this guard does nothing. */
  unlock(): void {
    this.releaseOnce();
  }
  protected releaseNow(): void {
    this.mutex.unlockAs(this.agent);
  }
  /**
   * Whether a holder died with this lock and nobody has marked the state it protects consistent
   * since (OwnerDeadError was thrown when this guard was handed out).
   */
  get ownerDied(): boolean {
    return this.mutex.region.core.mutex_owner_died(this.mutex.offset) !== 0;
  }
  /**
   * After an OwnerDeadError: the state the lock protects was repaired; later lockers are no
   * longer told that an owner died. Throws NotOwnerError once this guard was released.
   */
  markConsistent(): void {
    const status = this.released ? L.NOT_OWNER : this.mutex.region.core.mutex_consistent(this.mutex.offset, this.agent);
    if (status !== L.OK) throwStatus(status, "MutexGuard.markConsistent");
  }
}

/** The guard for a lock acquired with `status` (OK, or OWNER_DEAD: thrown as OwnerDeadError). */
function guardFor(mutex: Mutex, agent: number, status: number, what: string): MutexGuard {
  const guard = new MutexGuard(mutex, agent);
  if (status !== L.OWNER_DEAD) return guard;
  throw new OwnerDeadError(
    `${what}: the previous holder of the mutex died holding it; you hold it now (error.guard): repair the state it protects, ` +
      "then call error.guard.markConsistent() (or unlock without it, and the next locker is told again)",
    { guard },
  );
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
  /** Agents of this thread's pending or held lockAsync calls on this object. */
  readonly #asyncAgents = new Set<number>();
  /**
   * @param region The region the mutex lives in. @param offset Byte offset of the mutex's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("mutex", region, offset);
  }

  /** Allocates an unlocked mutex in `region`. */
  static create(region: Region): Mutex {
    expectRegion(region, "Mutex.create");
    return new Mutex(region, createIn(region, L.KIND_MUTEX, L.MUTEX_SIZE, "Mutex.create", (core, at) => core.mutex_init(at)));
  }

  /** Attaches to a mutex from its handle (from another thread, or this one). */
  static from(handle: MutexHandle): Mutex {
    const { region, offset } = attach(handle, "mutex", L.KIND_MUTEX);
    return new Mutex(region, offset);
  }

  /** Locks, blocking this thread (spin, then park) until acquired or the timeout passes. */
  lock(options?: WaitOptions): MutexGuard {
    checkBlocking("Mutex.lock", options);
    const deadline = Deadline.of(options, "Mutex.lock");
    const { core, agent } = this.region;
    let status = core.mutex_try_lock(this.offset, agent);
    if (status === L.WOULD_BLOCK) status = runBlocking(this.region, lockSteps(this.offset, agent), deadline);
    if (status !== L.OWNER_DEAD) settle(status, deadline, "Mutex.lock");
    return guardFor(this, agent, status, "Mutex.lock");
  }

  /** One attempt: a guard if acquired, `undefined` if another thread holds the lock. */
  tryLock(): MutexGuard | undefined {
    const { agent } = this.region;
    const { core } = this.region;
    let status = core.mutex_try_lock(this.offset, agent);
    if (status === L.WOULD_BLOCK) status = core.mutex_recover(this.offset, agent);
    if (status === L.OK || status === L.OWNER_DEAD) return guardFor(this, agent, status, "Mutex.tryLock");
    if (status === L.WOULD_BLOCK) return undefined;
    throwStatus(status, "Mutex.tryLock");
  }

  /**
   * Locks without blocking the thread (parks with Atomics.waitAsync, or the region's parker).
   * Several async calls of one thread may wait at once; each gets the lock in turn.
   */
  async lockAsync(options?: WaitOptions): Promise<MutexGuard> {
    throwIfAborted("Mutex.lockAsync", options?.signal);
    const deadline = Deadline.of(options, "Mutex.lockAsync");
    const agent = this.region.newAgent();
    const status = await this.lockAsAsync(agent, deadline, "Mutex.lockAsync", options?.signal);
    return guardFor(this, agent, status, "Mutex.lockAsync");
  }

  /** @internal Locks asynchronously as `agent` (a CondVar relocks as the agent that held it): OK
   *  or OWNER_DEAD (held either way); throws otherwise. */
  async lockAsAsync(agent: number, deadline: Deadline, what: string, signal?: AbortSignal): Promise<number> {
    if (agent !== this.region.agent) this.#asyncAgents.add(agent);
    let status: number;
    try {
      status = this.region.core.mutex_try_lock(this.offset, agent);
      if (status === L.WOULD_BLOCK) status = await runAsync(this.region, lockSteps(this.offset, agent), deadline, what, signal);
    } catch (error) {
      this.#asyncAgents.delete(agent);
      throw error;
    }
    if (status === L.OWNER_DEAD) return status;
    if (status !== L.OK) this.#asyncAgents.delete(agent);
    settle(status, deadline, what);
    return status;
  }

  /** @internal The agent of this thread (or of one of its lockAsync calls) holding the lock, or 0. */
  heldAgent(): number {
    const owner = this.region.core.mutex_owner(this.offset);
    return owner !== 0 && (owner === this.region.agent || this.#asyncAgents.has(owner)) ? owner : 0;
  }

  /**
   * Unlocks the lock held by this thread, or by one of this object's lockAsync calls; throws
   * NotOwnerError (and changes nothing) otherwise.
   */
  unlock(): void {
    const owner = this.region.core.mutex_owner(this.offset);
    this.unlockAs(this.#asyncAgents.has(owner) ? owner : this.region.agent);
  }

  /** @internal Unlocks as `agent` (a guard's). */
  unlockAs(agent: number): void {
    const status = this.region.core.mutex_unlock(this.offset, agent);
    if (status !== L.OK) throwStatus(status, "Mutex.unlock");
    if (agent !== this.region.agent) this.#asyncAgents.delete(agent);
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
