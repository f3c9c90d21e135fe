// pool-tasks.js — the task module of the Pool browser tests (pool.js): each export is a task
// function fn(input, { id, name, signal, workerData }), run in a Web Worker of the pool. It
// imports nothing, so the Node suite's task module (test/fixtures/pool-tasks.mjs) re-exports
// the same functions.

/** This worker's identity (a worker replaced after a crash has another). */
const me = `${Date.now()}-${Math.random()}`;

export function inc(x) {
  return x + 1;
}

export async function incAsync(x) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return x + 1;
}

export function worker() {
  return me;
}

/** Busy for `ms` milliseconds of CPU, then returns `id`. */
export function spin({ ms, id }) {
  const end = performance.now() + ms;
  while (performance.now() < end);
  return id;
}

/** Sends "started <tag>" on workerData.events, then waits for its signal and rejects with it. */
export function waitForAbort(tag, { signal, workerData }) {
  workerData?.events?.send(`started ${tag}`);
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => {
      workerData?.events?.send(`aborted ${tag}`);
      reject(signal.reason);
    });
  });
}

/** Ignores cancellation: never settles. */
export function stubborn(tag, { workerData }) {
  workerData?.events?.send(`started ${tag}`);
  return new Promise(() => {});
}

/** Blocks its worker until the page sends on workerData.gate, then returns `tag`. */
export function gate(tag, { workerData }) {
  workerData.gate.recv();
  return tag;
}

/** Throws from a timer: an uncaught error ends (crashes) its worker. */
export function crashLater(message) {
  setTimeout(() => {
    throw new Error(message);
  }, 1);
  return new Promise(() => {});
}

export function* count(n) {
  for (let i = 0; i < n; i++) yield i;
}
