// node/mapped-file.ts — memory-mapped files as data: `mapFile(path, { write })` maps an
// existing file into memory and gives typed views over its bytes.
//
//   mapFile(path)                    read-only: the file is opened O_RDONLY and mapped
//                                    MAP_PRIVATE. Reads see the file (and, on Linux, what other
//                                    processes write to it, on pages this process never wrote);
//                                    writes through the views stay in this process and never
//                                    reach the file.
//   mapFile(path, { write: true })   read-write: O_RDWR, MAP_SHARED. Writes reach the file's
//                                    pages at once and every process mapping the same file sees
//                                    them (the same physical pages); flush() writes them to disk.
//
// Memory: a private shared WebAssembly.Memory of at least the file's size whose first bytes,
// rounded up to whole system pages, are replaced by the mapping (native mapFileWindow), so the
// views are over a SharedArrayBuffer: Atomics work on them and they can be posted to worker
// threads of this process. The mapping keeps the file's size at the time of mapping.
//
// A file that changes size under the mapping is an error, never a SIGBUS:
//   - Touching a mapped page that lies wholly past the end of a file that shrank raises SIGBUS,
//     which kills a Node process. Every MappedFile's window is registered with the addon's SIGBUS
//     guard: a fault inside it replaces the window from the faulting page to its end with private
//     zero pages, and the access that faulted runs again on them, whoever made it (JavaScript,
//     wasm, a Node API reading the view, the addon). The mapping is then marked, and check()
//     and flush() throw MappedFileChangedError.
//   - A file that grew, or shrank within its last page (no fault), is found by check()/flush(),
//     which compare the file's size with the mapped size.
//   What remains: between a truncation and the next check(), reads of the lost pages return
//   zeros and writes to them are lost; a program that must not act on such data calls check()
//   after reading (as a seqlock reader re-checks). Another SIGBUS handler installed after the
//   first mapFile (by another addon) replaces the guard. An I/O error of the device behind the
//   file (a network file system) also raises SIGBUS and is absorbed and reported the same way.
//   A lease (fcntl F_SETLEASE) was not used: it only delays a truncating process by the
//   lease-break time, and needs this process to own the file and hold no writable descriptor.
//
// Disposal: close() (or `using`) unregisters the guard, replaces the window with private zero
// pages (views read zeros afterwards and never touch the file again) and closes the file. A
// MappedFile dropped without close() is cleaned up when its memory is collected.
import { closeSync, fstatSync, openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys, describeValue } from "../options";
import { MappedFileChangedError } from "./errors";
import { nativeAddon, type NativeAddon } from "./native";

const WASM_PAGE = 65536;
/** Largest file mapFile maps: a WebAssembly.Memory's limit (64 Ki wasm pages) less one page. */
export const MAX_MAPPED_FILE_BYTES = 2 ** 32 - WASM_PAGE;

/** Options of {@link mapFile}. */
export interface MapFileOptions {
  /** Map the file read-write and shared (default false: read-only, writes stay private). */
  write?: boolean;
}

const OPTION_KEYS = ["write"];

/** A typed array constructor a MappedFile can give a view of. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

interface Held {
  fd: number;
  slot: number;
  open: boolean;
}

// A MappedFile never closed: its guard slot and descriptor go when its memory is collected
// (V8 unmaps the memory, our window with it).
const collected = new FinalizationRegistry<Held>((held) => {
  if (!held.open) return;
  held.open = false;
  try {
    nativeAddon("closing a mapped file").unguardWindow(held.slot);
    closeSync(held.fd);
  } catch {
    // nothing to do at collection time
  }
});

/**
 * An existing file mapped into memory (see {@link mapFile}). `bytes` and `view()` are typed
 * views over the mapped bytes; `flush()` writes a read-write mapping's changes to disk;
 * `check()` throws {@link MappedFileChangedError} once the file changed size under the
 * mapping. Dispose it (`using`, or `close()`).
 */
export class MappedFile implements Disposable {
  /** The file's path as given to mapFile. */
  readonly path: string;
  /** Whether writes reach the file (mapFile's `write` option). */
  readonly writable: boolean;
  /** Bytes mapped: the file's size when it was mapped. */
  readonly size: number;
  /** The mapped bytes (a view over a SharedArrayBuffer). */
  readonly bytes: Uint8Array;
  readonly #addon: NativeAddon;
  readonly #window: Uint8Array;
  readonly #held: Held;

  /** @internal Use mapFile. */
  constructor(path: string, writable: boolean, size: number, addon: NativeAddon, memory: WebAssembly.Memory, window: Uint8Array, held: Held) {
    this.path = path;
    this.writable = writable;
    this.size = size;
    this.#addon = addon;
    this.#window = window;
    this.#held = held;
    this.bytes = new Uint8Array(memory.buffer, 0, size);
    collected.register(memory.buffer, held, held);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return !this.#held.open;
  }

