// alloc.ts — the region header and the region allocator: thread-safe alloc/free of blocks.
//
// Algorithm: first-fit over an explicit, doubly linked free list with boundary tags
// (Knuth, TAOCP 2.5; the layout of dlmalloc's chunks), immediate coalescing on free, all
// under one futex mutex in the region header (RH_ALLOC_LOCK). Allocation is not a hot path:
// primitives and rings are allocated once and then used many times.
//
// Roles: any agent may alloc and free. A block is private to its allocator until its address
// is published (in a handle or another shared word); the lock's release publishes the block
// header writes.
//
// Block at address B (B % ALLOC_ALIGN == ALLOC_ALIGN - BLOCK_HEADER, so payloads are
// cache-line aligned), size S a multiple of ALLOC_ALIGN, S >= BLOCK_MIN:
//
//   B+0       B+4        B+8                                          B+S-4
//   +---------+----------+--------------------------------------------+---------+
//   | S|USED  | tag      | payload (S - BLOCK_OVERHEAD bytes)          | S|USED  |
//   +---------+----------+--------------------------------------------+---------+
//   free blocks: payload starts with next (B+8) and prev (B+12) free-block addresses
//
// Invariants (while the lock is free):
//   - blocks tile [heapStart, heapEnd) exactly; header == footer for every block;
//   - no two free blocks are adjacent (free coalesces both sides);
//   - the free list holds exactly the free blocks; RH_FREE_BYTES is the sum of their sizes,
//     RH_USED_BLOCKS the number of used blocks;
//   - a used block's tag is TAG_MAGIC | kind, a free block's tag is 0;
//   - boundary tags absorbed by coalescing are zeroed, so a stale address (double free,
//     use after free) never finds a used header. User bytes left in a free block could still
//     imitate one: this detects mistakes, it is not a defence against forged memory.
// Bad input (an address outside the heap, not a used block, or a different kind) returns
// CORRUPT / BAD_ARGUMENT and changes nothing.
//
// Poisoning: corrupt shared state (a free list overwritten by a stray write) can make a core
// call trap (memory access out of bounds) inside the heap lock, which would then stay held
// and hang every other agent's next alloc. The runtime catches the trap and calls
// region_poison: RH_POISONED is set for good, the heap lock is released whoever held it, and
// its waiters are woken. From then on the allocator refuses to work: region_alloc returns 0
// with region_poisoned() != 0, region_free returns CORRUPT, region_check CORRUPT.
import { load32, store32, add32, sub32, notify } from "./atom";
import {
  OK, CORRUPT, BAD_ARGUMENT, ANONYMOUS_AGENT,
  REGION_BASE, REGION_MAGIC, LAYOUT_VERSION, STATIC_LIMIT,
  RH_MAGIC, RH_VERSION, RH_SIZE, RH_ID, RH_HEAP_START, RH_HEAP_END, RH_NEXT_AGENT,
  RH_ALLOC_LOCK, RH_FREE_HEAD, RH_FREE_BYTES, RH_USED_BLOCKS, RH_MODEL_HEAP_HOLDERS, RH_POISONED, RH_PARTIES, PARTY_SLOTS, PARTY_SIZE,
  MUTEX_STATE, MUTEX_OWNER, MUTEX_UNLOCKED,
  ALLOC_ALIGN, BLOCK_HEADER, BLOCK_OVERHEAD, BLOCK_MIN, BLOCK_USED, BLOCK_SIZE_MASK,
  BLOCK_TAG, FREE_NEXT, FREE_PREV, HEAP_START, TAG_MAGIC, BLOCK_FOOTER,
} from "./layout";
import { mutex_init, mutex_try_lock, mutex_lock, mutex_unlock } from "./mutex";

// The allocator lock is held by ANONYMOUS_AGENT (never a real agent id), so any agent may take
// and release it; the mutex skips its relock (WOULD_DEADLOCK) check for that id. (Before it
// did, contention looked like "you already hold it" and let two agents in at once: found by
// the browser tests, where the main thread always spins.)

/** End of the core's static data; must be <= STATIC_LIMIT (checked by the runtime). */
export function core_static_end(): usize {
  return __heap_base;
}

