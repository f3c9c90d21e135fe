// specs.ts — sequential specifications for the linearizability checker. Each operation in a
// history is `name(args) -> result` as recorded by a model test with `t.op`; results are the
// core's status codes (assembly/layout.ts). Specifications may be nondeterministic (the
// allocator's addresses): they then accept any result that some sequential run could give.
import * as L from "../../../assembly/layout";
import type { Spec } from "./linearizability";
import type { HistoryOp } from "./vthread";

/**
 * Mutexes, by index (args[0]); the holder is the thread id + 1, 0 when free.
 *   lock(i, timeoutMs) -> OK | TIMED_OUT | WOULD_DEADLOCK  (TIMED_OUT only while another holds it)
 *   try_lock(i)        -> OK | WOULD_BLOCK | WOULD_DEADLOCK
 *   unlock(i)          -> OK | NOT_OWNER
 */
export function mutexSpec(count = 1): Spec<readonly number[]> {
  return {
    name: "mutex",
    init: () => new Array(count).fill(0),
    key: (s) => s.join(","),
    apply(s, op) {
      const i = op.args[0] as number;
      const me = op.thread + 1;
      const holder = s[i];
      const set = (v: number) => s.map((h, j) => (j === i ? v : h));
      switch (op.name) {
        case "lock":
        case "try_lock":
          if (op.result === L.OK) return holder === 0 ? set(me) : undefined;
          if (op.result === L.WOULD_DEADLOCK) return holder === me ? s : undefined;
          if (op.result === (op.name === "lock" ? L.TIMED_OUT : L.WOULD_BLOCK)) return holder !== 0 && holder !== me ? s : undefined;
          return undefined;
        case "unlock":
          if (op.result === L.OK) return holder === me ? set(0) : undefined;
          if (op.result === L.NOT_OWNER) return holder !== me ? s : undefined;
          return undefined;
      }
      throw new Error(`mutex spec: unknown operation ${op.name}`);
    },
  };
}

/**
 * A counting semaphore with `initial` permits and at most `max`.
 *   acquire(timeoutMs, n = 1) -> OK | TIMED_OUT (TIMED_OUT only with fewer than n permits)
 *   try_acquire(n = 1)        -> OK | WOULD_BLOCK (only with fewer than n permits)
 *   release(n)                -> OK | OVERFLOW (nothing changed)
 * (acquire takes its n permits all at once or none.)
 */
export function semaphoreSpec(initial: number, max: number): Spec<number> {
  return {
    name: "semaphore",
    init: () => initial,
    key: (s) => String(s),
    apply(s, op) {
      switch (op.name) {
        case "acquire":
        case "try_acquire": {
          const n = (op.args[op.name === "acquire" ? 1 : 0] as number | undefined) ?? 1;
          if (op.result === L.OK) return s >= n ? s - n : undefined;
          if (op.result === (op.name === "acquire" ? L.TIMED_OUT : L.WOULD_BLOCK)) return s < n ? s : undefined;
          return undefined;
        }
        case "release": {
          const n = (op.args[0] as number | undefined) ?? 1;
          if (op.result === L.OK) return s + n <= max ? s + n : undefined;
          if (op.result === L.OVERFLOW) return s + n > max ? s : undefined;
          return undefined;
        }
      }
      throw new Error(`semaphore spec: unknown operation ${op.name}`);
    },
  };
}

/**
 * A readers-writer lock; the writer is the thread id + 1 (0: none), readers are counted.
 *   read(timeoutMs)  -> OK (no writer) | TIMED_OUT (only while the lock is held: by a writer,
 *                       or by readers while a writer waits, which the state does not model)
 *   write(timeoutMs) -> OK (free) | TIMED_OUT (only while held)
 *   read_unlock()    -> OK (a reader holds it) | NOT_OWNER (none does)
 *   write_unlock()   -> OK (the caller holds it) | NOT_OWNER
 * Writer preference is not expressed here (it depends on who waits): tests check it apart.
 */
