// node/file-region.ts — regions backed by a shared file, so that separate processes share them.
//
//   createRegion({ name, size })   a named region: /dev/shm/sabre-<name>, created O_EXCL, mode
//                                  0600; any process of the same user opens it by name
//   openRegion(name)               attaches to a named region (header checked before mapping)
//   removeRegion(name)             removes the name; processes that mapped it keep the memory
//   createRegion({ size })         an anonymous region (a sealed memfd) for this process and the
//                                  children it starts with spawnProcess (the fd is inherited)
//
// Memory: a WebAssembly.Memory of the region's size (initial = maximum) whose bytes from
// REGION_BASE to the end are replaced by a MAP_SHARED mapping of the file at the same offsets
// (native mapWindow). The file mirrors the memory byte for byte; its first REGION_BASE bytes
// are never mapped, because the core's static data (below STATIC_LIMIT) is rewritten by every
// instantiation in every process, so it stays private. The region parks through FutexParker.
//
// Attaching (openRegion, and the child side of spawnProcess) checks, BEFORE mapping anything —
// a mapping of a file shorter than the memory raises SIGBUS on the first touch of the missing
// pages and kills the process:
//   - the file: a regular file, owned by this user, no group or other permission bits
//     (RegionPermissionError); a memfd from a parent: sealed against shrink and grow;
//   - its header (read with pread): magic, layout version (LayoutVersionError), a size that is
//     a whole number of wasm pages, and a file at least that long (CorruptRegionError).
// Then the core validates the mapped header as Region.from does.
//
// Threat model: a named region can be opened by processes of the same uid only (0600, O_EXCL,
// O_NOFOLLOW); such a process can also truncate the file after another has mapped it, and the
// mapper then dies of SIGBUS. Share named regions only with processes you trust as yourself;
// regions passed to children are sealed memfds, which nobody can truncate.
//
// Open files: a process keeps the file of each named region it mapped open (one fd per
// createRegion/openRegion), so that the walks over every region (death reports, the liveness
// sweep; region.ts, "intactChecks") can fstat the very file behind the mapping: a removed name
// (removeRegion) leaves the file and the mapping whole, and its walks go on (a party that dies
// after the removal is still recovered); a file truncated below the mapping is skipped (its lost
// pages would raise SIGBUS). The fd is closed when the Region is disposed (`using`, or
// region[Symbol.dispose]()) or its memory is collected; after that the check goes by the name
// in /dev/shm, and a removed name stops the walks. An anonymous region's memfd stays open while
// its memory lives (children inherit it); it is sealed, so it needs no check.
//
// Names: 1..200 characters of [A-Za-z0-9._-], no "..": never a path.
import * as L from "../../assembly/layout";
import { CorruptRegionError, InvalidArgumentError, LayoutVersionError } from "../errors";
import { MAX_REGION_BYTES, Region, freshRegionId, regionMemoryBytes, setIntactCheck } from "../region/region";
import { readSync, statSync } from "node:fs";
import { FutexParker } from "./futex-parker";
import { sweepRegion } from "./liveness";
import { RegionExistsError, RegionNotFoundError, RegionPermissionError } from "./errors";
import { nativeAddon, type NativeAddon } from "./native";

const PAGE = 65536;
const DEFAULT_REGION_BYTES = 1 << 20;
const NAME = /^[A-Za-z0-9._-]{1,200}$/;
/** File names of named regions under /dev/shm: this prefix, then the region's name. */
export const SHM_PREFIX = "sabre-";

/** Options of createRegion: a file-backed region, named or anonymous, that other processes
 *  can map (by name, or inherited by spawnProcess children). */
export interface FileRegionOptions {
  /** A named region (unrelated processes open it by name); omit for an anonymous region
   *  shared with this process's children (spawnProcess). */
  name?: string;
  /** Heap bytes wanted for primitives and buffers (default 1 MiB, at most 1 GiB). */
  size?: number;
}

/** How a file-backed region reaches another process. */
export type RegionSource = { readonly name: string } | { readonly fd: number };

const sources = new WeakMap<WebAssembly.Memory, RegionSource>();

function closeQuietly(fd: number): void {
  try {
    nativeAddon("closing a region's file").close(fd);
  } catch {
    // nothing to do at collection or disposal time
  }
}

// The memfd of an anonymous region stays open while its memory lives (children inherit it).
const memfds = new FinalizationRegistry<number>(closeQuietly);

/** The open file of a named region (see "Open files" in the header); fd undefined once closed. */
class HeldFile {
  constructor(public fd: number | undefined) {}
  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) closeQuietly(fd);
  }
}
const heldFiles = new FinalizationRegistry<HeldFile>((held) => held.close());

/** @internal How the region in `memory` can be attached by another process, if it can. */
export function regionSource(memory: WebAssembly.Memory): RegionSource | undefined {
  return sources.get(memory);
}