  /**
   * A view of type `Type` over the mapped bytes from `byteOffset` (default 0, a multiple of
   * the element size), of `length` elements (default: as many as fit before the end).
   */
  view<C extends TypedArrayConstructor>(Type: C, byteOffset = 0, length?: number): InstanceType<C> {
    const what = "MappedFile.view";
    const unit = (Type as { BYTES_PER_ELEMENT?: unknown }).BYTES_PER_ELEMENT;
    if (typeof Type !== "function" || typeof unit !== "number") {
      throw new InvalidArgumentError(`${what}: Type must be a typed array constructor (Uint8Array, Int32Array, ...), got ${describeValue(Type)}`);
    }
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset > this.size || byteOffset % unit !== 0) {
      throw new InvalidArgumentError(`${what}: byteOffset must be an integer from 0 to ${this.size}, a multiple of ${unit}, got ${describeValue(byteOffset)}`);
    }
    const fit = Math.floor((this.size - byteOffset) / unit);
    const n = length ?? fit;
    if (!Number.isInteger(n) || n < 0 || n > fit) {
      throw new InvalidArgumentError(`${what}: length must be an integer from 0 to ${fit} (the ${Type.name} elements that fit after byte ${byteOffset}), got ${describeValue(length)}`);
    }
    return new (Type as unknown as new (b: ArrayBufferLike, o: number, l: number) => InstanceType<C>)(this.bytes.buffer, byteOffset, n);
  }

  /** Throws MappedFileChangedError if the file changed size under the mapping (see the header),
   *  InvalidArgumentError if this MappedFile is closed. */
  check(): void {
    this.#open("MappedFile.check");
    this.#changed("MappedFile.check");
  }

  /**
   * Writes the mapping's changes to disk (msync) and returns when they are there. A read-only
   * mapping has nothing to write: flush only checks. Throws MappedFileChangedError if the file
   * changed size under the mapping.
   */
  flush(): void {
    this.#open("MappedFile.flush");
    this.#changed("MappedFile.flush");
    if (this.writable) this.#addon.msyncWindow(this.#window);
  }

  /** Unmaps the file (views read zeros from now on) and closes it. Idempotent; never throws
   *  for a changed file (call check() or flush() first to learn of one). */
  close(): void {
    const held = this.#held;
    if (!held.open) return;
    held.open = false;
    collected.unregister(held);
    this.#addon.unguardWindow(held.slot);
    this.#addon.unmapWindow(this.#window);
    closeSync(held.fd);
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(what: string): void {
    if (!this.#held.open) throw new InvalidArgumentError(`${what}: ${this.path} was unmapped by close(); map it again with mapFile`);
  }

  #changed(what: string): void {
    const faulted = this.#addon.windowFaulted(this.#held.slot);
    const now = fstatSync(this.#held.fd).size;
    if (!faulted && now === this.size) return;
    throw new MappedFileChangedError(
      `${what}: ${this.path} changed size under its mapping (mapped ${this.size} bytes, now ${now}` +
        (faulted ? "; pages past its new end were touched and read as zeros" : "") +
        "): data read since the change may be wrong; close this mapping and map the file again",
    );
  }
}

/**
 * Maps the existing file at `path` into memory: read-only by default (writes through the views
 * stay private), read-write and shared with `{ write: true }`. The file must not be empty and
 * must be at most {@link MAX_MAPPED_FILE_BYTES}. A file that changes size under the mapping
 * is reported by check()/flush() as MappedFileChangedError, never a SIGBUS (see
 * src/node/mapped-file.ts). Needs the native addon (Linux).
 */
export function mapFile(path: string | URL, options?: MapFileOptions): MappedFile {
  const what = "mapFile";
  checkOptionKeys(what, options, OPTION_KEYS);
  const write = options?.write ?? false;
  if (typeof write !== "boolean") throw new InvalidArgumentError(`${what}: write must be a boolean, got ${describeValue(write)}`);
  const file = path instanceof URL ? fileURLToPath(path) : path;
  if (typeof file !== "string" || file === "") throw new InvalidArgumentError(`${what}: path must be a file path or a file: URL, got ${describeValue(path)}`);
  const addon = nativeAddon(what);
  const fd = openSync(file, write ? "r+" : "r");
  let slot = -1;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InvalidArgumentError(`${what}: ${file} is not a regular file; only regular files can be mapped`);
    const size = st.size;
    if (size === 0 || size > MAX_MAPPED_FILE_BYTES) {
      throw new InvalidArgumentError(`${what}: ${file} is ${size} bytes; a mapped file must have 1 to ${MAX_MAPPED_FILE_BYTES} bytes (give an empty file its size first, e.g. with fs.truncateSync)`);
    }
    const windowBytes = Math.ceil(size / addon.pageSize) * addon.pageSize;
    const pages = Math.ceil(windowBytes / WASM_PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const window = new Uint8Array(memory.buffer, 0, windowBytes);
    addon.mapFileWindow(window, fd, 0, write);
    slot = addon.guardWindow(window);
    return new MappedFile(file, write, size, addon, memory, window, { fd, slot, open: true });
  } catch (error) {
    if (slot >= 0) addon.unguardWindow(slot);
    closeSync(fd);
    throw error;
  }
}
