// core.ts — loads the AssemblyScript core and instantiates it once per (thread, memory).
//
// The wasm bytes are inlined in the bundle (src/core-wasm.generated.ts, written by
// scripts/build.mjs), so the core loads the same way in Node, in a bundler and in a browser,
// with no file or fetch API. The module is compiled once per thread (module-level cache: each
// thread has its own module scope) and instantiated once per shared memory (WeakMap), so every
// thread runs its own instance of the same code on the same bytes. The core keeps no mutable
// globals, so instances agree on everything (DESIGN.md, "The core").
import { CORE_WASM_BASE64 } from "./core-wasm.generated";
import * as L from "../../assembly/layout";
import { CorruptRegionError } from "../errors";
import { coreParkImports, type Parker } from "../wait/parker";

/** Exports of the compiled core (assembly/index.ts). Addresses are byte offsets in memory. */
export interface CoreExports {
  core_static_end(): number;
  // region & allocator (alloc.ts)
  region_init(sizeBytes: number, id: number): number;
  region_check(sizeBytes: number): number;
  region_new_agent(): number;
  region_id(): number;
  region_free_bytes(): number;
  region_used_blocks(): number;
  region_alloc(bytes: number, kind: number, mayBlock: number): number;
  region_free(payload: number, kind: number, mayBlock: number): number;
  region_block_kind(payload: number): number;
  region_block_bytes(payload: number): number;
  region_poison(): void;
  region_poisoned(): number;
  // mutex (mutex.ts)
  mutex_init(m: number): void;
  mutex_try_lock(m: number, agent: number): number;
  mutex_lock_step(m: number, agent: number, parked: number): number;
  /** a lock that parks in the core (the allocator's, the codec table's); Mutex runs lockSteps (src/sync/mutex.ts) */
  mutex_lock(m: number, agent: number, timeoutMs: number): number;
  mutex_unlock(m: number, agent: number): number;
  mutex_owner(m: number): number;
  mutex_recover(m: number, agent: number): number;
  mutex_consistent(m: number, agent: number): number;
  mutex_owner_died(m: number): number;
  mutex_holder_tracked(m: number): number;
  // parties and deaths (party.ts, death.ts)
  party_join(pid: number, thread: number, start: number): number;
  party_new_agent(agent: number): number;
  party_agent_dead(owner: number): number;
  party_slot(agent: number): number;
  party_is_current(agent: number): number;
  party_state(slot: number): number;
  party_pid(slot: number): number;
  party_thread(slot: number): number;
  party_start(slot: number): number;
  party_report(slot: number, crashed: number, mayBlock: number): number;
  // counting semaphore (semaphore.ts)
  sem_init(s: number, initial: number, max: number): number;
  sem_try_acquire(s: number, n: number): number;
  sem_acquire_step(s: number, n: number, parked: number): number;
  sem_acquire_cancel(s: number, n: number): number;
  sem_release(s: number, n: number): number;
  sem_count(s: number): number;
  sem_max(s: number): number;
  sem_waiters(s: number): number;
  // condition variable (condvar.ts)
  cv_init(cv: number): void;
  cv_wait_begin(cv: number, m: number, agent: number): number;
  cv_wait_end(cv: number): void;
  cv_signal(cv: number): void;
  cv_broadcast(cv: number): void;
  cv_waiters(cv: number): number;
  // barrier (barrier.ts)
  barrier_init(b: number, parties: number): number;
  barrier_arrive(b: number): number;
  barrier_wait_step(b: number, ticket: number, parked: number): number;
  barrier_wait_cancel(b: number, ticket: number): number;
  barrier_parties(b: number): number;
  barrier_arrived(b: number): number;
  barrier_generation(b: number): number;
  barrier_waiters(b: number): number;
  // readers-writer lock (rwlock.ts)
  rw_init(rw: number): void;
  rw_try_read(rw: number, agent: number): number;
  rw_read_step(rw: number, agent: number, parked: number): number;
  rw_read_cancel(rw: number): number;
  rw_read_unlock(rw: number): number;
  rw_try_write(rw: number, agent: number): number;
  rw_write_step(rw: number, agent: number, parked: number): number;
  rw_write_cancel(rw: number): number;
  rw_write_unlock(rw: number, agent: number): number;
  rw_readers(rw: number): number;
  rw_writer(rw: number): number;
  rw_waiters(rw: number): number;
  // further primitives add their exports here (see each assembly/*.ts header)
  // bounded MPMC ring of i32 (ring.ts); negative counts are -status; pop results are the
  // value, or RING_POP_STATUS + status
  ring_size_of(capacity: number): number;
  ring_init(r: number, capacity: number): number;
  ring_try_push(r: number, value: number): number;
  ring_try_pop(r: number): number;
  ring_push_step(r: number, value: number, parked: number): number;
  ring_push_cancel(r: number): number;
  ring_pop_step(r: number, parked: number): number;
  ring_pop_cancel(r: number): number;
  ring_push_spin(r: number, value: number): number;
  ring_pop_spin(r: number): number;
  ring_push_many(r: number, src: number, n: number): number;
  ring_pop_many(r: number, dst: number, max: number): number;
  ring_close(r: number): number;
  ring_closed(r: number): number;
  ring_len(r: number): number;
  ring_capacity(r: number): number;
  // SPSC byte ring of frames (bytering.ts); addresses > 0 or -status
  br_size_of(capacity: number): number;
  br_init(b: number, capacity: number): number;
  br_commit(b: number): number;
  br_reserve(b: number, len: number): number;
  br_space_step(b: number, len: number, parked: number): number;
  br_space_cancel(b: number): number;
  br_try_write(b: number, src: number, len: number): number;
  br_peek(b: number): number;
  br_frame_addr(b: number): number;
  br_release(b: number): number;
  br_read(b: number, dst: number, max: number): number;
  br_data_step(b: number, parked: number): number;
  br_data_cancel(b: number): number;
  // the channel's older forms of the same waits (assembly/bytering.ts header)
  br_reserve_step(b: number, len: number): number;
  br_close(b: number): number;
  br_closed(b: number): number;
  br_used(b: number): number;
  br_capacity(b: number): number;
  br_max_frame(b: number): number;
  // SPSC ring of fixed-size elements (spsc.ts); counts > 0 or -status; pops: the value, or NaN and spsc_pop_status
  spsc_size_of(capacity: number, type: number): number;
  spsc_init(r: number, capacity: number, type: number): number;
  spsc_write_claim(r: number, n: number): number;
  spsc_write_commit(r: number, k: number): number;
  spsc_push_many(r: number, src: number, n: number): number;
  spsc_try_push(r: number, value: number): number;
  spsc_space_step(r: number, want: number, parked: number): number;
  spsc_space_cancel(r: number): number;
  spsc_space_spin(r: number, want: number): number;
  spsc_read_claim(r: number, n: number): number;
  spsc_read_release(r: number, k: number): number;
  spsc_pop_many(r: number, dst: number, n: number): number;
  spsc_try_pop(r: number): number;
  spsc_pop_status(r: number): number;
  spsc_data_step(r: number, want: number, parked: number): number;
  spsc_data_cancel(r: number): number;
  spsc_data_spin(r: number, want: number): number;
  spsc_close(r: number): number;
  spsc_closed(r: number): number;
  spsc_len(r: number): number;
  spsc_capacity(r: number): number;
  spsc_type(r: number): number;
  // MPMC channel of messages (channel.ts); addresses > 0 or -status
  ch_size_of(ringBytes: number): number;
  ch_init(c: number, capacity: number, ringBytes: number): number;
  ch_wake_events(): void;
  ch_send_ready(c: number): number;
  ch_send_ready_step(c: number): number;
  ch_reserve(c: number, kind: number, total: number, len: number): number;
  ch_reserve_step(c: number, kind: number, total: number, len: number): number;
  ch_publish(c: number, first: number): number;
  ch_delivered(c: number, ticket: number): number;
  ch_delivered_step(c: number, ticket: number): number;
  ch_withdraw(c: number, first: number): number;
  ch_cancel(c: number, first: number): number;
  ch_cancel_step(c: number, first: number): number;
  ch_claim(c: number): number;
  ch_claim_step(c: number): number;
  ch_fragment(c: number, inMessage: number): number;
  ch_fragment_step(c: number, inMessage: number): number;
  ch_close(c: number): number;
  ch_mark_peer_gone(c: number): number;
  ch_release(c: number): number;
  ch_attach(c: number, agent: number): number;
  ch_host_attach(c: number, agent: number): number;
  ch_recover_send(c: number): number;
  ch_recover_recv(c: number, agent: number): number;
  ch_gone(c: number): number;
  ch_state(c: number): number;
  ch_len(c: number): number;
  ch_capacity(c: number): number;
  ch_recv_ready(c: number): number;
  ch_event_wait_begin(): void;
  ch_event_wait_end(): void;
  // fast paths: a single-fragment message in two calls (begin: address or -status; end)
  ch_send_begin(c: number, agent: number, len: number): number;
  ch_send_end(c: number, agent: number): number;
  ch_send_try(c: number, len: number): number;
  ch_recv_begin(c: number, agent: number): number;
  ch_recv_end(c: number, agent: number): number;
  // batch frames (several messages in one fragment; assembly/channel-fast.ts)
  ch_send_batch_try(c: number, n: number, len: number): number;
  ch_msg_addr(c: number): number;
  ch_msg_done(c: number): number;
  [name: string]: unknown;
}

