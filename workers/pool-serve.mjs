// pool-serve.mjs — the serving loop of every worker of a sabre Pool (src/pool/core.ts), shared by
// the entry scripts of each runtime: pool-worker.mjs (Node worker threads), pool-process.mjs
// (child processes on a file-backed region) and pool-web-worker.mjs (Web Workers, bundled into
// dist/browser/ by the build). It imports nothing: the entry passes the sabre module it loaded
// ('sabre/node' or 'sabre'), so the same loop runs on every platform. src/pool/protocol.ts is
// the protocol (message shapes, the two per-worker words); the constants below repeat its values.
//
// Contract:
//   - Loads the task module (`init.filename`), then replies R_READY. A module that fails to
//     load makes the worker exit with that error before R_READY (the pool reports it).
//   - Takes task batches from its task channel into a FIFO inbox and starts them in that
//     order, at most `concurrency` running at once (async tasks overlap; a sync task runs to
//     its end). Before calling a task function it publishes `started` (word 1).
//   - Calls `fn(input, context)`; context = { id, name, signal, workerData }. `signal` is
//     created on first read. A value is replied R_OK, a throw or rejection R_ERROR, an async
//     iterable or an iterator (a generator) R_STREAM followed by its items on a bounded stream
//     channel (sendAsync: a full channel suspends the generator, never the thread), then R_OK
//     (end) or R_ERROR once it closed the stream.
//   - Replies go out in batches, one message per batch: when the inbox is empty, when a task
//     settles while the worker waits, and while sync tasks run every FLUSH_COUNT replies or
//     FLUSH_MICROS, whichever comes first: the pool refills the inbox from those partial
//     batches while the rest runs, so a busy worker never runs dry (and never parks) between
//     batches.
//   - Cancel ids arrive on the control channel: a running task's signal aborts; a task still
//     in the inbox is dropped when its turn comes (R_SKIPPED).
//   - Idle: polls the task channel (state SPINNING) for `spinMicros` while recent polls caught
//     a task (after misses, only a probe now and then: src/pool/spin.ts), then parks in
//     recvAsync (state PARKED). The pool closing the task channel ends the worker once its inbox is
//     empty and its tasks have settled: servePool then returns.
//   - An uncaught error the entry script reports through `hooks.fatal` goes out as R_FATAL
//     (runtimes whose crash report carries no error, such as a child process's exit code).
const R_OK = 0;
const R_ERROR = 1;
const R_STREAM = 2;
const R_READY = 3;
const R_SKIPPED = 4;
const R_FATAL = 5;
const STATE_BUSY = 0;
const STATE_SPINNING = 1;
const STATE_PARKED = 2;
/** Longest stretch of sync tasks, and most replies, before the replies so far go out. */
const FLUSH_MICROS = 100;
const FLUSH_COUNT = 64;