export interface RwState { writer: number; readers: number }
export function rwlockSpec(): Spec<RwState> {
  return {
    name: "rwlock",
    init: () => ({ writer: 0, readers: 0 }),
    key: (s) => `${s.writer}:${s.readers}`,
    apply(s, op) {
      const me = op.thread + 1;
      const free = s.writer === 0 && s.readers === 0;
      switch (op.name) {
        case "read":
          if (op.result === L.OK) return s.writer === 0 ? { ...s, readers: s.readers + 1 } : undefined;
          if (op.result === L.TIMED_OUT) return free ? undefined : s;
          return undefined;
        case "write":
          if (op.result === L.OK) return free ? { ...s, writer: me } : undefined;
          if (op.result === L.TIMED_OUT) return free ? undefined : s;
          return undefined;
        case "read_unlock":
          if (op.result === L.OK) return s.readers > 0 ? { ...s, readers: s.readers - 1 } : undefined;
          if (op.result === L.NOT_OWNER) return s.readers === 0 ? s : undefined;
          return undefined;
        case "write_unlock":
          if (op.result === L.OK) return s.writer === me ? { ...s, writer: 0 } : undefined;
          if (op.result === L.NOT_OWNER) return s.writer !== me ? s : undefined;
          return undefined;
      }
      throw new Error(`rwlock spec: unknown operation ${op.name}`);
    },
  };
}

/**
 * A bounded FIFO queue of `capacity` values, closable.
 *   push(v)  -> OK | WOULD_BLOCK (full) | CLOSED
 *   pop()    -> { status: OK, value } | { status: WOULD_BLOCK } (empty) | { status: CLOSED } (closed and empty)
 *   close()  -> OK
 * Blocking variants (push_wait / pop_wait) never return WOULD_BLOCK; with a timeout they may
 * return TIMED_OUT (push_wait only while full and open, pop_wait only while empty and open).
 *   push_many(values)  -> k >= 1 (the first k values, 1 <= k <= free slots) | 0 (full) | -CLOSED
 *   pop_many(max)      -> { count: k >= 1, values } (the first k items, k <= max) | { count: 0 }
 *                         (empty) | { count: -CLOSED } (closed and empty)
 * Every "empty" / "full" / TIMED_OUT is strict: it must hold at the linearization point, so a
 * try-pop that reports empty while a completed push is unread is a violation.
 */
export interface QueueState { items: readonly number[]; closed: boolean }
export function boundedQueueSpec(capacity: number): Spec<QueueState> {
  return {
    name: "bounded queue",
    init: () => ({ items: [], closed: false }),
    key: (s) => `${s.closed ? "c" : "o"}${s.items.join(",")}`,
    apply(s, op) {
      const blocking = op.name.endsWith("_wait");
      switch (op.name) {
        case "push":
        case "push_wait":
          if (op.result === L.OK) return !s.closed && s.items.length < capacity ? { ...s, items: [...s.items, op.args[0] as number] } : undefined;
          if (op.result === L.CLOSED) return s.closed ? s : undefined;
          if (op.result === L.WOULD_BLOCK && !blocking) return !s.closed && s.items.length === capacity ? s : undefined;
          if (op.result === L.TIMED_OUT && blocking) return !s.closed && s.items.length === capacity ? s : undefined;
          return undefined;
        case "pop":
        case "pop_wait": {
          const r = op.result as { status: number; value?: number };
          if (r.status === L.OK) return s.items.length > 0 && s.items[0] === r.value ? { ...s, items: s.items.slice(1) } : undefined;
          if (r.status === L.CLOSED) return s.closed && s.items.length === 0 ? s : undefined;
          if (r.status === L.WOULD_BLOCK && !blocking) return !s.closed && s.items.length === 0 ? s : undefined;
          if (r.status === L.TIMED_OUT && blocking) return !s.closed && s.items.length === 0 ? s : undefined;
          return undefined;
        }
        case "push_many": {
          const values = op.args[0] as number[];
          const k = op.result as number;
          if (k === -L.CLOSED) return s.closed ? s : undefined;
          if (s.closed) return undefined;
          if (k === 0) return s.items.length === capacity ? s : undefined;
          if (k < 1 || k > values.length || k > capacity - s.items.length) return undefined;
          return { ...s, items: [...s.items, ...values.slice(0, k)] };
        }
        case "pop_many": {
          const max = op.args[0] as number;
          const r = op.result as { count: number; values?: number[] };
          if (r.count === -L.CLOSED) return s.closed && s.items.length === 0 ? s : undefined;
          if (r.count === 0) return !s.closed && s.items.length === 0 ? s : undefined;
          if (r.count < 1 || r.count > max || r.count > s.items.length) return undefined;
          for (let i = 0; i < r.count; i++) if (s.items[i] !== r.values![i]) return undefined;
          return { ...s, items: s.items.slice(r.count) };
        }
        case "close":
          return { ...s, closed: true };
      }
      throw new Error(`queue spec: unknown operation ${op.name}`);
    },
  };
}

