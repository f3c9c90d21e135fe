// region.ts — Region: a shared WebAssembly.Memory with a validated header and an allocator.
//
// A region is the unit of sharing: every primitive lives inside one, and a region's `handle`
// (a plain object holding the memory) crosses to worker threads and Web Workers by
// postMessage or workerData. The receiver calls `Region.from(handle)`, which validates the
// header and gives that thread its own instance of the core on the same memory, plus its own
// agent id (the owner id its locks record). Layout: assembly/layout.ts; allocator: alloc.ts.
//
// Each Region owns the Parker through which every wait on its memory parks and every wake is
// delivered (src/wait/parker.ts): the core's (bound at instantiation) and the runtime's step
// drivers'. The parking kind is fixed at creation and travels in the handle, so every thread
// attached to a region parks the same way.
//
// Poisoning: the allocator's core calls walk shared pointers, so corrupt shared state (a stray
// write over the free list) can make them trap while they hold the heap lock. The Region
// catches such a trap (a WebAssembly.RuntimeError), poisons the region (region_poison in
// assembly/alloc.ts: a flag word in the header, the heap lock released and its waiters woken)
// and throws CorruptRegionError; every allocation or free waiting for the lock, and every
// later one on any thread, throws CorruptRegionError too, and Region.from refuses the region.
import * as L from "../../assembly/layout";
import { coreFor, type CoreExports } from "./core";
import type { WasmMemory } from "../globals";
import {
  CorruptRegionError, ForeignHandleError, InvalidArgumentError, LayoutVersionError, RegionFullError,
} from "../errors";
import { blockingAllowed } from "../wait/wait";
import { parkerFor, type Parker, type ParkingKind } from "../wait/parker";
import { requireCrossOriginIsolation } from "../browser/isolation";
import { checkOptionKeys, describeValue } from "../options";

const PAGE = 65536;
/** Largest region: 1 GiB keeps every address a positive i32 on both sides of the boundary. */
export const MAX_REGION_BYTES = 1 << 30;
const DEFAULT_REGION_BYTES = 1 << 20;

/** The structured-cloneable identity of a region. */
export interface RegionHandle {
  /** The handle's kind, always "region". */
  readonly __sabre: "region";
  /** The region's shared memory: posting it to a worker shares the same bytes. */
  readonly memory: WasmMemory;
  /** Identifies the region among the regions of this process (diagnostics). */
  readonly id: number;
  /** How agents park on the region's words (absent in handles of older builds: "atomics";
   *  "futex" for sabre/node's file-backed regions, attachable once 'sabre/node' is loaded). */
  readonly parking?: ParkingKind | "futex";
}

/** Options of {@link Region.create}. */
export interface RegionOptions {
  /** Heap bytes wanted for primitives and buffers (default 1 MiB, at most 1 GiB). */
  size?: number;
  /**
   * How waits park (default "atomics": Atomics.wait / waitAsync / notify, for threads).
   * "polling" re-reads the waited word with backoff (0.05 ms doubling to 20 ms) and needs no
   * wake-ups: slower to react, for memory that Atomics cannot wake across.
   */
  parking?: ParkingKind;
}

const PARKING_KINDS: readonly ParkingKind[] = ["atomics", "polling"];

const attached = new WeakMap<WebAssembly.Memory, Region>();

/**
 * Who this thread is, as recorded in the party table of every region it attaches
 * (assembly/party.ts): its process id (0 where there is none), a thread id within the process
 * (sabre/node sets Node's threadId; elsewhere a random id), and the process's start time
 * (sabre/node: processStart, which pins the pid against reuse; 0 unknown).
 */
export interface PartyIdentity {
  readonly pid: number;
  readonly thread: number;
  readonly start: number;
}

let identity: PartyIdentity = {
  pid: (globalThis as { process?: { pid?: unknown } }).process?.pid as number ?? 0,
  thread: 0x40000000 + ((Math.random() * 0x3fffffff) | 0),
  start: 0,
};

