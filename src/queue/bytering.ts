// bytering.ts — ByteRing: a single-producer single-consumer ring of byte frames in shared
// memory (facade over assembly/bytering.ts).
//
// One thread writes, one thread reads (at a time). Each frame is delivered whole, in order,
// with its length. Frames are always contiguous in the buffer (the core writes a wrap marker
// instead of splitting a frame), so the zero-copy forms work for every frame:
//   producer: `reserve(len)` gives a writable view into the ring; fill it, reserve more if you
//             like, then `commit()` publishes every reserved frame at once;
//   consumer: `readView()` gives a view of the next frame, valid until `release()`.
// The copying forms (`write`, `read`) are reserve+copy+commit and peek+copy+release.
// A waiting reserve/write commits frames still pending before it parks. The largest frame is
// `maxFrame` = capacity/2 - 4 bytes (so that any frame fits in an empty ring: see the header of
// assembly/bytering.ts); larger frames throw InvalidArgumentError.
//
// Close: after `close()` writes throw ClosedError (reserved, uncommitted frames are dropped);
// reads drain every committed frame, then throw ClosedError. Either side may close.
//
// Waiting: one step machine per side (`spaceSteps`, `dataSteps`: the step loop of
// src/wait/step-loop.ts over br_space_step / br_space_cancel parked on BR_SPACE_SEQ, and
// br_data_step / br_data_cancel parked on BR_DATA_SEQ) is run by the blocking forms (after a
// one-call try) and the async forms, through the region's Parker.
import { copyOut } from "../region/copy";
import * as L from "../../assembly/layout";
import { ClosedError, InvalidArgumentError, throwStatus } from "../errors";
import { attach, createIn, makeHandle, type PrimitiveHandle } from "../region/handle";
import { expectRegion, type Region } from "../region/region";
import { checkOptionKeys, describeValue, isUint8Array } from "../options";
import { Deadline } from "../wait/deadline";
import { settle, stepLoop } from "../wait/step-loop";
import { call, runAsync, runBlocking, type Steps } from "../wait/steps";
import { checkBlocking, throwIfAborted, type WaitOptions } from "../wait/wait";

/**
 * The structured-cloneable handle of a {@link ByteRing}: pass it to another thread and call
 * `ByteRing.from` there.
 */
export type ByteRingHandle = PrimitiveHandle<"bytering">;

/** Options of {@link ByteRing.create}. */
export interface ByteRingOptions {
  /** Data bytes: a power of two from 16 to 2^29. A frame takes 4 header bytes plus its length rounded up to 4, and is at most capacity/2 - 4 bytes long. */
  capacity: number;
}

const CAPACITY_KEY: readonly string[] = ["capacity"];

