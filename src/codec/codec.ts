// codec.ts — how channel values become bytes and back.
//
// A codec is { name, encode(value) -> Uint8Array, decode(bytes) -> value }. `decode` gets a
// private copy of the message (never a view of shared memory: msgpackr's native string
// extraction and TextDecoder refuse SharedArrayBuffer views), which it may keep. One exception,
// outside the codec: a msgpack message that is one string is read by the channel straight out
// of the ring where the runtime can (sharedUtf8Reader: Node's Buffer), the same text msgpackr
// would give.
//
//   msgpack (default)  msgpackr with structured-clone extensions: Map, Set, Date, RegExp,
//                      Error, typed arrays, bigint of any size, undefined, cycles. Options:
//                      { structuredClone, moreTypes, useRecords: true, mapsAsObjects: false,
//                      int64AsType: 'bigint', copyBuffers: true }. Records: with records off and
//                      mapsAsObjects false msgpackr decodes plain objects as Maps too. A
//                      Channel gives its msgpack codec the channel's shared record table
//                      (structures.ts): a key list seen before travels as a record id, so small
//                      objects pack and unpack 2–4x faster than with a definition per message.
//                      Without a table (msgpackCodec() alone) each message carries its own
//                      record definitions and decodes alone. Functions are refused
//                      (msgpackr's writeFunction hook; msgpackr would write undefined), symbols
//                      too (msgpackr throws); the error names the path of the bad value.
//                      copyBuffers: decoded Uint8Arrays are copies, so the channel may decode
//                      from a scratch buffer it reuses. encodeScratch packs into msgpackr's own
//                      buffer without making an array per message (REUSE_BUFFER_MODE with
//                      RESET_BUFFER_MODE): the bytes are valid until the next encode on this
//                      thread, so the channel copies them into the ring at once.
//   raw                Uint8Array in, Uint8Array out (no encoding).
//   json               JSON.stringify / JSON.parse (UTF-8).
// A user codec is any object with encode/decode; give it a `name` to pass it by name across
// threads (Channel.from(handle, { codec }) supplies the object on the other side).
import { Packr, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from "msgpackr";
import { CodecError } from "../errors";
import { arrayBounds, type RecordKeys } from "./scan";
import type { StructureStore } from "./structures";

/**
 * Turns channel and mailbox values into bytes and back. The built-in ones are {@link msgpackCodec}
 * (the default), {@link rawCodec} and {@link jsonCodec}; a user codec is any object of this shape.
 * Both ends of a channel must use the same codec: a custom one is found by its `name` (pass it to
 * `from`, or to `attachWorkerData({ codecs })`).
 */
export interface Codec<T = unknown> {
  /** The codec's name, carried in handles so the other side picks the same codec. */
  readonly name: string;
  /** Encodes one value; throw to refuse it (the send then writes nothing). */
  encode(value: T): Uint8Array;
  /** Decodes one message from a private copy of its bytes (never shared memory); may keep it. */
  decode(bytes: Uint8Array): T;
}

/** The built-in codecs by name: `codec: "raw"` in channel options. */
export type CodecName = "msgpack" | "raw" | "json";

/** A codec that can decode a range of a private buffer it does not keep (the channel's scratch
 *  buffer); internal to the channel. */
export interface RangeCodec<T> extends Codec<T> {
  decodeRange(bytes: Uint8Array, start: number, end: number): T;
}

/** A RangeCodec that also decodes a concatenation of encoded messages in one call (the channel's
 *  recvMany); internal to the channel. */
export interface ManyCodec<T> extends RangeCodec<T> {
  /** The values of the messages concatenated in `bytes[0..end)`, in order. */
  decodeConcat(bytes: Uint8Array, end: number): T[];
}

/** Where encodeScratch left a value's bytes: `bytes[start, end)`, valid until the next encode on
 *  this thread (one object per codec, rewritten by every call). */
export interface EncodedRange {
  bytes: Uint8Array;
  start: number;
  end: number;
}

/** Where encodeMany left the values' bytes: value i is `bytes[bounds[i], bounds[i + 1])`, valid
 *  until the next encode on this thread (one object per codec, rewritten by every call). */
export interface EncodedMany {
  bytes: Uint8Array;
  bounds: Int32Array;
}

/** A codec that encodes into a buffer it reuses (the channel's per-message send and sendMany);
 *  internal to the channel. */
export interface ScratchCodec<T> extends Codec<T> {
  /** Encodes `value` as `encode` would, into scratch bytes (see EncodedRange). */
  encodeScratch(value: T): EncodedRange;
  /**
   * Encodes `values` in one call, each exactly as `encode` would alone (see EncodedMany), or
   * returns undefined when it cannot (a value it refuses, or values linked to each other:
   * encode them one by one instead; nothing is left behind).
   */
  encodeMany(values: readonly T[]): EncodedMany | undefined;
}

export const canEncodeScratch = <T>(codec: Codec<T>): codec is ScratchCodec<T> =>
  typeof (codec as Partial<ScratchCodec<T>>).encodeScratch === "function";

export const canDecodeConcat = <T>(codec: Codec<T>): codec is ManyCodec<T> =>
  typeof (codec as Partial<ManyCodec<T>>).decodeConcat === "function" && canDecodeRange(codec);

export const canDecodeRange = <T>(codec: Codec<T>): codec is RangeCodec<T> =>
  typeof (codec as Partial<RangeCodec<T>>).decodeRange === "function";

const packrOptions = () => ({
  structuredClone: true, moreTypes: true, useRecords: true, mapsAsObjects: false, int64AsType: "bigint" as const,
  copyBuffers: true,
});

/** Throws CodecError for values msgpackr cannot carry faithfully (functions, symbols). */
function checkEncodable(value: unknown, seen: Set<object>, path: string): void {
  const t = typeof value;
  if (t === "function" || t === "symbol") {
    throw new CodecError(
      `cannot send a ${t} (at ${path || "the value"}): channel values are data; send a name or id instead, or use a custom codec`,
    );
  }
  if (t !== "object" || value === null || seen.has(value as object)) return;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return;
  seen.add(value as object);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      checkEncodable(k, seen, `${path}<key>`);
      checkEncodable(v, seen, `${path}[${String(k)}]`);
    }
  } else if (value instanceof Set) {
    for (const v of value) checkEncodable(v, seen, `${path}<set item>`);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkEncodable(value[i], seen, `${path}[${i}]`);
  } else {
    for (const k of Object.keys(value as object)) checkEncodable((value as Record<string, unknown>)[k], seen, path ? `${path}.${k}` : k);
  }
}