/** @internal Sets this thread's identity (sabre/node, at load: before any region is attached). */
export function setPartyIdentity(id: PartyIdentity): void {
  identity = id;
}

/** @internal This thread's identity (see PartyIdentity). */
export function partyIdentity(): PartyIdentity {
  return identity;
}

/** @internal A fresh region id: random, never 0 (the id a handle is checked against). */
export function freshRegionId(): number {
  let id = 0;
  while (id === 0) id = (Math.random() * 0x7fffffff) | 0;
  return id;
}

/** @internal Bytes of memory for a region of `heap` heap bytes: the header up to HEAP_START, the
 *  heap, the allocator's alignment slack, in whole 64 KiB wasm pages. */
export function regionMemoryBytes(heap: number): number {
  return Math.ceil((L.HEAP_START + heap + L.ALLOC_ALIGN) / PAGE) * PAGE;
}

/** Every region attached on this thread (weakly), for death reports (reportPartyEnd). */
const knownRegions = new Set<WeakRef<Region>>();

/**
 * @internal Reports that the parties of process `pid` (thread `thread`, or every thread of it
 * when undefined) ended, `crashed` or cleanly, in every region attached on this thread: their
 * locks are recovered and the side rules of their channels and mailboxes applied
 * (assembly/death.ts). Returns how many parties this call found alive and marked.
 */
export function reportPartyEnd(pid: number, thread: number | undefined, crashed: boolean): number {
  let marked = 0;
  for (const ref of [...knownRegions]) {
    const region = ref.deref();
    if (!region) {
      knownRegions.delete(ref);
      continue;
    }
    if (!intact(region)) continue; // its file shrank: never touch it
    marked += region.reportEnd((slot) => region.core.party_pid(slot) === pid && (thread === undefined || region.core.party_thread(slot) === thread), crashed);
  }
  return marked;
}

/** Per memory whose file can shrink under it (a named file-backed region): whether the file
 *  still holds every mapped byte. The walks over every region (party reports, the liveness
 *  sweep) skip one that fails: touching a lost page would raise SIGBUS. */
const intactChecks = new WeakMap<object, () => boolean>();

/** @internal Registers the check above for `memory` (sabre/node's file-backed regions). */
export function setIntactCheck(memory: object, isIntact: () => boolean): void {
  intactChecks.set(memory, isIntact);
}

function intact(region: Region): boolean {
  return intactChecks.get(region.memory)?.() !== false;
}

/** @internal Every region attached on this thread whose memory may be read (see intactChecks). */
export function attachedRegions(): Region[] {
  const out: Region[] = [];
  for (const ref of knownRegions) {
    const region = ref.deref();
    if (!region) knownRegions.delete(ref);
    else if (intact(region)) out.push(region);
  }
  return out;
}

/** Parkers of kinds other platforms' modules add (sabre/node: "futex"), by kind. */
const parkingFactories = new Map<string, (memory: WebAssembly.Memory) => Parker>();

const KIND_NAMES: Record<number, string> = {
  [L.KIND_RAW]: "raw block", [L.KIND_MUTEX]: "Mutex", [L.KIND_SEMAPHORE]: "Semaphore",
  [L.KIND_CONDVAR]: "CondVar", [L.KIND_BARRIER]: "Barrier", [L.KIND_RWLOCK]: "RwLock",
  [L.KIND_RING]: "RingBuffer", [L.KIND_BYTERING]: "ByteRing", [L.KIND_CHANNEL]: "Channel",
  [L.KIND_CODEC_TABLE]: "codec table", [L.KIND_MAILBOX]: "Mailbox",
  [L.KIND_SPSC]: "SpscRing",
};

/** @internal Throws InvalidArgumentError unless `region` is a Region (`what` names the call). */
export function expectRegion(region: unknown, what: string): asserts region is Region {
  if (!(region instanceof Region)) {
    throw new InvalidArgumentError(`${what} expects a Region (made by Region.create or Region.from), got ${describeValue(region)}`);
  }
}