/** A macrotask turn: setImmediate in Node, a MessageChannel round in a browser. */
function makeTurn() {
  if (typeof setImmediate === "function") return () => new Promise((resolve) => setImmediate(resolve));
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () => new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

/**
 * Serves the pool worker described by `init` (protocol.ts, WorkerInit, attached) until the
 * pool closes its task channel. `sabre` is the loaded sabre module (Channel, AbortError,
 * errorToWire); `hooks.fatal(error)` is set here for the entry script to call on an uncaught
 * error before the worker ends (it sends R_FATAL with that error, best effort).
 */
export async function servePool(sabre, init, hooks = {}) {
  const { AbortError, Channel, errorToWire } = sabre;
  const turn = makeTurn();
  const { id: workerId, tasks, control, concurrency, streamCapacity, spinMicros, workerData } = init;
  const region = tasks.region;
  // the region field arrives revived (a Region); the handle wants the region's handle
  const results = Channel.from({ ...init.results, __sabre: "channel", region: region.handle });
  // a fatal error (the entry script's uncaught-exception hook): told to the pool before the end
  hooks.fatal = (error) => {
    try {
      flush();
      results.trySend([[R_FATAL, workerId, wireError(error)]]);
    } catch {
      // nothing more can be done: the exit code still reaches the pool
    }
  };
  const words = new Int32Array(region.memory.buffer, init.words, 2);
  const mod = await import(init.filename);

  /** Task functions by export name; CommonJS modules expose theirs under `default`. */
  const functions = new Map();
  function lookup(name) {
    let fn = functions.get(name);
    if (fn !== undefined) return fn;
    fn = mod[name];
    if (typeof fn !== "function" && mod.default !== null && typeof mod.default === "object") fn = mod.default[name];
    if (typeof fn !== "function") {
      const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      throw new TypeError(
        `the task module ${init.filename} has no exported function "${name}"; its exported functions: ${names.join(", ") || "(none)"}`,
      );
    }
    functions.set(name, fn);
    return fn;
  }

  function wireError(error) {
    return errorToWire(error); // plain data: msgpack carries it; the pool rebuilds it (errorFromWire)
  }

  /** The second argument of a task function. */
  class TaskContext {
    #controller = undefined;
    #aborted = false;
    constructor(id, name) {
      this.id = id;
      this.name = name;
    }
    get workerData() {
      return workerData;
    }
    get signal() {
      this.#controller ??= new AbortController();
      if (this.#aborted && !this.#controller.signal.aborted) this.abort();
      return this.#controller.signal;
    }
    abort() {
      this.#aborted = true;
      if (this.#controller && !this.#controller.signal.aborted) {
        this.#controller.abort(new AbortError(`task ${this.id} ("${this.name}") was cancelled by the pool`));
      }
    }
  }

  // ---- replies ---------------------------------------------------------------------------------

  let out = [];
  let lastFlush = performance.now();
  function flush() {
    lastFlush = performance.now();
    if (out.length === 0) return;
    const batch = out;
    out = [];
    if (!results.trySend(batch)) results.send(batch); // full: the pool is draining; wait for room
  }
  let flushQueued = false;
  /** A reply made outside the main loop (an async task settled) goes out in a microtask. */
  function flushSoon() {
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(() => {
      flushQueued = false;
      flush();
    });
  }

  // ---- running tasks ---------------------------------------------------------------------------

  const inbox = [];
  let head = 0;
  let started = 0;
  let running = 0;
  let closing = false;
  /** Tasks that have begun and not settled, by id: their contexts, for cancellation. */
  const live = new Map();
  /** Ids cancelled before their turn (dropped when reached). */
  const cancelled = new Set();
  /** Resolves the main loop's wait for a free slot or the end of the last task. */
  let wakeLoop = undefined;

  function isStream(v) {
    if (v === null || typeof v !== "object") return false;
    if (typeof v[Symbol.asyncIterator] === "function") return true;
    return typeof v[Symbol.iterator] === "function" && typeof v.next === "function";
  }
  function isThenable(v) {
    return v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";
  }

  function start(task) {
    started++;
    words[1] = started; // publish: see protocol.ts (read by the pool only after this thread died)
    const id = task[0];
    if (cancelled.size > 0 && cancelled.delete(id)) {
      out.push([R_SKIPPED, id]);
      return;
    }
    const t0 = performance.now();
    const context = new TaskContext(id, task[1]);
    let value;
    try {
      value = lookup(task[1])(task[2], context);
    } catch (error) {
      out.push([R_ERROR, id, wireError(error), micros(t0)]);
      return;
    }
    if (isThenable(value)) {
      begin(id, context);
      Promise.resolve(value).then(
        (v) => (isStream(v) ? streamOut(id, v, context, t0) : end(id, [R_OK, id, v, micros(t0)])),
        (error) => end(id, [R_ERROR, id, wireError(error), micros(t0)]),
      );
      return;
    }
    if (isStream(value)) {
      begin(id, context);
      streamOut(id, value, context, t0);
      return;
    }
    out.push([R_OK, id, value, micros(t0)]);
  }

  function micros(t0) {
    return Math.round((performance.now() - t0) * 1000);
  }

  function begin(id, context) {
    running++;
    live.set(id, context);
  }

  function end(id, reply) {
    running--;
    live.delete(id);
    out.push(reply);
    flushSoon();
    if (wakeLoop) {
      const wake = wakeLoop;
      wakeLoop = undefined;
      wake();
    }
  }

  async function streamOut(id, iterable, context, t0) {
    let channel;
    try {
      channel = Channel.create(region, { capacity: streamCapacity, bufferBytes: 64 * 1024, name: `pool stream ${id}` });
    } catch (error) {
      end(id, [R_ERROR, id, wireError(error), micros(t0)]);
      return;
    }
    const { region: _region, ...handle } = channel.handle;
    out.push([R_STREAM, id, handle]);
    flush(); // the consumer starts reading now
    try {
      const iterator = typeof iterable[Symbol.asyncIterator] === "function" ? iterable : { [Symbol.asyncIterator]: () => iterable };
      for await (const item of iterator) {
        await channel.sendAsync(item, { signal: context.signal });
      }
      channel.close();
      end(id, [R_OK, id, undefined, micros(t0)]);
    } catch (error) {
      channel.close();
      end(id, [R_ERROR, id, wireError(error), micros(t0)]);
    }
  }

  /** Starts inbox tasks while slots are free; replies go out in partial batches (header).
   *  Returns whether it ran long enough that the event loop should turn (cancels, timers). */
  function runReady() {
    const t0 = performance.now();
    while (head < inbox.length && running < concurrency) {
      const task = inbox[head];
      inbox[head++] = undefined;
      start(task);
      if (out.length >= FLUSH_COUNT || (out.length > 0 && (performance.now() - lastFlush) * 1000 > FLUSH_MICROS)) flush();
    }
    if (head === inbox.length) {
      inbox.length = 0;
      head = 0;
    }
    return (performance.now() - t0) * 1000 > 1000;
  }

  function take(batch) {
    for (let i = 0; i < batch.length; i++) inbox.push(batch[i]);
  }

  /** Moves every batch waiting in the task channel into the inbox; true if any. */
  function pull() {
    let any = false;
    for (;;) {
      const r = tasks.tryRecv();
      if (!r.ok) {
        if (r.closed) closing = true;
        return any;
      }
      take(r.value);
      any = true;
    }
  }

  // Whether to poll before parking (src/pool/spin.ts has the same rule): poll spinMicros while
  // most recent polls caught a task within a quarter of it (a score in [-4, 4]); after misses,
  // one probe in 16 waits.
  let score = 4;
  let waits = 0;
  function spinBudget() {
    if (score > 0) return spinMicros;
    return ++waits % 16 === 0 ? spinMicros : 0;
  }
  function record(caught, micros) {
    score = caught && micros * 4 <= spinMicros ? Math.min(4, score + 1) : Math.max(-4, score - 1);
  }

  /** Polls the task channel for up to the spin budget; true when a batch arrived. */
  function spin() {
    const budget = spinBudget();
    if (budget === 0) return false;
    words[0] = STATE_SPINNING;
    const t0 = performance.now();
    const end = t0 + budget / 1000;
    let n = 0;
    do {
      if (pull()) {
        words[0] = STATE_BUSY;
        record(true, (performance.now() - t0) * 1000);
        return true;
      }
      if (closing) break;
    } while ((++n & 15) !== 0 || performance.now() < end);
    record(false, 0);
    return false;
  }


  async function serve() {
    for (;;) {
      pull();
      if (runReady()) {
        flush();
        await turn();
      }
      flush();
      const idle = head === inbox.length;
      if (closing && idle && running === 0) return;
      if (!idle || closing) {
        // every slot is busy (or the channel is closed): wait for a task to settle
        if (running > 0) await new Promise((resolve) => (wakeLoop = resolve));
        continue;
      }
      if (spin()) continue;
      if (closing) continue;
      words[0] = STATE_PARKED;
      try {
        take(await tasks.recvAsync());
      } catch (error) {
        if (error?.name === "ClosedError") closing = true;
        else throw error;
      }
      words[0] = STATE_BUSY;
    }
  }

  // cancels: handled whenever this thread's event loop turns
  const cancels = (async () => {
    try {
      for await (const ids of control) {
        for (const id of ids) {
          const context = live.get(id);
          if (context) context.abort();
          else cancelled.add(id);
        }
      }
    } catch {
      // the control channel was marked gone: the pool is tearing this worker down
    }
  })();

  out.push([R_READY, workerId]);
  flush();
  await serve();
  flush();
  control.close(); // ends the cancel loop
  await cancels;
}
