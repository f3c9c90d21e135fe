// index.ts — the entry of the core: re-exports every primitive's functions and every layout
// constant (as immutable globals, so the runtime can check that TS and wasm agree on layout).
export * from "./layout";
export * from "./alloc";
export * from "./mutex";
export * from "./semaphore";
export * from "./condvar";
export * from "./barrier";
export * from "./rwlock";
export * from "./ring";
export * from "./bytering";
export * from "./spsc";
export * from "./channel";
export * from "./channel-fast";
export * from "./channel-recover";
export * from "./party";
export * from "./death";
import "./debug"; // coreAbort: what a failed assert does (bound by --use abort=...)