const REGION_OPTION_KEYS: readonly string[] = ["size", "parking"];

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

/**
 * A shared `WebAssembly.Memory` with a validated header and a thread-safe allocator, in which every
 * other primitive lives. Create one with {@link Region.create}, send its {@link Region.handle |
 * handle} to another thread, and attach there with {@link Region.from}; each thread runs its own
 * instance of the core on the same bytes. Regions do not grow: choose `size` up front.
 */
export class Region {
  /** @internal This thread's instance of the core on this region's memory. */
  readonly core: CoreExports;
  /** @internal The memory's bytes as 32-bit words, for async parking on the core's words. */
  readonly words: Int32Array;
  /** @internal This thread's agent id in this region (recorded as lock owner; never 0). */
  readonly agent: number;
  /**
   * The structured-cloneable handle: post it to a worker (or put it in `workerData`) and call
   * `Region.from` there.
   */
  readonly handle: RegionHandle;
  /** @internal How this region's waits park and wakes are delivered (one per region per thread). */
  readonly parker: Parker;

  /** @param memory The region's shared memory, the same bytes in every thread attached to it. */
  private constructor(readonly memory: WasmMemory, id: number, parker: Parker, core: CoreExports) {
    this.parker = parker;
    this.core = core;
    this.words = new Int32Array(memory.buffer);
    this.agent = this.core.party_join(identity.pid, identity.thread, identity.start);
    knownRegions.add(new WeakRef(this));
    this.handle = Object.freeze({ __sabre: "region" as const, memory, id, parking: parker.kind as ParkingKind | "futex" });
  }

  /** @internal A fresh agent id in this region (async operations hold locks under their own). */
  newAgent(): number {
    return this.core.party_new_agent(this.agent);
  }

  /**
   * @internal Reports the end of every LIVE party of this region that `match`es (by slot):
   * party_report, which recovers what they held (assembly/death.ts). Returns how many.
   */
  reportEnd(match: (slot: number) => boolean, crashed: boolean): number {
    let marked = 0;
    for (let slot = 1; slot < L.PARTY_SLOTS; slot++) {
      if (this.core.party_state(slot) !== L.PARTY_LIVE || !match(slot)) continue;
      marked += this.core.party_report(slot, crashed ? 1 : 0, blockingAllowed ? 1 : 0);
    }
    return marked;
  }

  /**
   * Creates a new region with at least `size` bytes of heap. In a browser page that is not
   * cross-origin isolated, throws CrossOriginIsolationError naming the headers to send.
   */
  static create(options: RegionOptions = {}): Region {
    requireCrossOriginIsolation("Region.create");
    checkOptionKeys("Region.create", options, REGION_OPTION_KEYS);
    const size = options.size ?? DEFAULT_REGION_BYTES;
    const parking = options.parking ?? "atomics";
    if (!PARKING_KINDS.includes(parking)) {
      throw new InvalidArgumentError(`Region.create: parking must be one of ${PARKING_KINDS.map((k) => `"${k}"`).join(", ")}, got ${describeValue(parking)}`);
    }
    if (!Number.isInteger(size) || size < L.BLOCK_MIN || size > MAX_REGION_BYTES - L.HEAP_START) {
      throw new InvalidArgumentError(
        `Region size must be an integer from ${L.BLOCK_MIN} to ${MAX_REGION_BYTES - L.HEAP_START} bytes, got ${describeValue(size)}`,
      );
    }
    const pages = regionMemoryBytes(size) / PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return Region.over(memory, parkerFor(parking, memory), freshRegionId());
  }

