// handle.ts — the structured-cloneable handle every primitive has, and attaching from one.
//
// A primitive's handle is { __sabre: kind, region: RegionHandle, offset }: plain data plus the
// region's memory, so it crosses threads by postMessage/workerData. `attach` validates it
// (shape, region header, block kind at offset) before any shared word is touched.
import * as L from "../../assembly/layout";
import { ForeignHandleError, throwStatus } from "../errors";
import type { CoreExports } from "./core";
import { Region, kindName, type RegionHandle } from "./region";
import { describeValue } from "../options";

/**
 * The structured-cloneable identity of a primitive in a region (`mutex.handle`, ...): plain data
 * and the region's memory, so it crosses threads by `postMessage` or `workerData`; the receiving
 * side attaches with the class's `from`, which validates it first.
 */
export interface PrimitiveHandle<Name extends string> {
  /** The primitive's kind ("mutex", "channel", ...): `from` refuses a handle of another kind. */
  readonly __sabre: Name;
  /** The handle of the region the primitive lives in. */
  readonly region: RegionHandle;
  /** Byte offset of the primitive's block in the region. */
  readonly offset: number;
}

declare const valueType: unique symbol;

/**
 * Carries the value type `T` of a channel's or mailbox's handle, at the type level only (no
 * such property exists at run time), so that `Channel.from(channel.handle)` is a `Channel<T>`.
 * Covariant: a handle of `Channel<{ n: number }>` is also a `ChannelHandle` (of `unknown`).
 */
export interface Typed<T> {
  /** Never present: the type of the values, for the type checker. */
  readonly [valueType]?: T;
}

export function makeHandle<Name extends string>(name: Name, region: Region, offset: number): PrimitiveHandle<Name> {
  return Object.freeze({ __sabre: name, region: region.handle, offset });
}

/** @internal Throws ForeignHandleError unless a handle's `offset` is an integer in [0, 2^31)
 *  (the core's addresses are i32: an offset of 2^32 + x would alias the block at x). */
export function checkHandleOffset(offset: unknown, what: string): asserts offset is number {
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset >= 0x80000000) {
    throw new ForeignHandleError(`${what}: the handle's offset must be an integer from 0 to 2^31 - 1, got ${describeValue(offset)}; is it a handle this sabre made?`);
  }
}

/** Resolves a handle to its region (attached on this thread) and offset, or throws. */
export function attach<Name extends string>(
  handle: PrimitiveHandle<Name>, name: Name, kind: number,
): { region: Region; offset: number } {
  const h = handle as Partial<PrimitiveHandle<string>> | null | undefined;
  if (!h || h.__sabre !== name || !h.region || typeof h.offset !== "number") {
    throw new ForeignHandleError(
      `${kindName(kind)}.from expects a ${kindName(kind)} handle (its .handle property), got ${h?.__sabre ? `a ${h.__sabre} handle` : String(h)}`,
    );
  }
  checkHandleOffset(h.offset, `${kindName(kind)}.from`);
  const region = Region.from(h.region);
  region.expectKind(kind, h.offset, `${kindName(kind)}.from`);
  return { region, offset: h.offset };
}

/**
 * Allocates a block of `kind` (`size` bytes) in `region` and initialises it with `init` (the
 * core's *_init on the block's offset); returns the offset. An init that returns a status other
 * than OK gives the block back and throws that status's error: a failed create leaves the
 * region as it was.
 */
export function createIn(
  region: Region, kind: number, size: number, what: string, init: (core: CoreExports, offset: number) => number | void,
): number {
  const offset = region.allocate(kind, size, what);
  const status = init(region.core, offset);
  if (status !== undefined && status !== L.OK) {
    region.release(kind, offset, what);
    throwStatus(status, what);
  }
  return offset;
}

/** Throws unless `a` and `b` live in the same region (e.g. a CondVar and its Mutex). */
export function expectSameRegion(a: Region, b: Region, what: string): void {
  if (a !== b) throw new ForeignHandleError(`${what}: both must live in the same region`);
}
