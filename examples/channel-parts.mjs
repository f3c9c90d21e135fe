// examples/channel-parts.mjs — large messages without extra copies: a worker writes a 3 MiB
// message with sendParts straight into a 256 KiB ring, window by window, while the main thread
// reads each fragment in place with recvPartsAsync; then raw receives reuse recycled arrays.
import { isMainThread } from "node:worker_threads";
import { Region, Channel } from "sabre";
import { startWorker, workerInput } from "sabre/node";

const SIZE = 3 << 20;
if (isMainThread) {
  const region = Region.create({ size: 1 << 20 });
  const big = Channel.create(region, { capacity: 4, bufferBytes: 256 * 1024, codec: "raw" });
  const { exited } = startWorker(new URL(import.meta.url), { data: { big: big.handle } });
  let sum = 0;
  let parts = 0;
  const length = await big.recvPartsAsync((part, offset, total) => {
    parts++;
    for (let i = 0; i < part.length; i++) sum = (sum + part[i]) % 65521;
  }, { timeout: 10_000 });
  console.log(length, parts > 1, sum); // 3145728 true 19089
  // raw receives: give each array back with recycle() and the next receive reuses it
  let reused = 0;
  let last;
  for (let i = 0; i < 4; i++) {
    const bytes = big.recv({ timeout: 10_000 });
    if (bytes.buffer === last) reused++;
    last = bytes.buffer;
    big.recycle(bytes);
  }
  console.log(reused); // 3
  await exited;
} else {
  const big = Channel.from(workerInput().big);
  // fill each window of the ring in place: byte i of the message is i % 251
  big.sendParts(SIZE, (part, offset) => {
    for (let i = 0; i < part.length; i++) part[i] = (offset + i) % 251;
  }, { timeout: 10_000 });
  for (let i = 0; i < 4; i++) big.send(new Uint8Array(100_000).fill(i), { timeout: 10_000 });
}
