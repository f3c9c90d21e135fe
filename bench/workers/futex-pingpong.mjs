// futex-pingpong.mjs — the far side of scenario "process"'s futex ping-pong diagnostic: a child
// process that maps the memfd inherited as fd 3 over a wasm memory (the addon's mapWindow, as a
// file-backed region does) and answers every ping on word PING with the same number on word
// PONG, waiting with the addon's futex after spinning argv[2] loads. A ping of -1 ends it.
// Words (Int32 indexes in the memory): PING (written by the parent), PONG (written here).
import { createRequire } from "node:module";

const native = createRequire(import.meta.url)(new URL("../../native/build/Release/sabre_native.node", import.meta.url).pathname);
const PING = 2048;
const PONG = 2049;
const spins = Number(process.argv[2]);
const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
native.mapWindow(new Uint8Array(memory.buffer, 4096, 2 * 65536 - 4096), 3, 4096);
const words = new Int32Array(memory.buffer);
let last = Atomics.load(words, PONG);
for (;;) {
  for (let s = 0; s < spins && Atomics.load(words, PING) === last; s++);
  let v;
  while ((v = Atomics.load(words, PING)) === last) native.futexWait(words, PING, last, -1);
  if (v === -1) break;
  last = v;
  Atomics.store(words, PONG, v);
  native.futexWake(words, PONG, 1);
}
