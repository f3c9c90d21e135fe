// task-queue.ts — the pool's queue of tasks not yet dispatched: higher priority first, FIFO
// within a priority. Lives on the caller's thread only.
//
// Contract: push appends at the back of its priority; unshift puts a task back at the front
// (tasks returned from a crashed worker, in reverse order so their order is kept); shift
// takes the front of the highest priority; remove drops one task (a cancelled one) in O(n) of
// its priority. `length` counts queued tasks exactly.
//
// Layout: one array per priority with a head index (no shift() copying), and the priorities
// present sorted high to low (a short array: programs use a handful of priorities).

export interface Queued {
  readonly priority: number;
}

class Lane<T> {
  items: (T | undefined)[] = [];
  head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
}

export class TaskQueue<T extends Queued> {
  #lanes = new Map<number, Lane<T>>();
  /** Priorities with a lane, high to low. */
  #order: number[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #lane(priority: number): Lane<T> {
    let lane = this.#lanes.get(priority);
    if (lane === undefined) {
      lane = new Lane<T>();
      this.#lanes.set(priority, lane);
      let i = 0;
      while (i < this.#order.length && this.#order[i] > priority) i++;
      this.#order.splice(i, 0, priority);
    }
    return lane;
  }

  push(task: T): void {
    this.#lane(task.priority).items.push(task);
    this.#length++;
  }

  unshift(task: T): void {
    const lane = this.#lane(task.priority);
    if (lane.head > 0) lane.items[--lane.head] = task;
    else lane.items.unshift(task);
    this.#length++;
  }

  /** The next task to dispatch, or undefined when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    for (const priority of this.#order) {
      const lane = this.#lanes.get(priority)!;
      if (lane.size === 0) continue;
      const task = lane.items[lane.head] as T;
      lane.items[lane.head++] = undefined;
      if (lane.head === lane.items.length) {
        lane.items.length = 0;
        lane.head = 0;
      } else if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
        lane.items = lane.items.slice(lane.head);
        lane.head = 0;
      }
      this.#length--;
      return task;
    }
    return undefined;
  }

  /** Removes `task`; false when it is not queued. */
  remove(task: T): boolean {
    const lane = this.#lanes.get(task.priority);
    if (lane === undefined) return false;
    const i = lane.items.indexOf(task, lane.head);
    if (i < 0) return false;
    lane.items.splice(i, 1);
    this.#length--;
    return true;
  }

  /** Removes and returns every queued task, in dispatch order. */
  drain(): T[] {
    const all: T[] = [];
    for (let t = this.shift(); t !== undefined; t = this.shift()) all.push(t);
    return all;
  }
}