  /** Attaches to a region from its handle (cached: one Region per memory per thread). */
  static from(handle: RegionHandle): Region {
    const memory = (handle as { memory?: unknown } | null)?.memory;
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new ForeignHandleError("Region.from expects a region handle ({ memory, id }) as made by region.handle");
    }
    requireCrossOriginIsolation("Region.from");
    const known = attached.get(memory);
    if (known) {
      if (known.handle.id !== handle.id) throw foreignId(handle.id, known.handle.id);
      return known;
    }
    const buffer = memory.buffer as ArrayBufferLike;
    if (Object.prototype.toString.call(buffer) !== "[object SharedArrayBuffer]") {
      throw new CorruptRegionError("Region.from: the memory is not shared; regions are made by Region.create");
    }
    const parking = handle.parking ?? "atomics";
    const factory = parkingFactories.get(parking);
    if (!factory && !PARKING_KINDS.includes(parking as ParkingKind)) {
      throw new ForeignHandleError(
        `Region.from: the handle's parking kind ${String(parking)} is not one of ${[...PARKING_KINDS, ...parkingFactories.keys()].join(", ")}` +
          (parking === "futex" ? " (a file-backed region: import 'sabre/node' in this thread before attaching)" : ""),
      );
    }
    const parker = factory ? factory(memory) : parkerFor(parking as ParkingKind, memory);
    const region = Region.over(memory, parker);
    if (region.handle.id !== handle.id) throw foreignId(handle.id, region.handle.id);
    return region;
  }

  /**
   * @internal A Region over `memory` parking through `parker`, for memory a platform module
   * provides (sabre/node's file-backed regions). With `id`, writes a fresh header (the memory
   * must be zero); without, validates the header there. Cached like Region.from.
   */
  static over(memory: WebAssembly.Memory, parker: Parker, id?: number): Region {
    const known = attached.get(memory);
    if (known) return known;
    const buffer = memory.buffer as ArrayBufferLike;
    const core = coreFor(memory, parker);
    if (id !== undefined) {
      const status = core.region_init(buffer.byteLength, id);
      if (status !== L.OK) throw new CorruptRegionError(`region_init failed with status ${status}`);
      const region = new Region(memory, id, parker, core);
      attached.set(memory, region);
      return region;
    }
    const status = core.region_check(buffer.byteLength);
    if (status === L.BAD_ARGUMENT) {
      const version = new Uint32Array(memory.buffer, L.REGION_BASE + L.RH_VERSION, 1)[0];
      throw new LayoutVersionError(
        `region has layout version ${version}, this sabre reads version ${L.LAYOUT_VERSION}; use the same sabre version on both sides`,
      );
    }
    if (status !== L.OK && core.region_poisoned() !== 0) throw poisoned("Region.from");
    if (status !== L.OK) {
      throw new CorruptRegionError("Region.from: the memory holds no valid sabre region header (wrong memory, or overwritten)");
    }
    const region = new Region(memory, core.region_id(), parker, core);
    attached.set(memory, region);
    return region;
  }

  /** This thread's per-region resources, released by [Symbol.dispose] (Region.onDispose). */
  readonly #releasers = new Set<(region: Region) => void>();

  /** @internal Registers `release` (once per function) to run when this thread's Region is disposed. */
  onDispose(release: (region: Region) => void): void {
    this.#releasers.add(release);
  }

  /**
   * `using region = Region.create()` (or `Region.from(handle)`): at the end of the scope,
   * releases what THIS thread holds in the region — today, the reply inboxes that
   * request/requestAsync made (Mailbox.freeReplyInboxes), and for a named region of 'sabre/node'
   * the file descriptor it keeps open to check its file. It frees nothing shared and unmaps
   * nothing (a WebAssembly.Memory cannot be unmapped; its bytes go when no thread references
   * them): other threads, and primitives made here, keep working, and the Region stays
   * usable (a later request makes new inboxes). Throws, as freeReplyInboxes does, while an
   * async request still waits for its reply. Idempotent.
   */
  [Symbol.dispose](): void {
    for (const release of [...this.#releasers]) {
      release(this);
      this.#releasers.delete(release);
    }
  }

  /** @internal Lets Region.from attach handles whose parking kind a platform module adds. */
  static registerParking(kind: string, make: (memory: WebAssembly.Memory) => Parker): void {
    parkingFactories.set(kind, make);
  }

  /** Bytes of memory in the region (header and heap). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }
  /** Bytes in free blocks (a racy snapshot). */
  get freeBytes(): number {
    return this.core.region_free_bytes();
  }
  /** Number of allocated blocks (a racy snapshot). */
  get usedBlocks(): number {
    return this.core.region_used_blocks();
  }

  /** Allocates `bytes` zeroed bytes; returns their offset (64-byte aligned). */
  alloc(bytes: number): number {
    return this.allocate(L.KIND_RAW, bytes, "Region.alloc");
  }
  /** Frees a block from `alloc`; a wrong offset throws and changes nothing. */
  free(offset: number): void {
    this.release(L.KIND_RAW, offset, "Region.free");
  }
  /** A view of `length` bytes at `offset` (an offset from `alloc`). */
  bytes(offset: number, length: number): Uint8Array {
    const usable = this.core.region_block_bytes(offset);
    if (usable === 0 || !Number.isInteger(length) || length < 0 || length > usable) {
      throw new InvalidArgumentError(`Region.bytes: ${length} bytes at ${offset} is not inside an allocated block`);
    }
    return new Uint8Array(this.memory.buffer, offset, length);
  }

  /** @internal Allocates a block for a primitive of `kind`. */
  allocate(kind: number, bytes: number, what: string): number {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_REGION_BYTES) {
      throw new InvalidArgumentError(`${what}: byte count must be a non-negative integer, got ${describeValue(bytes)}`);
    }
    const offset = this.#allocator(what, () => this.core.region_alloc(bytes, kind, blockingAllowed ? 1 : 0));
    if (offset === 0) {
      if (this.core.region_poisoned() !== 0) throw poisoned(what);
      throw new RegionFullError(
        `${what}: no free block of ${bytes} bytes in the region (${this.freeBytes} bytes free in all); create a larger region`,
      );
    }
    return offset;
  }

  /** @internal Frees a primitive's block; CORRUPT means it was not a live block of `kind`. */
  release(kind: number, offset: number, what: string): void {
    const status = this.#allocator(what, () => this.core.region_free(offset, kind, blockingAllowed ? 1 : 0));
    if (status !== L.OK) {
      if (this.core.region_poisoned() !== 0) throw poisoned(what);
      throw new ForeignHandleError(`${what}: offset ${offset} is not a live ${kindName(kind)} of this region (already freed?)`);
    }
  }

  /** Runs an allocator call; a trap in it poisons the region (see "Poisoning") and throws. */
  #allocator(what: string, run: () => number): number {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      this.core.region_poison();
      throw poisoned(what, error);
    }
  }

  /** @internal Throws unless `offset` holds a live block of `kind`. */
  expectKind(kind: number, offset: number, what: string): void {
    const found = Number.isInteger(offset) ? this.core.region_block_kind(offset) : 0;
    if (found !== kind) {
      throw new ForeignHandleError(
        `${what}: the handle points at ${found ? `a ${kindName(found)}` : "no live block"}, not a ${kindName(kind)}; ` +
          "was it freed, or made in another region?",
      );
    }
  }
}

function poisoned(what: string, trap?: Error): CorruptRegionError {
  const why = trap ? `the core trapped on the region's shared state (${trap.message})` : "the region is poisoned";
  return new CorruptRegionError(
    `${what}: ${why}: its allocator state is corrupt (a stray write into region memory?); ` +
      "the region can no longer allocate or free, and no thread may attach it; create a new region",
    trap ? { cause: trap } : undefined,
  );
}

function foreignId(got: number, want: number): ForeignHandleError {
  return new ForeignHandleError(`region handle id ${got} does not match the region in its memory (id ${want}); the handle is stale or forged`);
}
