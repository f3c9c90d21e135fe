// atom.ts — the ONE place in assembly/ where `atomic.` appears.
//
// Every shared-memory access of the core that must be atomic goes through these functions,
// so that a test build can route each of them to a scheduler (test/model),
// in the way tokio reaches its atomics through one module for loom. The release build
// inlines them to single `i32.atomic.*` instructions, and wait/notify to the imported park/wake
// of the region's Parker (below); a test inspects the compiled module to keep it so.
//
// Contract:
//   - all functions take a byte address in the (shared) memory; i32 accesses must be
//     4-byte aligned, i64 accesses 8-byte aligned (wasm traps otherwise);
//   - every operation is sequentially consistent (wasm atomics are SC);
//   - `wait32` parks the calling agent while `load32(ptr) == expected`, for at most
//     `timeoutNs` nanoseconds (negative: forever), and returns a WAIT_* status;
//     it throws where the host forbids blocking (a browser main thread), so callers that may
//     run there use the non-blocking entry points instead;
//   - `notify` wakes at most `count` agents parked on `ptr` and returns how many it woke.
//   - `now` is the host's monotonic clock in milliseconds (imported, it only reads time).
//   - `spinOn` asks the region's Parker whether a timed spin should go on (imported as
//     `env.spin`; 1 go on, 0 park now: the parker found the machine oversubscribed, where a
//     spinner only delays its peer). The model build never spins on time and imports nothing.
//
// Parking is the region's, not the core's (DESIGN.md, "Seams": Parker). The release build
// reaches parking and waking through two imported functions, `env.park(ptr, expected,
// timeoutMs)` and `env.wake(ptr, count)`, bound when the core is instantiated on a region to
// that region's Parker (src/wait/parker.ts): Atomics.wait/notify for memory shared between
// threads, a futex for file-backed memory shared between processes (V8's wait and notify,
// wasm's memory.atomic.wait32/notify included, never cross a process). One build serves every
// parker; the cost is a wasm-to-JS call on the park and wake paths only, which run when a
// waiter is registered and cost a futex system call anyway. Every other operation here is a
// single `i32.atomic.*` instruction (a test inspects the compiled module to keep it so).
//
// The core parks only inside short internal locks (the allocator's); every multi-phase
// operation a user waits on (lock, acquire, push, send, ...) is a step export that returns
// WOULD_BLOCK, and the runtime's step machines (src/wait/steps.ts) park on the same word
// through the same Parker.
//
// Model build (asconfig target `model`, `--use SABRE_MODEL=1`; test/model): every operation
// first calls the imported yield point `model.yield(op, ptr)` (op = one of the MODEL_OP_*
// codes below), so that a scheduler decides which virtual thread performs the next atomic
// step; `wait32` becomes the imported `model.wait` (compare-and-block in the scheduler) and
// `notify` the imported `model.notify`. Binaryen's asyncify makes `model.yield` and
// `model.wait` able to suspend and resume an instance. `isDefined(SABRE_MODEL)` is decided
// at compile time: the release build contains no model import and no extra instruction
// (test/unit/core.test.ts checks its import list).

// Host clock, imported: `performance.now()` on threads, virtual time in the model build.
// Only read on slow (parking) paths.
@external("env", "now")
export declare function now(): f64;

// The region's Parker, imported (release and debug builds; see the header).
// @ts-ignore: decorator
@external("env", "park") declare function hostPark(ptr: usize, expected: i32, timeoutMs: f64): i32;
// @ts-ignore: decorator
@external("env", "wake") declare function hostWake(ptr: usize, count: i32): i32;
// @ts-ignore: decorator
@external("env", "spin") declare function hostSpin(): i32;

/** Whether a timed spin should go on (see the contract); always in the model build. */
// @ts-ignore: decorator
@inline export function spinOn(): bool {
  if (isDefined(SABRE_MODEL)) return true;
  return hostSpin() != 0;
}

