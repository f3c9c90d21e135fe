// scan.ts — finds where the elements of a msgpack array end, so that one msgpackr call can pack
// a channel's sendMany batch and each element still travel as a message of its own.
//
// A value that msgpackr packs inside an array is, byte for byte, the value it packs alone,
// unless the pack links values to each other: a record structure defined inline (it names the
// keys once for the values that follow), a structured-clone reference to an object seen
// earlier, bundled strings. Those are msgpack extensions (ext, fixext) or the 0xc1 marker. The
// scanner therefore walks only plain msgpack (nil, booleans, integers, floats, str, bin, array,
// map) and msgpackr's record references (one byte 0x40-0x7f, then one value per key of that
// shared structure: with records on, msgpackr never writes 0x40-0x7f as an integer), and gives
// up (-1) at any other byte: the caller then packs the values one by one. Giving up is always
// safe; a wrong boundary never is, so every length is checked against the end of the bytes.
//
// stringStart recognises a message that is one msgpack string, whose text the channel then
// reads straight out of the ring (sharedUtf8Reader, codec.ts) instead of copying it out first.

/** Key lists of the shared record structures, by record id - 0x40 (msgpackr's `structures`). */
export type RecordKeys = ArrayLike<ArrayLike<unknown> | undefined>;

/** Values deeper than this are not walked (the scan gives up; the caller packs one by one). */
const MAX_DEPTH = 64;

/**
 * The offset just past the msgpack value at `at` in `b` (which ends at `end`), or -1 where
 * the value is not plain msgpack and shared records (see the header) or runs past `end`.
 */
export function skipValue(b: Uint8Array, at: number, end: number, records: RecordKeys, depth = 0): number {
  if (at >= end || depth > MAX_DEPTH) return -1;
  const t = b[at++];
  let n: number; // elements to walk (map: keys and values)
  if (t < 0x40) return at; // positive fixint
  if (t < 0x80) {
    // a record of a shared structure: one value per key
    const keys = records[t - 0x40];
    if (!keys) return -1;
    n = keys.length;
  } else if (t < 0x90) n = (t & 0x0f) * 2; // fixmap
  else if (t < 0xa0) n = t & 0x0f; // fixarray
  else if (t < 0xc0) return fits(at + (t & 0x1f), end); // fixstr
  else if (t >= 0xe0) return at; // negative fixint
  else {
    switch (t) {
      case 0xc0: case 0xc2: case 0xc3: return at; // nil, false, true
      case 0xcc: case 0xd0: return fits(at + 1, end);
      case 0xcd: case 0xd1: return fits(at + 2, end);
      case 0xca: case 0xce: case 0xd2: return fits(at + 4, end);
      case 0xcb: case 0xcf: case 0xd3: return fits(at + 8, end);
      case 0xc4: case 0xd9: return at < end ? fits(at + 1 + b[at], end) : -1; // bin 8, str 8
      case 0xc5: case 0xda: return at + 2 <= end ? fits(at + 2 + u16(b, at), end) : -1;
      case 0xc6: case 0xdb: return at + 4 <= end ? fits(at + 4 + u32(b, at), end) : -1;
      case 0xdc: case 0xde: // array 16, map 16
        if (at + 2 > end) return -1;
        n = u16(b, at) * (t === 0xde ? 2 : 1);
        at += 2;
        break;
      case 0xdd: case 0xdf: // array 32, map 32
        if (at + 4 > end) return -1;
        n = u32(b, at) * (t === 0xdf ? 2 : 1);
        at += 4;
        break;
      default:
        return -1; // ext, fixext, 0xc1: values linked to each other, or not plain msgpack
    }
  }
  for (; n > 0 && at >= 0; n--) at = skipValue(b, at, end, records, depth + 1);
  return at;
}

/**
 * The boundaries of the elements of the msgpack array packed in `b[start, end)`: writes
 * `count + 1` offsets into `bounds` (element i is `b[bounds[i], bounds[i + 1])`) and returns
 * true, or false when the array does not hold exactly `count` elements that the scan walks
 * and that end exactly at `end`.
 */
export function arrayBounds(b: Uint8Array, start: number, end: number, count: number, records: RecordKeys, bounds: Int32Array): boolean {
  if (start >= end || bounds.length < count + 1) return false;
  const t = b[start];
  let n: number;
  let at: number;
  if (t >= 0x90 && t < 0xa0) {
    n = t & 0x0f;
    at = start + 1;
  } else if (t === 0xdc && start + 3 <= end) {
    n = u16(b, start + 1);
    at = start + 3;
  } else if (t === 0xdd && start + 5 <= end) {
    n = u32(b, start + 1);
    at = start + 5;
  } else return false;
  if (n !== count) return false;
  for (let i = 0; i < count; i++) {
    bounds[i] = at;
    at = skipValue(b, at, end, records, 1);
    if (at < 0) return false;
  }
  bounds[count] = at;
  return at === end;
}

/**
 * Where the text of a message that is one msgpack string starts (`b[start, end)` holds the
 * whole message; its text runs to `end`), or -1 when the message is anything else.
 */
export function stringStart(b: Uint8Array, start: number, end: number): number {
  const t = b[start];
  let at: number;
  let n: number;
  if (t >= 0xa0 && t <= 0xbf) {
    at = start + 1;
    n = t & 0x1f;
  } else if (t === 0xd9) {
    at = start + 2;
    n = b[start + 1];
  } else if (t === 0xda) {
    at = start + 3;
    n = u16(b, start + 1);
  } else if (t === 0xdb) {
    at = start + 5;
    n = u32(b, start + 1);
  } else return -1;
  return at + n === end ? at : -1;
}

function fits(at: number, end: number): number {
  return at <= end ? at : -1;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
