// debug.ts — what a failed `assert` does in the core: trap.
//
// The core's invariants are checked with AssemblyScript's `assert(condition, message)`, which
// the release build compiles out (`noAssert`) and the debug and model builds keep (asconfig.json).
// A failed assert calls this function (bound with `--use abort=assembly/debug/coreAbort`), which
// traps: no host import, no allocation, nothing written to shared memory. The runtime turns a
// trap in the core into CorruptRegionError; the model harness reports it as a violation with
// the schedule that led to it; the stress suites run the debug build (SABRE_CORE_WASM, see
// src/region/core.ts), so an invariant broken under real threads stops the test at once.
export function coreAbort(message: string | null, file: string | null, line: u32, column: u32): void {
  unreachable();
}

// DEBUG: true in the debug and model builds, false in release (asconfig's `noAssert`). An
// invariant check is written `if (DEBUG) assert(condition, message)`: in release the whole
// statement is dead code, so a check that reads shared memory (an atomic load cannot be
// optimised away on its own) costs nothing there. Checks read only words the operation has
// already read or is about to write, so they add no scheduling point in the model builds
// beyond those the operation has.
export const DEBUG: bool = !ASC_NO_ASSERT;