/** The msgpack codec; with `structures` (a channel's shared record table) records are shared. */
export function msgpackCodec<T = unknown>(structures?: StructureStore): RangeCodec<T> {
  const makePackr = () => {
    const made = new Packr({
      ...packrOptions(),
      ...(structures
        ? { getStructures: () => structures.load(), saveStructures: (s: unknown[], ok: (e: string[][]) => boolean) => structures.save(s, ok) }
        : {}),
    } as ConstructorParameters<typeof Packr>[0]);
    (made as unknown as { writeFunction: () => never }).writeFunction = () => {
      throw new CodecError("cannot send a function");
    };
    return made;
  };
  let packr = makePackr();
  const failed = (error: unknown, value: unknown): CodecError => {
    // A failed pack may leave a record structure minted but not saved to the shared table:
    // start again from the table with a new Packr (errors are rare, this is cheap).
    packr = makePackr();
    // the slow walk runs only now, to name where the bad value is
    checkEncodable(value, new Set(), "");
    if (error instanceof CodecError) return error;
    return new CodecError(`msgpack could not encode the value: ${(error as Error).message}`, { cause: error });
  };
  const range: EncodedRange = { bytes: new Uint8Array(0), start: 0, end: 0 };
  const many: EncodedMany = { bytes: range.bytes, bounds: new Int32Array(65) };
  // a ManyCodec (decodeConcat, found by canDecodeConcat) and a ScratchCodec; typed as RangeCodec
  // in the public API
  const codec: ManyCodec<T> & ScratchCodec<T> = {
    name: "msgpack",
    encode(value: T): Uint8Array {
      try {
        return packr.pack(value);
      } catch (error) {
        throw failed(error, value);
      }
    },
    encodeScratch(value: T): EncodedRange {
      let out: Uint8Array & { start?: number; end?: number };
      try {
        out = packr.pack(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE);
      } catch (error) {
        throw failed(error, value);
      }
      range.bytes = out;
      // msgpackr's own buffer with the bounds on it; a fresh array (no bounds of its own) when the
      // pack also saved a record structure or inserted reference ids
      const own = out.end !== undefined;
      range.start = own ? out.start! : 0;
      range.end = own ? out.end! : out.length;
      return range;
    },
    encodeMany(values: readonly T[]): EncodedMany | undefined {
      // one pack of the array, then its elements' boundaries by a scan (scan.ts): each element is
      // the bytes its value packs to alone, unless the pack linked values (then undefined)
      let r: EncodedRange;
      try {
        r = codec.encodeScratch(values as unknown as T);
      } catch {
        packr = makePackr(); // as in encode: the one-by-one encode reports the bad value
        return undefined;
      }
      if (many.bounds.length < values.length + 1) many.bounds = new Int32Array(2 ** Math.ceil(Math.log2(values.length + 1)));
      const records = (packr as unknown as { structures?: RecordKeys }).structures ?? [];
      if (!arrayBounds(r.bytes, r.start, r.end, values.length, records, many.bounds)) return undefined;
      many.bytes = r.bytes;
      return many;
    },
    decode(bytes: Uint8Array): T {
      return packr.unpack(bytes) as T;
    },
    decodeRange(bytes: Uint8Array, start: number, end: number): T {
      return packr.unpack(bytes, { start, end }) as T;
    },
    decodeConcat(bytes: Uint8Array, end: number): T[] {
      // each message was packed alone: a msgpack stream of them decodes in one call
      return packr.unpackMultiple(bytes.subarray(0, end)) as T[];
    },
  };
  return codec;
}

