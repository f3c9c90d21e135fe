// msgpack-frames.mjs — the Unix-socket baseline's wire: each value a frame
// [u32 little-endian length][msgpack bytes]. encodeFrames packs values into one Buffer (one
// write); frameParser returns a 'data' handler that calls onValue for each complete frame and
// keeps a partial one for the next chunk.
import { pack, unpack } from "msgpackr";

export function encodeFrames(values) {
  const parts = [];
  for (const v of values) {
    const body = pack(v);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

export function frameParser(onValue) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= 4) {
      const len = pending.readUInt32LE(at);
      if (pending.length - at - 4 < len) break;
      const v = unpack(pending.subarray(at + 4, at + 4 + len));
      at += 4 + len;
      onValue(v);
    }
    pending = pending.subarray(at);
  };
}