/**
 * The region allocator over the heap [heapStart, heapEnd): the state is the set of used
 * blocks, as sorted [start, end) pairs; block = payload - BLOCK_HEADER, size = usable bytes +
 * BLOCK_OVERHEAD.
 *   alloc(bytes)  -> { payload, usable }: payload 0 only if no gap between used blocks is
 *                    large enough (the allocator coalesces, so a gap is one free block);
 *                    otherwise an ALLOC_ALIGN-aligned block of >= bytes inside a gap
 *   free(payload) -> OK if it is a used block, CORRUPT otherwise
 *   free_bytes()  -> the heap minus the used blocks (RH_FREE_BYTES)
 *   used_blocks() -> the number of used blocks (RH_USED_BLOCKS)
 */
export type Blocks = readonly (readonly [number, number])[];
export function allocatorSpec(heapStart: number, heapEnd: number): Spec<Blocks> {
  const need = (bytes: number) =>
    Math.max(L.BLOCK_MIN, (bytes + L.BLOCK_OVERHEAD + L.ALLOC_ALIGN - 1) & L.BLOCK_SIZE_MASK);
  const largestGap = (s: Blocks) => {
    let at = heapStart;
    let gap = 0;
    for (const [a, b] of s) {
      gap = Math.max(gap, a - at);
      at = b;
    }
    return Math.max(gap, heapEnd - at);
  };
  return {
    name: "allocator",
    init: () => [],
    key: (s) => s.map(([a, b]) => `${a}-${b}`).join(","),
    apply(s, op: HistoryOp) {
      switch (op.name) {
        case "alloc": {
          const bytes = op.args[0] as number;
          const { payload, usable } = op.result as { payload: number; usable: number };
          if (payload === 0) return largestGap(s) < need(bytes) ? s : undefined;
          const start = payload - L.BLOCK_HEADER;
          const end = start + usable + L.BLOCK_OVERHEAD;
          if (payload % L.ALLOC_ALIGN !== 0 || usable < bytes || start < heapStart || end > heapEnd) return undefined;
          if (s.some(([a, b]) => start < b && a < end)) return undefined;
          return [...s, [start, end] as const].sort((x, y) => x[0] - y[0]);
        }
        case "free": {
          const start = (op.args[0] as number) - L.BLOCK_HEADER;
          const used = s.some(([a]) => a === start);
          if (op.result === L.OK) return used ? s.filter(([a]) => a !== start) : undefined;
          if (op.result === L.CORRUPT) return used ? undefined : s;
          return undefined;
        }
        case "free_bytes":
          return op.result === heapEnd - heapStart - s.reduce((n, [a, b]) => n + (b - a), 0) ? s : undefined;
        case "used_blocks":
          return op.result === s.length ? s : undefined;
      }
      throw new Error(`allocator spec: unknown operation ${op.name}`);
    },
  };
}
