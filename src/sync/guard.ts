// guard.ts — the base of every lock guard (MutexGuard, ReadGuard, WriteGuard, Permit): releases
// what it holds exactly once, when disposed (`using g = lock.lock()`) or released by hand; a
// second release does nothing, so `using` plus an early unlock is safe.
export abstract class OnceGuard implements Disposable {
  #released = false;
  /** Performs the release; called at most once. */
  protected abstract releaseNow(): void;
  protected releaseOnce(): void {
    if (this.#released) return;
    this.#released = true;
    this.releaseNow();
  }
  /** Whether this guard has been released. */
  get released(): boolean {
    return this.#released;
  }
  /** Releases the guard, as `using` does at the end of its block; a second release does nothing. */
  [Symbol.dispose](): void {
    this.releaseOnce();
  }
}
