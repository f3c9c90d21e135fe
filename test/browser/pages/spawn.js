// spawn.js — the main-thread side of the spawnWorker browser tests (loaded by spawn.html as a
// module from the prebuilt dist/browser/sabre.js). Each entry of `window.sabreTests` starts a
// Web Worker (spawn-worker.js) with spawnWorker, passing live sabre objects in `data`, and
// resolves to a plain result object that test/browser/spawn.test.ts checks. The page only uses
// async forms: it may never block.
import * as sabre from "/dist/browser/sabre.js";

const { Region, Mutex, Channel, OwnerDeadError, spawnWorker, WorkerCrashError } = sabre;
const workerUrl = new URL("./spawn-worker.js", import.meta.url);

/** Calls `f`; returns { name, message } of what it throws, or { name: "no error" }. */
function thrown(f) {
  try {
    f();
    return { name: "no error" };
  } catch (error) {
    return { name: error?.name ?? String(error), message: String(error?.message ?? error) };
  }
}

/** Runs the "use" job in spawn-worker.js on the worker `source` gives spawnWorker. */
async function useWorker(source) {
  const region = Region.create();
  const lock = Mutex.create(region);
  const jobs = Channel.create(region, { capacity: 4 });
  const reply = Channel.create(region, { capacity: 1 });
  const counterOffset = region.alloc(4);
  const n = 10;
  const spawned = spawnWorker(source, {
    data: { mode: "use", nested: { list: [region, new Map([["lock", lock]])] }, jobs, reply, counterOffset, n },
  });
  for (let i = 1; i <= n; i++) await jobs.sendAsync(i, { timeout: 30_000 });
  const result = await reply.recvAsync({ timeout: 30_000 });
  await spawned.terminate();
  return { result, counter: new Int32Array(region.memory.buffer, counterOffset, 1)[0], expected: (n * (n + 1)) / 2 };
}

/** Awaits `promise`; returns { name, message } of its rejection, or { name: "no error" }. */
async function outcome(promise) {
  try {
    return { name: "no error", value: await promise };
  } catch (error) {
    return { name: error?.name ?? String(error), message: String(error?.message ?? error) };
  }
}

window.sabreTests = {
  /** Data with a Region, Channels and a Mutex nested in objects, arrays and a Map, used by the worker. */
  async data() {
    const region = Region.create();
    const lock = Mutex.create(region);
    const jobs = Channel.create(region, { capacity: 4 });
    const reply = Channel.create(region, { capacity: 1 });
    const counterOffset = region.alloc(4);
    const n = 20;
    const spawned = spawnWorker(workerUrl, {
      type: "module",
      data: { mode: "use", nested: { list: [region, new Map([["lock", lock]])] }, jobs, reply, counterOffset, n },
    });
    for (let i = 1; i <= n; i++) await jobs.sendAsync(i, { timeout: 30_000 });
    const result = await reply.recvAsync({ timeout: 30_000 });
    await spawned.terminate();
    return {
      result,
      counter: new Int32Array(region.memory.buffer, counterOffset, 1)[0],
      expected: (n * (n + 1)) / 2,
      workerIsWeb: spawned.worker instanceof Worker,
    };
  },

  /** The worker throws while the page waits in recvAsync on a channel passed to it. */
  async crash() {
    const ch = Channel.create(Region.create());
    const crashes = [];
    const spawned = spawnWorker(workerUrl, {
      type: "module",
      data: { mode: "throw", ch },
      onCrash: (error) => crashes.push({ name: error.name, message: error.message }),
    });
    const recv = await outcome(ch.recvAsync({ timeout: 30_000 }));
    const exited = await outcome(spawned.exited);
    return { recv, exited, crashes };
  },

  /** The worker ends with self.close() holding a mutex: `exited` resolves, the page takes the lock over. */
  async cleanEnd() {
    const lock = Mutex.create(Region.create());
    const spawned = spawnWorker(workerUrl, { data: { mode: "closeHolding", lock } });
    const exited = await outcome(spawned.exited);
    let locked;
    try {
      (await lock.lockAsync({ timeout: 30_000 })).unlock();
      locked = { name: "no error" };
    } catch (error) {
      locked = { name: error.name, ownerDead: error instanceof OwnerDeadError };
      error.guard?.markConsistent();
      error.guard?.unlock();
    }
    return { exited, locked, again: lock.tryLock()?.unlock() === undefined };
  },

  /** spawnWorker given a fresh Worker, and a function returning one, instead of a URL. */
  async workerForms() {
    const made = [];
    const instance = await useWorker(new Worker(workerUrl, { type: "module" }));
    const factory = await useWorker(() => {
      const w = new Worker(workerUrl, { type: "module" });
      made.push(w instanceof Worker);
      return w;
    });
    return { instance, factory, made };
  },

  /** Bad first arguments and options that belong to new Worker: TypeErrors, no worker started. */
  async badArguments() {
    let calls = 0;
    const stray = new Worker(workerUrl, { type: "module" });
    const out = {
      number: thrown(() => spawnWorker(42)),
      plainObject: thrown(() => spawnWorker({ url: "./x.js" })),
      notAWorker: thrown(() => spawnWorker(() => ({ postMessage() {} }))),
      typeWithWorker: thrown(() => spawnWorker(stray, { type: "module" })),
      credentialsWithFactory: thrown(() => spawnWorker(() => (calls++, stray), { credentials: "omit" })),
      misspeltOption: thrown(() => spawnWorker(() => (calls++, stray), { dta: 1 })),
    };
    stray.terminate();
    return { ...out, calls };
  },

  /** A worker script that does not exist: WorkerLoadError, and the waiting page is woken. */
  async loadFailure() {
    const ch = Channel.create(Region.create());
    const crashes = [];
    const spawned = spawnWorker(new URL("./no-such-worker.js", import.meta.url), {
      data: { ch },
      onCrash: (error) => crashes.push({ name: error.name, isCrash: error instanceof WorkerCrashError }),
    });
    const recv = await outcome(ch.recvAsync({ timeout: 30_000 }));
    const exited = await outcome(spawned.exited);
    return { recv, exited, crashes };
  },
};

window.sabreReady = true;