// ---- model build only: the yield points (never imported by the release build) ---------
export const MODEL_OP_LOAD = 1;
export const MODEL_OP_STORE = 2;
export const MODEL_OP_ADD = 3;
export const MODEL_OP_SUB = 4;
export const MODEL_OP_OR = 5;
export const MODEL_OP_AND = 6;
export const MODEL_OP_XCHG = 7;
export const MODEL_OP_CAS = 8;
export const MODEL_OP_NOTIFY = 9;

// @ts-ignore: decorator
@external("model", "yield") declare function modelYield(op: i32, ptr: usize): void;
// @ts-ignore: decorator
@external("model", "wait") declare function modelWait(ptr: usize, expected: i32, timeoutNs: i64): i32;
// @ts-ignore: decorator
@external("model", "notify") declare function modelNotify(ptr: usize, count: i32): i32;

// @ts-ignore: decorator
@inline export function load32(ptr: usize): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_LOAD, ptr);
  return atomic.load<i32>(ptr);
}
// @ts-ignore: decorator
@inline export function store32(ptr: usize, value: i32): void {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_STORE, ptr);
  atomic.store<i32>(ptr, value);
}
// @ts-ignore: decorator
@inline export function add32(ptr: usize, delta: i32): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_ADD, ptr);
  return atomic.add<i32>(ptr, delta);
}
// @ts-ignore: decorator
@inline export function sub32(ptr: usize, delta: i32): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_SUB, ptr);
  return atomic.sub<i32>(ptr, delta);
}
// @ts-ignore: decorator
@inline export function or32(ptr: usize, bits: i32): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_OR, ptr);
  return atomic.or<i32>(ptr, bits);
}
// @ts-ignore: decorator
@inline export function and32(ptr: usize, bits: i32): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_AND, ptr);
  return atomic.and<i32>(ptr, bits);
}
// @ts-ignore: decorator
@inline export function xchg32(ptr: usize, value: i32): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_XCHG, ptr);
  return atomic.xchg<i32>(ptr, value);
}
/** Compare-and-swap: returns the value seen; success iff it equals `expected`. */
// @ts-ignore: decorator
@inline export function cas32(ptr: usize, expected: i32, replacement: i32): i32 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_CAS, ptr);
  return atomic.cmpxchg<i32>(ptr, expected, replacement);
}

// The 64-bit forms serve words whose two halves must change together in one atomic step (the
// channel's COUNT and SENT: see channel.ts). 8-byte aligned.
// @ts-ignore: decorator
@inline export function load64(ptr: usize): i64 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_LOAD, ptr);
  return atomic.load<i64>(ptr);
}
// @ts-ignore: decorator
@inline export function store64(ptr: usize, value: i64): void {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_STORE, ptr);
  atomic.store<i64>(ptr, value);
}
// @ts-ignore: decorator
@inline export function add64(ptr: usize, delta: i64): i64 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_ADD, ptr);
  return atomic.add<i64>(ptr, delta);
}
// @ts-ignore: decorator
@inline export function xchg64(ptr: usize, value: i64): i64 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_XCHG, ptr);
  return atomic.xchg<i64>(ptr, value);
}
/** Compare-and-swap of 8 bytes: returns the value seen; success iff it equals `expected`. */
// @ts-ignore: decorator
@inline export function cas64(ptr: usize, expected: i64, replacement: i64): i64 {
  if (isDefined(SABRE_MODEL)) modelYield(MODEL_OP_CAS, ptr);
  return atomic.cmpxchg<i64>(ptr, expected, replacement);
}

// @ts-ignore: decorator
@inline export function wait32(ptr: usize, expected: i32, timeoutNs: i64): i32 {
  if (isDefined(SABRE_MODEL)) {
    // the scheduler compares and blocks (a yield point of its own)
    return modelWait(ptr, expected, timeoutNs);
  } else {
    return hostPark(ptr, expected, timeoutNs < 0 ? -1.0 : <f64>timeoutNs / 1e6);
  }
}
// @ts-ignore: decorator
@inline export function notify(ptr: usize, count: i32): i32 {
  if (isDefined(SABRE_MODEL)) {
    modelYield(MODEL_OP_NOTIFY, ptr);
    return modelNotify(ptr, count);
  } else {
    return hostWake(ptr, count);
  }
}
