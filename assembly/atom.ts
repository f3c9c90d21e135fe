// atom.ts — the ONE place in assembly/ where `atomic.` appears.
//
// Every shared-memory access of the core that must be atomic goes through these functions,
// so that a test build can route each of them to a scheduler (issue: schedule exploration),
// in the way tokio reaches its atomics through one module for loom. The release build
// inlines them to single `i32.atomic.*` / `memory.atomic.wait32` / `memory.atomic.notify`
// instructions; a test inspects the compiled module to keep it so.
//
// Contract:
//   - all functions take a byte address in the (shared) memory; i32 accesses must be
//     4-byte aligned, i64 accesses 8-byte aligned (wasm traps otherwise);
//   - every operation is sequentially consistent (wasm atomics are SC);
//   - `wait32` parks the calling agent while `load32(ptr) == expected`, for at most
//     `timeoutNs` nanoseconds (negative: forever), and returns a WAIT_* status;
//     it traps where the host forbids blocking (a browser main thread), so callers that may
//     run there use the non-blocking entry points instead;
//   - `notify` wakes at most `count` agents parked on `ptr` and returns how many it woke.
//   - `now` is the host's monotonic clock in milliseconds (imported, it only reads time).

// Host clock, imported: `performance.now()` on threads. Only read on slow (parking) paths.
@external("env", "now")
export declare function now(): f64;

// @ts-ignore: decorator
@inline export function load32(ptr: usize): i32 { return atomic.load<i32>(ptr); }
// @ts-ignore: decorator
@inline export function store32(ptr: usize, value: i32): void { atomic.store<i32>(ptr, value); }
// @ts-ignore: decorator
@inline export function add32(ptr: usize, delta: i32): i32 { return atomic.add<i32>(ptr, delta); }
// @ts-ignore: decorator
@inline export function sub32(ptr: usize, delta: i32): i32 { return atomic.sub<i32>(ptr, delta); }
// @ts-ignore: decorator
@inline export function or32(ptr: usize, bits: i32): i32 { return atomic.or<i32>(ptr, bits); }
// @ts-ignore: decorator
@inline export function and32(ptr: usize, bits: i32): i32 { return atomic.and<i32>(ptr, bits); }
// @ts-ignore: decorator
@inline export function xchg32(ptr: usize, value: i32): i32 { return atomic.xchg<i32>(ptr, value); }
/** Compare-and-swap: returns the value seen; success iff it equals `expected`. */
// @ts-ignore: decorator
@inline export function cas32(ptr: usize, expected: i32, replacement: i32): i32 {
  return atomic.cmpxchg<i32>(ptr, expected, replacement);
}

// @ts-ignore: decorator
@inline export function wait32(ptr: usize, expected: i32, timeoutNs: i64): i32 {
  return <i32>atomic.wait<i32>(ptr, expected, timeoutNs);
}
// @ts-ignore: decorator
@inline export function notify(ptr: usize, count: i32): i32 { return atomic.notify(ptr, count); }
