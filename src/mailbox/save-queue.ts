// save-queue.ts — selective receive's save queue: the messages and requests a reader took from
// the channel that no receive wanted at the time, kept in read order (Erlang's save queue).
//
// Reader-local (one thread): never shared. Every receive looks here first, in order, before the
// channel, so each kind of receive sees its messages in send order (per sender). The bound
// `max` is soft: `push` always keeps the entry (nothing is lost) and reports that the queue has
// gone past the bound; the reader then refuses reads of the channel (SaveQueueFullError) until
// receives drain it below the bound.
//
// Invariants: entries are in the order they were read from the channel; an entry is here or
// was returned to exactly one receive, never both.
export class SaveQueue<M> {
  readonly #items: M[] = [];

  constructor(public max: number) {}

  get length(): number {
    return this.#items.length;
  }

  /** Whether the queue holds more than `max` entries. */
  get over(): boolean {
    return this.#items.length > this.max;
  }

  /** Removes and returns the first entry `accepts` wants (a throw from it propagates, the
   *  queue unchanged). */
  take(accepts: (m: M) => boolean): M | undefined {
    const items = this.#items;
    for (let i = 0; i < items.length; i++) {
      if (accepts(items[i])) return items.splice(i, 1)[0];
    }
    return undefined;
  }

  /** Appends `m` (read after everything here); returns false when that put the queue over `max`. */
  push(m: M): boolean {
    this.#items.push(m);
    return this.#items.length <= this.max;
  }

  has(m: M): boolean {
    return this.#items.includes(m);
  }

  /** Entries that `test` accepts. */
  count(test: (m: M) => boolean): number {
    let n = 0;
    for (const m of this.#items) if (test(m)) n++;
    return n;
  }

  clear(): void {
    this.#items.length = 0;
  }
}
