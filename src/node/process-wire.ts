// node/process-wire.ts — sabre objects to bytes another PROCESS can attach, and back.
//
// Within a process, handles carry their region's WebAssembly.Memory (toWire/fromWire,
// src/wire/revive.ts). A memory cannot leave its process, so on the way out every region
// handle becomes a region descriptor naming how to reach the same file:
//
//   { __sabre: "region-file", id, name }     a named region: openRegion(name)
//   { __sabre: "region-file", id, fd }       an anonymous region: the memfd the child inherits
//                                            as descriptor `fd` (spawnProcess arranges it)
//
// and the whole value is serialized with v8.serialize (structured clone: Maps, Sets, typed
// arrays, Dates, cycles). On the way in, each descriptor is attached once (the header checked
// before mapping, file-region.ts), replaced by the region's handle, and fromWire revives the
// rest. A region shared only between threads (Region.create) cannot cross: its memory is not
// backed by a file; the error names where it is in the data.
//
//   encodeHandles(data) -> string     base64 of the above, for data holding named regions only
//   decodeHandles(text, options)      its inverse, for an unrelated process (argv, a file, a pipe)
import { deserialize, serialize } from "node:v8";
import { ForeignHandleError, InvalidArgumentError } from "../errors";
import { Region } from "../region/region";
import { fromWire, toWire, walk, type Attached, type FromWireOptions } from "../wire/revive";
import { attachFile, openRegion, regionSource } from "./file-region";

interface RegionDescriptor {
  readonly __sabre: "region-file";
  readonly id: number;
  readonly name?: string;
  readonly fd?: number;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A copy of the handle `h` (plain objects and arrays, however nested) in which every object
 *  that `swap` maps is replaced by what it returns. */
function swapInside(h: object, swap: (o: object) => object | undefined): object {
  const swapped = swap(h);
  if (swapped) return swapped;
  const inner = (x: unknown) => (x !== null && typeof x === "object" ? swapInside(x, swap) : x);
  if (Array.isArray(h)) return h.map(inner);
  if (!isPlain(h)) return h;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(h)) out[key] = inner((h as Record<string, unknown>)[key]);
  return out;
}

const sabreKind = (v: object): unknown => (isPlain(v) ? (v as { __sabre?: unknown }).__sabre : undefined);

/**
 * @internal `data` as process wire (see the header). `fdFor(fd)` gives the descriptor number
 * the receiving process will have for an anonymous region's memfd, or undefined when
 * anonymous regions cannot be passed (encodeHandles).
 */
export function toProcessWire(data: unknown, fdFor: ((fd: number) => number) | undefined, what: string): Uint8Array {
  const wire = walk(toWire(data), "data", new Map(), (handle, path) => swapInside(handle, (v) => {
    if (sabreKind(v) !== "region") return undefined;
    const memory = (v as { memory?: unknown }).memory;
    if (!(memory instanceof WebAssembly.Memory)) return undefined;
    const source = regionSource(memory);
    const id = (v as { id: number }).id;
    if (!source) {
      throw new InvalidArgumentError(
        `${what}: ${path} is a region shared between threads only (Region.create); create it with createRegion from 'sabre/node' to share it with another process`,
      );
    }
    if ("name" in source) return { __sabre: "region-file", id, name: source.name } satisfies RegionDescriptor;
    if (!fdFor) {
      throw new InvalidArgumentError(
        `${what}: ${path} is an anonymous region, which only children started by spawnProcess can attach; give it a name (createRegion({ name })) to share it with unrelated processes`,
      );
    }
    return { __sabre: "region-file", id, fd: fdFor(source.fd) } satisfies RegionDescriptor;
  }));
  try {
    return serialize(wire);
  } catch (error) {
    throw new InvalidArgumentError(
      `${what}: data cannot be sent to another process (${(error as Error).message}); it may hold plain objects, arrays, ` +
        "Maps, Sets, typed arrays, primitives and sabre objects, not functions or other class instances",
      { cause: error },
    );
  }
}

/** @internal The inverse of toProcessWire: every region attached, then fromWire. */
export function fromProcessWire<T>(bytes: Uint8Array, options: FromWireOptions = {}): Attached<T> {
  const wire = deserialize(bytes);
  const regions = new Map<string, Region>();
  const withHandles = walk(wire, options.root ?? "data", new Map(), (handle, path) => swapInside(handle, (v) => {
    if (sabreKind(v) !== "region-file") return undefined;
    const d = v as RegionDescriptor;
    const key = d.name !== undefined ? `name:${d.name}` : `fd:${d.fd}`;
    let region = regions.get(key);
    if (!region) {
      if (d.name !== undefined) region = openRegion(d.name);
      else if (Number.isInteger(d.fd)) region = attachFile(d.fd as number, `${path} (inherited region, fd ${d.fd})`, { fd: d.fd as number }, true);
      else throw new ForeignHandleError(`${path}: a region descriptor with neither name nor fd`);
      regions.set(key, region);
    }
    if (region.handle.id !== d.id) {
      throw new ForeignHandleError(`${path}: the region found has id ${region.handle.id}, the handle says ${d.id} (the region was re-created since)`);
    }
    return region.handle;
  }));
  return fromWire(withHandles as T, options);
}

/**
 * Text that an unrelated process (same user) turns back into `data` with decodeHandles:
 * primitives, channels and regions that live in NAMED regions, and any structured-cloneable
 * values around them.
 */
export function encodeHandles(data: unknown): string {
  return Buffer.from(toProcessWire(data, undefined, "encodeHandles")).toString("base64");
}

/** The data of encodeHandles(text), attached in this process (named regions opened by name). */
export function decodeHandles<T = unknown>(text: string, options: FromWireOptions = {}): Attached<T> {
  if (typeof text !== "string") throw new InvalidArgumentError("decodeHandles expects the string encodeHandles returned");
  return fromProcessWire<T>(Buffer.from(text, "base64"), options);
}