/** Write a fresh header and one free block spanning the heap. Returns OK or BAD_ARGUMENT. */
export function region_init(sizeBytes: u32, id: u32): i32 {
  const h = <usize>REGION_BASE;
  if (__heap_base > <usize>STATIC_LIMIT) return CORRUPT;
  if (<usize>sizeBytes < <usize>(HEAP_START + BLOCK_MIN) || id == 0) return BAD_ARGUMENT;
  const heapStart = <u32>HEAP_START;
  const span = ((sizeBytes - heapStart) / ALLOC_ALIGN) * ALLOC_ALIGN;
  const heapEnd = heapStart + span;
  store32(h + RH_VERSION, LAYOUT_VERSION);
  store32(h + RH_SIZE, sizeBytes);
  store32(h + RH_ID, id);
  store32(h + RH_HEAP_START, heapStart);
  store32(h + RH_HEAP_END, heapEnd);
  store32(h + RH_NEXT_AGENT, 0);
  store32(h + RH_POISONED, 0);
  memory.fill(h + RH_PARTIES, 0, PARTY_SLOTS * PARTY_SIZE); // every party slot FREE
  mutex_init(h + RH_ALLOC_LOCK);
  writeBlock(heapStart, span, 0, 0);
  store<u32>(heapStart + FREE_NEXT, 0);
  store<u32>(heapStart + FREE_PREV, 0);
  store32(h + RH_FREE_HEAD, heapStart);
  store32(h + RH_FREE_BYTES, span);
  store32(h + RH_USED_BLOCKS, 0);
  // publish: the magic goes last; an attacher that sees it sees the whole header
  store32(h + RH_MAGIC, REGION_MAGIC);
  return OK;
}

/** Validate the header against the memory's byte length: OK or CORRUPT. */
export function region_check(sizeBytes: u32): i32 {
  const h = <usize>REGION_BASE;
  if (<usize>sizeBytes < <usize>(HEAP_START + BLOCK_MIN)) return CORRUPT;
  if (<u32>load32(h + RH_MAGIC) != REGION_MAGIC) return CORRUPT;
  if (load32(h + RH_VERSION) != LAYOUT_VERSION) return BAD_ARGUMENT;
  if (<u32>load32(h + RH_SIZE) != sizeBytes) return CORRUPT;
  const start = <u32>load32(h + RH_HEAP_START);
  const end = <u32>load32(h + RH_HEAP_END);
  if (start != <u32>HEAP_START || end > sizeBytes || end < start) return CORRUPT;
  if (load32(h + RH_POISONED) != 0) return CORRUPT;
  return OK;
}

/**
 * Marks the region poisoned (see "Poisoning") and releases the heap lock, whoever holds it,
 * waking every agent parked on it. Called by the runtime after a core call trapped.
 */
export function region_poison(): void {
  const lock = <usize>(REGION_BASE + RH_ALLOC_LOCK);
  store32(REGION_BASE + RH_POISONED, 1);
  store32(lock + MUTEX_OWNER, 0);
  store32(lock + MUTEX_STATE, MUTEX_UNLOCKED);
  notify(lock + MUTEX_STATE, i32.MAX_VALUE);
}

/** 1 once the region is poisoned, else 0. */
export function region_poisoned(): i32 {
  return load32(REGION_BASE + RH_POISONED);
}


export function region_id(): u32 { return <u32>load32(REGION_BASE + RH_ID); }
export function region_free_bytes(): u32 { return <u32>load32(REGION_BASE + RH_FREE_BYTES); }
export function region_used_blocks(): u32 { return <u32>load32(REGION_BASE + RH_USED_BLOCKS); }

/** Takes the heap lock: true once it is held; false (not held) when the region is poisoned. */
function lockHeap(mayBlock: i32): bool {
  const lock = <usize>(REGION_BASE + RH_ALLOC_LOCK);
  if (mayBlock) mutex_lock(lock, ANONYMOUS_AGENT, -1);
  // may not block (a browser main thread): the critical section is short, spin on it
  else while (mutex_try_lock(lock, ANONYMOUS_AGENT) != OK) {}
  // Model build only: count the holders with atomics (scheduling points), so that two agents
  // inside at once trap even though the section's plain loads and stores are not
  // scheduling points and would otherwise run as one step.
  if (isDefined(SABRE_MODEL)) {
    if (add32(REGION_BASE + RH_MODEL_HEAP_HOLDERS, 1) != 0) unreachable();
  }
  if (load32(REGION_BASE + RH_POISONED) == 0) return true;
  unlockHeap(); // poisoned meanwhile: pass the lock on to the next waiter, who sees it too
  return false;
}