let compiled: WebAssembly.Module | undefined;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Node only, for sabre's own tests: SABRE_CORE_WASM names a core file to load instead of the
 * inlined release build (the stress suites run build/sabre.debug.wasm, whose asserts are
 * compiled in). Read through process.getBuiltinModule, so no `node:` import is reachable from
 * the platform-neutral entry; elsewhere, or when unset, undefined.
 */
function coreFileOverride(): Uint8Array | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown } }).process;
  const file = proc?.env?.SABRE_CORE_WASM;
  if (!file || typeof proc?.getBuiltinModule !== "function") return undefined;
  const fs = proc.getBuiltinModule("fs") as { readFileSync(path: string): Uint8Array };
  return fs.readFileSync(file);
}

/** The compiled core module for this thread (compiled on first use, then cached). */
export function coreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module((coreFileOverride() ?? decodeBase64(CORE_WASM_BASE64)) as BufferSource);
  return compiled;
}

const instances = new WeakMap<WebAssembly.Memory, CoreExports>();

const now: () => number =
  typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/**
 * This thread's instance of the core on `memory` (instantiated on first use, then cached),
 * parking and waking through `parker` (the imports env.park / env.wake of assembly/atom.ts).
 * A memory has one parker per thread: the one its Region was made or attached with.
 */
export function coreFor(memory: WebAssembly.Memory, parker: Parker): CoreExports {
  let core = instances.get(memory);
  if (core) return core;
  const instance = new WebAssembly.Instance(coreModule(), { env: { memory, now, ...coreParkImports(parker, memory) } });
  core = instance.exports as unknown as CoreExports;
  if (core.core_static_end() > L.STATIC_LIMIT) {
    throw new CorruptRegionError(
      `the core's static data ends at ${core.core_static_end()}, above STATIC_LIMIT ${L.STATIC_LIMIT}: ` +
        "it would overwrite the region header; this is a build error in sabre",
    );
  }
  instances.set(memory, core);
  return core;
}
