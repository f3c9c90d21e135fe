// messages.ts — the test messages of the channel model tests (channel.test.ts,
// channel-death.test.ts): message (p, k) of producer p is p and k as two i32, then the byte
// pattern(p, k, j), so that a receiver can tell which message it has and whether it is whole.

/** Byte j of message (p, k). */
export const pattern = (p: number, k: number, j: number) => (p * 71 + k * 37 + j * 11 + 5) & 0xff;

/** The bytes of message (p, k): p and k as two i32, then pattern(p, k, j). */
export function message(p: number, k: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, p, true);
  dv.setInt32(4, k, true);
  for (let j = 8; j < len; j++) out[j] = pattern(p, k, j);
  return out;
}
