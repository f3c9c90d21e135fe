// stream.ts — PoolStream: the result of a task that returned an (async) iterable. Its items
// arrive on a bounded Channel that the worker created in the pool's region (capacity
// `streamCapacity`): the worker's generator is suspended while the channel is full, so a slow
// consumer holds back the producer and memory stays bounded.
//
// Contract:
//   - Iterate it once (for await). It yields every item in order, then, once the task has
//     ended, finishes; if the task failed (threw part-way, was cancelled, its worker died),
//     the iteration throws that error after the items that arrived before it.
//   - Stopping early (break, return, a throw in the loop body) cancels the task: the worker's
//     signal aborts and the channel closes, which ends the worker's sends.
//   - The channel is freed when both the worker has reported the task's end and the consumer
//     has finished (or stopped).
import type { Channel } from "../channel/channel";

/**
 * The result of a pool task whose function returned an (async) iterable: `run()` resolves to
 * one, iterate it once with `for await`. Its items arrive in order on a bounded channel
 * (`streamCapacity` items, default 16): a slow consumer holds back the worker's generator, so
 * memory stays bounded. Stopping early (break, return, a throw in the loop) cancels the task.
 *
 * @typeParam T - the type of the items the task yields.
 */
export class PoolStream<T> implements AsyncIterable<T> {
  readonly #channel: Channel<T>;
  readonly #onStop: () => void;
  #error: unknown = undefined;
  #failed = false;
  #iterated = false;
  #consumerDone = false;
  #workerDone = false;
  #freed = false;
  readonly #ended: Promise<void>;
  #resolveEnded!: () => void;

  constructor(channel: Channel<T>, onStop: () => void) {
    this.#channel = channel;
    this.#onStop = onStop;
    this.#ended = new Promise<void>((resolve) => (this.#resolveEnded = resolve));
  }

  /** The worker reported the stream's successful end. */
  end(): void {
    this.#resolveEnded();
  }

  /** The task failed (or was cancelled, or the pool destroyed): the consumer gets `error`
   *  after what is already buffered. Closing the channel ends the worker's sends too. */
  fail(error: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#error = error;
    }
    this.#channel.close();
    this.#resolveEnded();
  }

  /** The worker no longer uses the channel. */
  workerDone(): void {
    this.#workerDone = true;
    this.#resolveEnded();
    this.#free();
  }

  #free(): void {
    if (this.#freed || !this.#workerDone || !this.#consumerDone) return;
    this.#freed = true;
    this.#channel.free();
  }

  /**
   * Yields every item of the task in order, then finishes once the task has ended; if the
   * task failed (threw part-way, was cancelled, its worker died) it throws that error after
   * the items that arrived before it. A stream can be iterated once (a second iteration
   * throws TypeError); stopping early cancels the task.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    if (this.#iterated) throw new TypeError("a pool stream can be iterated once");
    this.#iterated = true;
    let complete = false;
    try {
      for (;;) {
        let item: T;
        try {
          item = await this.#channel.recvAsync();
        } catch (error) {
          if ((error as Error)?.name === "ClosedError") break;
          throw error;
        }
        yield item;
      }
      await this.#ended;
      complete = true;
      if (this.#failed) throw this.#error;
    } finally {
      if (!complete && !this.#failed) {
        this.#channel.close();
        this.#onStop();
      }
      this.#consumerDone = true;
      this.#free();
    }
  }
}