/** Throws InvalidArgumentError unless `name` is a valid region name (see the header). */
export function checkRegionName(name: unknown, what: string): string {
  if (typeof name !== "string" || !NAME.test(name) || name.includes("..")) {
    const shown = typeof name === "string" ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}...` : name) : String(name);
    throw new InvalidArgumentError(
      `${what}: a region name is 1 to 200 characters of A-Z a-z 0-9 . _ - and never contains "..", got ${shown}` +
        (typeof name === "string" && name.length > 200 ? ` (${name.length} characters)` : ""),
    );
  }
  return name;
}

function memoryBytes(size: unknown, what: string): number {
  const heap = size ?? DEFAULT_REGION_BYTES;
  if (typeof heap !== "number" || !Number.isInteger(heap) || heap < L.BLOCK_MIN || heap > MAX_REGION_BYTES - L.HEAP_START - PAGE) {
    throw new InvalidArgumentError(
      `${what}: size must be an integer from ${L.BLOCK_MIN} to ${MAX_REGION_BYTES - L.HEAP_START - PAGE} bytes, got ${String(heap)}`,
    );
  }
  return regionMemoryBytes(heap);
}

function checkPageSize(addon: NativeAddon): void {
  if (L.REGION_BASE % addon.pageSize !== 0) {
    throw new InvalidArgumentError(
      `file-backed regions need a system page size dividing ${L.REGION_BASE} bytes; this system's is ${addon.pageSize}`,
    );
  }
}

/** A memory of `bytes` whose window [REGION_BASE, bytes) is the file `fd` at the same offsets. */
function mappedMemory(addon: NativeAddon, fd: number, bytes: number): WebAssembly.Memory {
  const memory = new WebAssembly.Memory({ initial: bytes / PAGE, maximum: bytes / PAGE, shared: true });
  addon.mapWindow(new Uint8Array(memory.buffer, L.REGION_BASE, bytes - L.REGION_BASE), fd, L.REGION_BASE);
  return memory;
}

const OPTION_KEYS = ["name", "size"];

/**
 * Creates a file-backed region: named (`name`: opened by other processes of this user with
 * openRegion) or anonymous (no name: a sealed memfd passed to children by spawnProcess).
 */