function unlockHeap(): void {
  if (isDefined(SABRE_MODEL)) sub32(REGION_BASE + RH_MODEL_HEAP_HOLDERS, 1);
  mutex_unlock(REGION_BASE + RH_ALLOC_LOCK, ANONYMOUS_AGENT);
}

// @ts-ignore: decorator
@inline function writeBlock(b: u32, size: u32, used: u32, tag: u32): void {
  // invariant: blocks tile the heap in whole, aligned units (debug and model builds check)
  assert(size >= <u32>BLOCK_MIN && (size & <u32>(ALLOC_ALIGN - 1)) == 0, "block size not a multiple of ALLOC_ALIGN");
  assert(b >= <u32>HEAP_START && b + size <= load<u32>(REGION_BASE + RH_HEAP_END), "block outside the heap");
  store<u32>(b, size | used);
  store<u32>(b + BLOCK_TAG, tag);
  store<u32>(b + size - BLOCK_FOOTER, size | used);
}

// @ts-ignore: decorator
@inline function wipeHeader(b: u32): void {
  store<u32>(b, 0);
  store<u32>(b + BLOCK_TAG, 0);
}

function unlinkFree(b: u32): void {
  const next = load<u32>(b + FREE_NEXT);
  const prev = load<u32>(b + FREE_PREV);
  if (prev) store<u32>(prev + FREE_NEXT, next);
  else store<u32>(REGION_BASE + RH_FREE_HEAD, next);
  if (next) store<u32>(next + FREE_PREV, prev);
}

function pushFree(b: u32): void {
  const head = load<u32>(REGION_BASE + RH_FREE_HEAD);
  store<u32>(b + FREE_NEXT, head);
  store<u32>(b + FREE_PREV, 0);
  if (head) store<u32>(head + FREE_PREV, b);
  store<u32>(REGION_BASE + RH_FREE_HEAD, b);
}

/** The first free block of at least `need` bytes, 0 if none. Under the heap lock. */
// @ts-ignore: decorator
@inline function firstFit(need: u32): u32 {
  let b = load<u32>(REGION_BASE + RH_FREE_HEAD);
  while (b) {
    const size = load<u32>(b) & <u32>BLOCK_SIZE_MASK;
    if (size >= need) break;
    b = load<u32>(b + FREE_NEXT);
  }
  return b;
}

/**
 * Allocate a zeroed block of at least `bytes` payload bytes tagged with `kind`.
 * Returns the payload address (ALLOC_ALIGN aligned), or 0 when no free block is large enough
 * or the region is poisoned (region_poisoned tells which).
 * `mayBlock` = 0 spins instead of parking on the heap lock.
 */
export function region_alloc(bytes: u32, kind: i32, mayBlock: i32): usize {
  if (bytes > 0x7fff0000) return 0;
  let need = (bytes + BLOCK_OVERHEAD + ALLOC_ALIGN - 1) & <u32>BLOCK_SIZE_MASK;
  if (need < <u32>BLOCK_MIN) need = BLOCK_MIN;
  let b: u32;
  if (isDefined(SABRE_MODEL) && isDefined(SABRE_BUG_ALLOC_UNLOCKED_SEARCH)) {
    // Seeded bug, model bug build only (test/model/alloc.test.ts must find it): the free
    // list is searched before the lock is taken, so two agents can pick the same block.
    b = firstFit(need);
    if (!lockHeap(mayBlock)) return 0;
  } else {
    if (!lockHeap(mayBlock)) return 0;
    b = firstFit(need);
  }
  if (!b) { unlockHeap(); return 0; }
  const size = load<u32>(b) & <u32>BLOCK_SIZE_MASK;
  unlinkFree(b);
  let taken = size;
  if (size - need >= <u32>BLOCK_MIN) {
    const rest = b + need;
    writeBlock(rest, size - need, 0, 0);
    pushFree(rest);
    taken = need;
  }
  writeBlock(b, taken, BLOCK_USED, <u32>(TAG_MAGIC | kind));
  store<u32>(REGION_BASE + RH_FREE_BYTES, load<u32>(REGION_BASE + RH_FREE_BYTES) - taken);
  store<u32>(REGION_BASE + RH_USED_BLOCKS, load<u32>(REGION_BASE + RH_USED_BLOCKS) + 1);
  unlockHeap();
  const payload = <usize>(b + BLOCK_HEADER);
  memory.fill(payload, 0, taken - BLOCK_OVERHEAD);
  return payload;
}