function checkBytes(bytes: unknown, what: string): void {
  if (!isUint8Array(bytes)) throw new InvalidArgumentError(`${what}: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
}

function closedError(what: string): ClosedError {
  return new ClosedError(`${what}: the byte ring is closed; no frame can be written, and reading ends once it is drained`);
}

/** Producer: reserves a frame of `len` bytes: its payload address, or -status (-TIMED_OUT, -CLOSED, -BAD_ARGUMENT). */
export function spaceSteps(b: number, len: number): Steps<number> {
  return stepLoop({
    parkAt: b + L.BR_SPACE_SEQ,
    step: (parked) => call("br_space_step", b, len, parked),
    cancel: () => call("br_space_cancel", b),
    blocked: -L.WOULD_BLOCK,
    timedOut: -L.TIMED_OUT,
  });
}

/** Consumer: waits for a frame: its length, or -status (-TIMED_OUT, -CLOSED). */
export function dataSteps(b: number): Steps<number> {
  return stepLoop({
    parkAt: b + L.BR_DATA_SEQ,
    step: (parked) => call("br_data_step", b, parked),
    cancel: () => call("br_data_cancel", b),
    blocked: -L.WOULD_BLOCK,
    timedOut: -L.TIMED_OUT,
  });
}

/**
 * A single-producer single-consumer ring of byte frames in shared memory: one thread writes, one
 * reads; each frame arrives whole, in order. Copying forms (`write`, `read`) and zero-copy ones
 * (`reserve`/`commit`, `readView`/`release`).
 */
export class ByteRing {
  /** The structured-cloneable handle: post it to a worker and call `ByteRing.from` there. */
  readonly handle: ByteRingHandle;
  readonly #bytes: Uint8Array;

  /**
   * @param region The region the ring lives in. @param offset Byte offset of the ring's block in
   * the region.
   */
  private constructor(readonly region: Region, readonly offset: number) {
    this.handle = makeHandle("bytering", region, offset);
    this.#bytes = new Uint8Array(region.memory.buffer);
  }

  /** Allocates an empty byte ring of `capacity` data bytes in `region`. */
  static create(region: Region, options: ByteRingOptions): ByteRing {
    expectRegion(region, "ByteRing.create");
    checkOptionKeys("ByteRing.create", options, CAPACITY_KEY);
    const capacity = (options as ByteRingOptions | undefined)?.capacity;
    const valid = Number.isInteger(capacity) && (capacity as number) >= L.BR_MIN_CAPACITY && (capacity as number) <= L.BR_MAX_CAPACITY;
    const bytes = valid ? region.core.br_size_of(capacity as number) : 0;
    if (bytes === 0) {
      throw new InvalidArgumentError(
        `ByteRing.create: capacity must be a power of two from ${L.BR_MIN_CAPACITY} to ${L.BR_MAX_CAPACITY} bytes, got ${describeValue(capacity)}`,
      );
    }
    return new ByteRing(region, createIn(region, L.KIND_BYTERING, bytes, "ByteRing.create", (core, at) => core.br_init(at, capacity as number)));
  }

  /** Attaches to a byte ring from its handle. */
  static from(handle: ByteRingHandle): ByteRing {
    const { region, offset } = attach(handle, "bytering", L.KIND_BYTERING);
    return new ByteRing(region, offset);
  }

  #checkLength(len: number, what: string): void {
    const max = this.maxFrame;
    if (!Number.isInteger(len) || len < 0 || len > max) {
      throw new InvalidArgumentError(`${what}: a frame is 0 to ${max} bytes in this ring (capacity/2 - 4), got ${describeValue(len)}`);
    }
  }

  /** Maps a negated core status to the error of `what`; returns for -WOULD_BLOCK. */
  #fail(result: number, what: string, deadline = Deadline.now): void {
    const status = -result;
    if (status === L.WOULD_BLOCK) return;
    if (status === L.CLOSED) throw closedError(what);
    settle(status, deadline, what);
  }

  // ---- producer ------------------------------------------------------------------------

  /** Writes `bytes` as one frame, blocking while there is no space. */
  write(bytes: Uint8Array, options?: WaitOptions): void {
    checkBytes(bytes, "ByteRing.write");
    const view = this.#reserve(bytes.length, options, "ByteRing.write");
    view.set(bytes);
    this.commit();
  }

  /** One attempt: true if written (and published), false if there is no space now. */
  tryWrite(bytes: Uint8Array): boolean {
    checkBytes(bytes, "ByteRing.tryWrite");
    const view = this.#tryReserve(bytes.length, "ByteRing.tryWrite");
    if (!view) return false;
    view.set(bytes);
    this.commit();
    return true;
  }

  /** Writes without blocking the thread: parks through the region's Parker while there is no space. */
  async writeAsync(bytes: Uint8Array, options?: WaitOptions): Promise<void> {
    checkBytes(bytes, "ByteRing.writeAsync");
    const view = await this.#reserveAsync(bytes.length, options, "ByteRing.writeAsync");
    view.set(bytes);
    this.commit();
  }

  /**
   * Reserves a frame of `len` bytes, blocking while there is no space (pending frames are
   * committed first), and returns a writable view of it. Fill it, then `commit()`.
   */
  reserve(len: number, options?: WaitOptions): Uint8Array {
    return this.#reserve(len, options, "ByteRing.reserve");
  }

  /** One attempt at `reserve`: a view, or undefined if there is no space now. */
  tryReserve(len: number): Uint8Array | undefined {
    return this.#tryReserve(len, "ByteRing.tryReserve");
  }

  /** `reserve` without blocking the thread. */
  reserveAsync(len: number, options?: WaitOptions): Promise<Uint8Array> {
    return this.#reserveAsync(len, options, "ByteRing.reserveAsync");
  }

  #reserve(len: number, options: WaitOptions | undefined, what: string): Uint8Array {
    this.#checkLength(len, what);
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    let addr = this.region.core.br_reserve(this.offset, len);
    if (addr === -L.WOULD_BLOCK) addr = runBlocking(this.region, spaceSteps(this.offset, len), deadline);
    if (addr < 0) this.#fail(addr, what, deadline);
    return this.#bytes.subarray(addr, addr + len);
  }

  #tryReserve(len: number, what: string): Uint8Array | undefined {
    this.#checkLength(len, what);
    const addr = this.region.core.br_reserve(this.offset, len);
    if (addr < 0) {
      this.#fail(addr, what);
      return undefined;
    }
    return this.#bytes.subarray(addr, addr + len);
  }

  async #reserveAsync(len: number, options: WaitOptions | undefined, what: string): Promise<Uint8Array> {
    this.#checkLength(len, what);
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    let addr = this.region.core.br_reserve(this.offset, len);
    if (addr === -L.WOULD_BLOCK) addr = await runAsync(this.region, spaceSteps(this.offset, len), deadline, what, options?.signal);
    if (addr < 0) this.#fail(addr, what, deadline);
    return this.#bytes.subarray(addr, addr + len);
  }

  /** Publishes every reserved frame at once. Throws ClosedError (frames dropped) if closed. */
  commit(): void {
    const status = this.region.core.br_commit(this.offset);
    if (status === L.CLOSED) throw closedError("ByteRing.commit");
    if (status !== L.OK) throwStatus(status, "ByteRing.commit");
  }

  // ---- consumer ---------------------------------------------------------------------------

  #copyAndRelease(len: number): Uint8Array {
    const addr = this.region.core.br_frame_addr(this.offset);
    const copy = copyOut(this.#bytes, addr, addr + len);
    this.region.core.br_release(this.offset);
    return copy;
  }

  /** Reads the next frame (a copy), blocking while there is none. */
  read(options?: WaitOptions): Uint8Array {
    return this.#copyAndRelease(this.#peekWait(options, "ByteRing.read"));
  }

  /** One attempt: the next frame (a copy), or undefined if there is none now. */
  tryRead(): Uint8Array | undefined {
    const len = this.region.core.br_peek(this.offset);
    if (len < 0) {
      this.#fail(len, "ByteRing.tryRead");
      return undefined;
    }
    return this.#copyAndRelease(len);
  }

  /** Reads without blocking the thread: parks through the region's Parker while there is no frame. */
  async readAsync(options?: WaitOptions): Promise<Uint8Array> {
    return this.#copyAndRelease(await this.#peekAsync(options, "ByteRing.readAsync"));
  }

  /** A view of the next frame in the ring, blocking while there is none; valid until `release()`. */
  readView(options?: WaitOptions): Uint8Array {
    const len = this.#peekWait(options, "ByteRing.readView");
    const addr = this.region.core.br_frame_addr(this.offset);
    return this.#bytes.subarray(addr, addr + len);
  }

  /** One attempt at `readView`: a view, or undefined if there is no frame now. */
  tryReadView(): Uint8Array | undefined {
    const len = this.region.core.br_peek(this.offset);
    if (len < 0) {
      this.#fail(len, "ByteRing.tryReadView");
      return undefined;
    }
    const addr = this.region.core.br_frame_addr(this.offset);
    return this.#bytes.subarray(addr, addr + len);
  }

  /** `readView` without blocking the thread. */
  async readViewAsync(options?: WaitOptions): Promise<Uint8Array> {
    const len = await this.#peekAsync(options, "ByteRing.readViewAsync");
    const addr = this.region.core.br_frame_addr(this.offset);
    return this.#bytes.subarray(addr, addr + len);
  }

  /** Consumes the frame the last view showed; its bytes may be overwritten from now on. */
  release(): void {
    const status = this.region.core.br_release(this.offset);
    if (status === L.WOULD_BLOCK) throw new InvalidArgumentError("ByteRing.release: there is no frame to release");
    if (status === L.CLOSED) throw closedError("ByteRing.release");
    if (status !== L.OK) throwStatus(status, "ByteRing.release");
  }

  #peekWait(options: WaitOptions | undefined, what: string): number {
    checkBlocking(what, options);
    const deadline = Deadline.of(options, what);
    let len = this.region.core.br_peek(this.offset);
    if (len === -L.WOULD_BLOCK) len = runBlocking(this.region, dataSteps(this.offset), deadline);
    if (len < 0) this.#fail(len, what, deadline);
    return len;
  }

  async #peekAsync(options: WaitOptions | undefined, what: string): Promise<number> {
    throwIfAborted(what, options?.signal);
    const deadline = Deadline.of(options, what);
    let len = this.region.core.br_peek(this.offset);
    if (len === -L.WOULD_BLOCK) len = await runAsync(this.region, dataSteps(this.offset), deadline, what, options?.signal);
    if (len < 0) this.#fail(len, what, deadline);
    return len;
  }

  // ---- both sides --------------------------------------------------------------------------

  /** Closes the ring and wakes both sides (idempotent). */
  close(): void {
    this.region.core.br_close(this.offset);
  }

  /** Whether the ring was closed: writes fail, reads drain what is left and then end. */
  get closed(): boolean {
    return this.region.core.br_closed(this.offset) !== 0;
  }

  /** Bytes of published, unread frames including headers and padding (a racy snapshot). */
  get usedBytes(): number {
    return this.region.core.br_used(this.offset);
  }

  /** Data bytes of the ring. */
  get capacity(): number {
    return this.region.core.br_capacity(this.offset);
  }

  /** The largest frame this ring accepts (capacity/2 - 4). */
  get maxFrame(): number {
    return this.region.core.br_max_frame(this.offset);
  }

  /** Returns the ring's memory to the region. It must be unused everywhere. */
  free(): void {
    this.region.release(L.KIND_BYTERING, this.offset, "ByteRing.free");
  }
}
