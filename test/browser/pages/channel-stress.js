// channel-stress.js — the messages of the browser Channel stress (harness.js's channelStress,
// worker.js's chanProduce / chanConsume) and their verifier, shared by the page and its workers.

/**
 * Channel stress message `seq` of producer `id` (msgpack codec): { id, seq, sum, data } where
 * data is a seeded-size Uint8Array (0 bytes up to 3x the ring, so large ones go in fragments)
 * of bytes (seq * 31 + i * 7 + id) & 255 and sum their checksum.
 */
export function channelMessage(id, seq, rand, ring) {
  const r = Math.floor(rand() * 16);
  const len = r === 0 ? 0 : r < 3 ? Math.floor(rand() * ring * 3) : r < 5 ? Math.floor(rand() * ring) : Math.floor(rand() * 200);
  const data = new Uint8Array(len);
  let sum = 0;
  for (let i = 0; i < len; i++) {
    data[i] = (seq * 31 + i * 7 + id) & 255;
    sum = (sum * 33 + data[i]) >>> 0;
  }
  return { id, seq, sum, data };
}

/** Verifies one channel stress message; records its sequence per producer in `seen`. */
export function checkChannelMessage(m, seen, out) {
  let ok = m && m.data instanceof Uint8Array && Number.isInteger(m.id) && m.id >= 0 && m.id < seen.length;
  if (ok) {
    let sum = 0;
    for (let i = 0; i < m.data.length; i++) {
      if (m.data[i] !== ((m.seq * 31 + i * 7 + m.id) & 255)) { ok = false; break; }
      sum = (sum * 33 + m.data[i]) >>> 0;
    }
    ok &&= sum === m.sum;
  }
  if (!ok) return void out.bad++;
  const list = seen[m.id];
  if (list.length && list[list.length - 1] >= m.seq) out.order++;
  list.push(m.seq);
  out.count++;
  out.bytes += m.data.length;
}