/** The block at `payload` if it is a used block of the heap, else 0. Lock-free read. */
function usedBlockAt(payload: usize): u32 {
  const start = <usize>load32(REGION_BASE + RH_HEAP_START);
  const end = <usize>load32(REGION_BASE + RH_HEAP_END);
  if (payload < start + BLOCK_HEADER || payload >= end) return 0;
  if ((payload & (ALLOC_ALIGN - 1)) != 0) return 0;
  const b = <u32>(payload - BLOCK_HEADER);
  const word = <u32>load32(b);
  const size = word & <u32>BLOCK_SIZE_MASK;
  if (!(word & BLOCK_USED) || size < <u32>BLOCK_MIN || <usize>(b + size) > end) return 0;
  if (<u32>load32(b + size - BLOCK_FOOTER) != word) return 0;
  return b;
}

/** The kind of the used block at `payload`, or 0 if there is none (freed, foreign, corrupt). */
export function region_block_kind(payload: usize): i32 {
  const b = usedBlockAt(payload);
  if (!b) return 0;
  const tag = load32(b + BLOCK_TAG);
  if ((tag & 0xfff00000) != TAG_MAGIC) return 0;
  return tag & 0xfffff;
}

/** Usable payload bytes of the used block at `payload`, 0 if it is not one. */
export function region_block_bytes(payload: usize): u32 {
  const b = usedBlockAt(payload);
  return b ? (<u32>load32(b) & <u32>BLOCK_SIZE_MASK) - BLOCK_OVERHEAD : 0;
}

/** Free the block at `payload`, which must hold `kind`. OK, or CORRUPT with nothing changed
 *  (also when the region is poisoned). */
export function region_free(payload: usize, kind: i32, mayBlock: i32): i32 {
  if (!lockHeap(mayBlock)) return CORRUPT;
  let b = usedBlockAt(payload);
  if (!b || load<u32>(b + BLOCK_TAG) != <u32>(TAG_MAGIC | kind)) { unlockHeap(); return CORRUPT; }
  const start = load<u32>(REGION_BASE + RH_HEAP_START);
  const end = load<u32>(REGION_BASE + RH_HEAP_END);
  let size = load<u32>(b) & <u32>BLOCK_SIZE_MASK;
  store<u32>(REGION_BASE + RH_FREE_BYTES, load<u32>(REGION_BASE + RH_FREE_BYTES) + size);
  store<u32>(REGION_BASE + RH_USED_BLOCKS, load<u32>(REGION_BASE + RH_USED_BLOCKS) - 1);
  // Absorbed boundary tags are wiped, so that a stale handle into the merged block can never
  // look like a live block header again (double free and use-after-free are detected).
  const next = b + size;
  if (next < end && !(load<u32>(next) & BLOCK_USED)) {
    unlinkFree(next);
    store<u32>(b + size - BLOCK_FOOTER, 0);
    size += load<u32>(next) & <u32>BLOCK_SIZE_MASK;
    wipeHeader(next);
  }
  if (b > start) {
    const prevWord = load<u32>(b - BLOCK_FOOTER);
    if (!(prevWord & BLOCK_USED)) {
      const prev = b - (prevWord & <u32>BLOCK_SIZE_MASK);
      unlinkFree(prev);
      store<u32>(b - BLOCK_FOOTER, 0);
      wipeHeader(b);
      size += prevWord & <u32>BLOCK_SIZE_MASK;
      b = prev;
    }
  }
  writeBlock(b, size, 0, 0);
  pushFree(b);
  unlockHeap();
  return OK;
}