export function createRegion(options: FileRegionOptions = {}): Region {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new InvalidArgumentError(`createRegion: unknown option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(", ")})`);
  }
  const bytes = memoryBytes(options.size, "createRegion");
  const name = options.name === undefined ? undefined : checkRegionName(options.name, "createRegion");
  const addon = nativeAddon("createRegion");
  checkPageSize(addon);
  let fd: number;
  if (name === undefined) {
    fd = addon.memfdCreate("sabre-region", bytes);
  } else {
    try {
      fd = addon.shmOpen(SHM_PREFIX + name, true, bytes);
    } catch (error) {
      if ((error as { code?: string }).code === "EEXIST") {
        throw new RegionExistsError(
          `createRegion: a region named ${JSON.stringify(name)} exists (/dev/shm/${SHM_PREFIX}${name}); open it with openRegion, or removeRegion it first`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  let memory: WebAssembly.Memory;
  try {
    memory = mappedMemory(addon, fd, bytes);
  } catch (error) {
    addon.close(fd);
    if (name !== undefined) addon.shmUnlink(SHM_PREFIX + name);
    throw error;
  }
  const region = Region.over(memory, new FutexParker(memory), freshRegionId());
  if (name !== undefined) holdNamedFile(addon, region, fd, name, bytes);
  sweepRegion();
  if (name === undefined) {
    sources.set(memory, { fd });
    memfds.register(memory, fd);
  } else {
    sources.set(memory, { name });
  }
  return region;
}

/** Keeps `fd`, the named region's open file, for the region's intact check (see "Open files" in
 *  the header): closed when `region` is disposed or its memory collected. Takes the fd. */
function holdNamedFile(addon: NativeAddon, region: Region, fd: number, name: string, bytes: number): void {
  const held = new HeldFile(fd);
  heldFiles.register(region.memory, held);
  region.onDispose(() => held.close());
  setIntactCheck(region.memory, fileHolds(addon, held, name, bytes));
}

/** Whether the named region's file still holds the `bytes` it mapped: by fstat of the held fd
 *  (a removed name does not matter; a truncation does), or, once that is closed, by the name
 *  in /dev/shm (a removed name then counts as not intact: the file can no longer be checked). */
function fileHolds(addon: NativeAddon, held: HeldFile, name: string, bytes: number): () => boolean {
  const path = `/dev/shm/${SHM_PREFIX}${name}`;
  return () => {
    try {
      return (held.fd !== undefined ? addon.fstat(held.fd).size : statSync(path).size) >= bytes;
    } catch {
      return false;
    }
  };
}

/** Reads the region header from `fd` (pread), checking it against the file before any mapping. */
function checkedSize(fd: number, fileSize: number, what: string): number {
  if (fileSize < L.REGION_BASE + L.REGION_HEADER_SIZE) {
    throw new CorruptRegionError(`${what}: the file is ${fileSize} bytes, too short to hold a region header (truncated?)`);
  }
  const header = new Uint8Array(L.REGION_HEADER_SIZE);
  if (readSync(fd, header, 0, header.length, L.REGION_BASE) !== header.length) {
    throw new CorruptRegionError(`${what}: could not read the region header`);
  }
  const view = new DataView(header.buffer);
  const magic = view.getUint32(L.RH_MAGIC, true);
  if (magic !== L.REGION_MAGIC) {
    throw new CorruptRegionError(
      magic === 0
        ? `${what}: the region is not initialised (still being created, or not a sabre region)`
        : `${what}: the file holds no sabre region (magic 0x${magic.toString(16)})`,
    );
  }
  const version = view.getUint32(L.RH_VERSION, true);
  if (version !== L.LAYOUT_VERSION) {
    throw new LayoutVersionError(
      `${what}: region has layout version ${version}, this sabre reads version ${L.LAYOUT_VERSION}; use the same sabre version on both sides`,
    );
  }
  const size = view.getUint32(L.RH_SIZE, true);
  if (size === 0 || size % PAGE !== 0 || size > MAX_REGION_BYTES) {
    throw new CorruptRegionError(`${what}: the header's size ${size} is not a whole number of 64 KiB pages up to 1 GiB`);
  }
  if (fileSize < size) {
    throw new CorruptRegionError(
      `${what}: the file is ${fileSize} bytes, shorter than the ${size} its header says (truncated); refusing to map it (SIGBUS)`,
    );
  }
  return size;
}

/** @internal Attaches the region in the open file `fd` (`what` names it in messages). Closes
 *  nothing; for a named source the Region takes `fd` once attached (see "Open files" in the
 *  header), and the caller closes it only when this throws. */
export function attachFile(fd: number, what: string, source: RegionSource, requireSeals: boolean): Region {
  const addon = nativeAddon(what);
  checkPageSize(addon);
  const st = addon.fstat(fd);
  if (!st.regular) throw new RegionPermissionError(`${what}: not a regular file`);
  if (requireSeals) {
    if ((addon.seals(fd) & addon.SEALS) !== addon.SEALS) {
      throw new RegionPermissionError(`${what}: the inherited region file is not sealed against shrinking and growing`);
    }
  } else {
    if (st.uid !== addon.geteuid()) {
      throw new RegionPermissionError(`${what}: the file belongs to uid ${st.uid}, not to this user (${addon.geteuid()}); refusing to map it`);
    }
    if ((st.mode & 0o077) !== 0) {
      throw new RegionPermissionError(
        `${what}: the file's mode is 0${st.mode.toString(8)}, open to group or others; sabre creates regions 0600 (chmod 600 it if you trust it)`,
      );
    }
  }
  const size = checkedSize(fd, st.size, what);
  const memory = mappedMemory(addon, fd, size);
  const region = Region.over(memory, new FutexParker(memory));
  if ("name" in source) holdNamedFile(addon, region, fd, source.name, size); // from here the region owns fd
  sweepRegion();
  sources.set(memory, source);
  return region;
}

/** Attaches to the named region `name`, created by any process of this user with createRegion. */
export function openRegion(name: string): Region {
  checkRegionName(name, "openRegion");
  const addon = nativeAddon("openRegion");
  const what = `openRegion(${JSON.stringify(name)})`;
  let fd: number;
  try {
    fd = addon.shmOpen(SHM_PREFIX + name, false, 0);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new RegionNotFoundError(`${what}: no region of that name (/dev/shm/${SHM_PREFIX}${name}); create it with createRegion({ name })`, { cause: error });
    if (code === "ELOOP") throw new RegionPermissionError(`${what}: /dev/shm/${SHM_PREFIX}${name} is a symbolic link; refusing to follow it`, { cause: error });
    throw error;
  }
  try {
    return attachFile(fd, what, { name }, false);
  } catch (error) {
    addon.close(fd);
    throw error;
  }
}

/** Removes the name of a named region; processes that have it mapped keep using it, and their
 *  death reports and liveness sweeps still cover it (see "Open files" in the header). */
export function removeRegion(name: string): void {
  checkRegionName(name, "removeRegion");
  try {
    nativeAddon("removeRegion").shmUnlink(SHM_PREFIX + name);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw new RegionNotFoundError(`removeRegion: no region named ${JSON.stringify(name)}`, { cause: error });
    }
    throw error;
  }
}