/**
 * Messages are raw bytes: a `Uint8Array` is sent as is and received as a copy (or in place with
 * `recvView`). Anything else is refused with CodecError.
 */
export const rawCodec: Codec<Uint8Array> = {
  name: "raw",
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new CodecError(`the raw codec sends Uint8Array values, got ${Object.prototype.toString.call(value)}`);
    }
    return value;
  },
  decode: (bytes) => bytes,
};

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Messages are JSON text in UTF-8: `JSON.stringify` rules apply (no Map, Set, typed array, bigint
 * or cycle; what JSON cannot hold is refused with CodecError).
 */
export const jsonCodec: Codec<unknown> = {
  name: "json",
  encode(value: unknown): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new CodecError(`JSON could not encode the value: ${(error as Error).message}`, { cause: error });
    }
    if (text === undefined) throw new CodecError(`JSON cannot encode ${typeof value} values; use the msgpack codec`);
    return utf8Encoder.encode(text);
  },
  decode: (bytes) => JSON.parse(utf8Decoder.decode(bytes)),
};

/** Node's Buffer, as far as sharedUtf8Reader uses it (absent in browsers). */
type Utf8Buffer = { from(buffer: ArrayBufferLike): { utf8Slice(start: number, end: number): string } };

/**
 * A reader of UTF-8 text straight out of `buffer` (shared memory included), where the runtime
 * has one that accepts shared memory (Node's Buffer: utf8Slice, which replaces bad sequences as
 * TextDecoder does); else undefined, and the caller copies the bytes out first (browsers'
 * TextDecoder refuses views of shared memory).
 */
export function sharedUtf8Reader(buffer: ArrayBufferLike): ((start: number, end: number) => string) | undefined {
  const B = (globalThis as unknown as { Buffer?: Utf8Buffer }).Buffer;
  if (typeof B?.from !== "function") return undefined;
  const view = B.from(buffer);
  if (typeof view.utf8Slice !== "function") return undefined;
  return (start, end) => view.utf8Slice(start, end);
}

/** Resolves a codec option (a name or an object) to a codec. */
export function resolveCodec<T>(codec: CodecName | Codec<T> | undefined, what: string, structures?: StructureStore): Codec<T> {
  if (codec === undefined || codec === "msgpack") return msgpackCodec<T>(structures);
  if (codec === "raw") return rawCodec as unknown as Codec<T>;
  if (codec === "json") return jsonCodec as Codec<T>;
  if (typeof codec === "object" && codec && typeof codec.encode === "function" && typeof codec.decode === "function") return codec;
  throw new CodecError(`${what}: codec must be "msgpack", "raw", "json" or an object with encode and decode, got ${String(codec)}`);
}
