// plain-ring.mjs — the hand-written baseline: a single-producer single-consumer ring of i32
// in plain JavaScript on a SharedArrayBuffer, one item per push and per pop (no batching).
//
//   byte   word   written by   meaning
//   0      HEAD   consumer     items popped so far (free-running, wraps at 2^32)
//   64     TAIL   producer     items pushed so far (free-running)
//   128..  slots  producer     capacity i32 slots; item n lives in slot n & (capacity - 1)
// Head and tail sit on their own 64-byte lines so the two sides do not share a line for their
// own index. Each side caches the other's index and re-reads it (Atomics.load) only when the
// cache says full/empty. publish: the producer writes the slot, then Atomics.store(TAIL); the
// consumer's Atomics.load(TAIL) that sees it makes the slot's write visible (and symmetrically
// HEAD frees the slot). Invariant: 0 <= TAIL - HEAD <= capacity.
// Waiting spins; after SPINS fruitless re-reads it sleeps 50 µs with a timed Atomics.wait (no
// notify on the fast path), so a descheduled peer on a busy 2-core machine does not leave the
// other side burning the only free core.
const HEAD = 0;
const TAIL = 16;
const DATA = 32;
export const SPINS = 4096;

export function createPlainRing(capacity) {
  if (!Number.isInteger(capacity) || capacity < 2 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`plain ring capacity must be a power of two >= 2, got ${capacity}`);
  }
  return new SharedArrayBuffer((DATA + capacity) * 4);
}

export class PlainRingProducer {
  constructor(sab) {
    this.w = new Int32Array(sab);
    this.capacity = this.w.length - DATA;
    this.mask = this.capacity - 1;
    this.tail = Atomics.load(this.w, TAIL);
    this.head = Atomics.load(this.w, HEAD); // cached
  }

  push(v) {
    const w = this.w;
    const tail = this.tail;
    if (((tail - this.head) | 0) === this.capacity) {
      let spins = 0;
      while (((tail - (this.head = Atomics.load(w, HEAD))) | 0) === this.capacity) {
        if (++spins === SPINS) {
          Atomics.wait(w, HEAD, this.head, 0.05);
          spins = 0;
        }
      }
    }
    w[DATA + (tail & this.mask)] = v;
    this.tail = (tail + 1) | 0;
    Atomics.store(w, TAIL, this.tail); // publish the slot
  }
}

export class PlainRingConsumer {
  constructor(sab) {
    this.w = new Int32Array(sab);
    this.capacity = this.w.length - DATA;
    this.mask = this.capacity - 1;
    this.head = Atomics.load(this.w, HEAD);
    this.tail = Atomics.load(this.w, TAIL); // cached
  }

  pop() {
    const w = this.w;
    const head = this.head;
    if (head === this.tail) {
      let spins = 0;
      while (head === (this.tail = Atomics.load(w, TAIL))) {
        if (++spins === SPINS) {
          Atomics.wait(w, TAIL, head, 0.05);
          spins = 0;
        }
      }
    }
    const v = w[DATA + (head & this.mask)];
    this.head = (head + 1) | 0;
    Atomics.store(w, HEAD, this.head); // free the slot
    return v;
  }
}
