// party-death-worker.js — the victim of the party-death browser tests (party-death.js): a module
// Web Worker that runs one role of test/fixtures/party-death-cases.mjs (runVictim: its header
// has the roles and the progress words) until the page terminates it at a random moment.
// Started by spawnWorker (data from attachWorkerData), or, with ?plain in its URL, as a plain
// `new Worker` given handles by postMessage: it then first posts its watchedThreadId() (what
// the page passes to workerDied).
import * as sabre from "/dist/browser/sabre.js";
import { runVictim } from "/test/fixtures/party-death-cases.mjs";

const { attachWorkerData, fromWire, watchedThreadId } = sabre;

const plain = new URL(import.meta.url).searchParams.has("plain");
let data;
if (plain) {
  const message = new Promise((resolve) => (self.onmessage = (event) => resolve(event.data)));
  self.postMessage({ thread: await watchedThreadId() }); // before it touches shared memory
  data = fromWire(await message);
} else {
  data = await attachWorkerData();
}
runVictim(data, sabre);
