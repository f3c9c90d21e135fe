// conformance.ts — the one unit-test skeleton every primitive and channel goes through
// (DESIGN.md, "Tests"). `conformance(a, select)` registers, in a `describe` named after the
// adapter, the standard cases that apply to adapter `a` (adapters.mjs: the model, the forms,
// what the structure can do); which apply is decided by the adapter's capabilities, never by
// skipping. Cases, by id:
//
//   smoke               a token put is taken unchanged with every form (queue); every form of
//                       take gets a permit and put returns it (permits); one leader per
//                       generation (barrier)
//   capacity            exactly `capacity` fit with no taker, lap after lap, FIFO
//   empty-full          try forms report empty / full as a status, never throw; nothing changed
//   timeout-abort-take  take on empty: TimeoutError after a timeout, AbortError from a signal
//                       (aborted before a blocking call; before and during an async one), then
//                       nothing changed (no token lost, no permit or arrival left behind)
//   timeout-abort-put   the same for put on full (queues, whose put waits)
//   wakes               a put here wakes a taker blocked in a worker (permits: giving back
//                       the permits), a take here wakes a putter blocked on full
//   close               puts fail with ClosedError, takes drain what was put then end (every
//                       form), try take says closed
//   close-wakes-takers  close wakes a taker blocked in a worker and an async one here
//   close-wakes-putters close wakes a putter blocked in a worker and an async one here
//   spsc, mpmc          real worker threads (test/fixtures/conformance-worker.mjs) with forms
//                       mixed by a seeded PRNG; a verifier counts every token: none lost, none
//                       duplicated, per-producer order (test/fixtures/verify.ts); once the
//                       producers are done the test puts one end marker per consumer, so the
//                       run does not depend on close (which has cases of its own). Permits: the
//                       workers log every critical section, never more than `capacity` inside,
//                       a plain counter exact under a lock of one. Barrier: every party passes
//                       every round only after all arrived, one leader per round
//   async-takers        fairness: several async takes of ONE thread wait at once (permits:
//                       while earlier async takes of the thread hold every permit) and each
//                       is served once (in arrival order where the adapter promises FIFO)
//   async-putters       several async puts of one thread on a full queue all complete, in order
//   leaks               create, use every form, attach from the handle, free: the region's
//                       usedBlocks and freeBytes are back where they started
//   leaks-worker-exit   the same when a worker attached it, used it and exited (no detach)
//
// `select` picks cases by id (`{ only }`, `{ except }`), to run a subset while debugging
// (subjects.ts lists the structures).
// Budgets scale with SABRE_STRESS (stress-level.ts). Timeouts here are short waits that must
// end in an error, or bounds on waits that must not (a lost wake-up fails a case instead of
// hanging the run); no assertion is about how long anything took. A case that waits for a
// worker blocked in the core gives it a longer timeout than the case's own (20 s), so a missed
// wake-up cannot pass as "woke at its timeout and saw the new state".
import { describe, expect, it } from "vitest";
import { AbortError, ClosedError, DeadlockError, Region, TimeoutError } from "sabre";
import { startJobWorker, type JobResult } from "../../fixtures/job-worker";
import { stressLevel, stressMultiplier } from "../../fixtures/stress-level";
import { expectEverySequenceOnce } from "../../fixtures/verify";
import { adapter as makeAdapter } from "./adapters.mjs";

export type CaseId =
  | "smoke" | "capacity" | "empty-full" | "timeout-abort-take" | "timeout-abort-put" | "wakes" | "close" | "close-wakes-takers"
  | "close-wakes-putters" | "spsc" | "mpmc" | "async-takers" | "async-putters" | "leaks" | "leaks-worker-exit";

type Opts = { timeout?: number; signal?: AbortSignal };
type TryTake = { ok: true; value: number } | { ok: false; closed: boolean };

/** What adapters.mjs builds (see its header for the meaning of each field). */
export interface Adapter<S = any> {
  kind: string;
  params: Record<string, unknown>;
  model: "queue" | "permits" | "barrier";
  capacity: number;
  producers: number;
  consumers: number;
  manyAsyncTakers: boolean;
  fifoTakers: boolean;
  owned?: boolean;
  create(region: Region): S;
  attach(handle: unknown): S;
  handle(s: S): any;
  put?: {
    blocking(s: S, token?: number, o?: Opts): void;
    try(s: S, token?: number): boolean;
    async(s: S, token?: number, o?: Opts): Promise<void>;
  };
  take: {
    blocking(s: S, o?: Opts): number;
    try?(s: S): TryTake;
    async(s: S, o?: Opts): Promise<number>;
  };
  occupy?(s: S): (() => void) | Promise<() => void>;
  close?(s: S): void;
  length?(s: S): number;
  detach?(s: S): void;
  free(s: S): void;
}

/** A structure under test: its adapter and the name its cases are reported under. */
export interface Subject {
  name: string;
  kind: string;
  params?: Record<string, unknown>;
}

/** The token that tells a consumer to stop (conformance-worker.mjs). */
const END = 0x7fffffff;
// the stats block of conformance-worker.mjs (same word numbers there)
const READY = 0, MAX_INSIDE = 2, VIOLATIONS = 3, PLAIN = 4, LOG_LEN = 5, LOG = 22;

/** A case's own timeout (ms); a worker's waits are 3 times longer (see the header). */
const CASE_TIMEOUT = 20_000 * Math.max(1, stressMultiplier());
const SHORT = 20; // ms: a wait that must time out
const LONG = { timeout: 30_000 }; // a wait that must not (a lost wake-up fails the test by timing out)
const BOUNDED = { timeout: 3_000 }; // a wait that must not, where a failure must not hang the case
/** One turn of the event loop (a free() that finishes after a stopped async receive, a holder). */
const tick = () => new Promise((r) => setTimeout(r, 0));
/** Gives a worker that said "ready" a moment to reach its wait (the case holds either way). */
const settle = () => new Promise((r) => setTimeout(r, 30));

/** Starts conformance-worker.mjs on structure `s`; `result` also settles if it dies without one. */
function worker(a: Adapter, s: unknown, command: Record<string, unknown>) {
  const job = startJobWorker("conformance-worker.mjs", {
    kind: a.kind, params: a.params, handle: a.handle(s), patience: 3 * CASE_TIMEOUT, ...command,
  });
  const died = job.exited.then(
    (): JobResult => ({ error: "WorkerExit", message: "the worker exited without a result" }),
    (error): JobResult => ({ error: "WorkerCrash", message: String(error) }),
  );
  return { ...job, result: Promise.race([job.result, died]) };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (error) {
    return (error as Error).name;
  }
}

function ok(result: JobResult): any {
  if (result.error) throw new Error(`worker failed: ${result.error}: ${result.message}`);
  return result.ok;
}

/** Takes with the try form until empty; the tokens in order. */
function drainTry(a: Adapter, s: unknown): number[] {
  const out: number[] = [];
  for (let r = a.take.try!(s); r.ok; r = a.take.try!(s)) out.push(r.value);
  return out;
}

/** Permits all taken by this thread: one more try says "none" — or, where a lock is owned by
 *  its thread (`owned`), DeadlockError, since trying again could never succeed. */
function expectNoMoreByHolder(a: Adapter, s: unknown): void {
  if (a.owned) expect(() => a.take.try!(s)).toThrow(DeadlockError);
  else expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
}

export function conformance(subject: Subject, select: { only?: readonly CaseId[]; except?: readonly CaseId[] } = {}): void {
  const a = makeAdapter(subject.kind, subject.params ?? {}) as Adapter;
  const queue = a.model === "queue";
  const permits = a.model === "permits";
  const barrier = a.model === "barrier";
  const closable = a.close !== undefined;
  const cases: [CaseId, string, boolean, () => unknown][] = [];
  const add = (id: CaseId, title: string, applies: boolean, body: () => unknown) => cases.push([id, title, applies, body]);

  add("smoke", "smoke: what is put is taken, with every form", true, async () => {
    const region = Region.create();
    const s = a.create(region);
    if (barrier) {
      const leaders = await Promise.all(Array.from({ length: a.capacity }, () => a.take.async(s, LONG)));
      expect(leaders.reduce((x, y) => x + y, 0)).toBe(1);
      expect(a.length!(s)).toBe(0);
      if (a.capacity === 1) expect(a.take.blocking(s)).toBe(1);
    } else if (permits) {
      a.take.blocking(s, LONG);
      a.put!.blocking(s);
      expect(a.take.try!(s).ok).toBe(true);
      a.put!.try(s);
      await a.take.async(s, LONG);
      await a.put!.async(s);
      expect(a.length!(s)).toBe(a.capacity);
    } else if (a.capacity > 0) {
      a.put!.blocking(s, 11, LONG);
      expect(a.take.blocking(s, LONG)).toBe(11);
      expect(a.put!.try(s, 12)).toBe(true);
      expect(a.take.try!(s)).toEqual({ ok: true, value: 12 });
      await a.put!.async(s, 13, LONG);
      expect(await a.take.async(s, LONG)).toBe(13);
      a.put!.blocking(s, 14, LONG);
      expect(await a.take.async(s, LONG)).toBe(14);
      await a.put!.async(s, 15, LONG);
      expect(a.take.blocking(s, LONG)).toBe(15);
      expect(a.length!(s)).toBe(0);
    } else {
      // rendezvous: a put completes only with a taker; async pairs on this thread, blocking
      // forms against a worker
      const [, got] = await Promise.all([a.put!.async(s, 21, LONG), a.take.async(s, LONG)]);
      expect(got).toBe(21);
      const taker = worker(a, s, { role: "take", form: "blocking" });
      await taker.ready;
      a.put!.blocking(s, 22, LONG);
      expect(ok(await taker.result)).toBe(22);
      const putter = worker(a, s, { role: "put", form: "blocking", token: 23 });
      await putter.ready;
      expect(a.take.blocking(s, LONG)).toBe(23);
      expect(ok(await putter.result)).toBe(23);
      await Promise.all([taker.exited, putter.exited]);
    }
  });

  add("capacity", `capacity: exactly ${a.capacity} fit, lap after lap`, !barrier, async () => {
    const s = a.create(Region.create());
    if (permits) {
      for (let lap = 0; lap < 3; lap++) {
        for (let i = 0; i < a.capacity; i++) expect(a.take.try!(s).ok).toBe(true);
        expectNoMoreByHolder(a, s);
        expect(a.length!(s)).toBe(0);
        for (let i = 0; i < a.capacity; i++) a.put!.blocking(s);
        expect(a.length!(s)).toBe(a.capacity);
      }
      return;
    }
    for (let lap = 0; lap < 3; lap++) {
      const tokens = Array.from({ length: a.capacity }, (_, i) => lap * 1000 + i);
      for (const t of tokens) expect(a.put!.try(s, t)).toBe(true);
      expect(a.put!.try(s, 999_999)).toBe(false);
      expect(a.length!(s)).toBe(a.capacity);
      expect(drainTry(a, s)).toEqual(tokens);
      expect(a.length!(s)).toBe(0);
    }
  });

  add("empty-full", "empty/full: try forms return a status and never throw for would-block", !barrier, async () => {
    const s = a.create(Region.create());
    if (permits) {
      const giveBack = await a.occupy!(s);
      expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
      expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
      expect(a.length!(s)).toBe(0);
      giveBack();
      expect(a.length!(s)).toBe(a.capacity);
      return;
    }
    expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
    const tokens = Array.from({ length: a.capacity }, (_, i) => 100 + i);
    for (const t of tokens) expect(a.put!.try(s, t)).toBe(true);
    expect(a.put!.try(s, 7)).toBe(false);
    expect(a.put!.try(s, 8)).toBe(false);
    expect(a.length!(s)).toBe(a.capacity);
    expect(drainTry(a, s)).toEqual(tokens);
    expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
  });

  add("timeout-abort-take", "timeout/abort on take: TimeoutError, AbortError (blocking and async), nothing changed", true, async () => {
    const s = a.create(Region.create());
    const giveBack = permits ? await a.occupy!(s) : undefined;
    if (barrier && a.capacity === 1) return expect(a.take.blocking(s, { timeout: SHORT })).toBe(1); // never waits
    expect(() => a.take.blocking(s, { timeout: SHORT })).toThrow(TimeoutError);
    expect(() => a.take.blocking(s, { timeout: 0 })).toThrow(TimeoutError);
    await expect(a.take.async(s, { timeout: SHORT })).rejects.toBeInstanceOf(TimeoutError);
    await expect(a.take.async(s, { timeout: 0 })).rejects.toBeInstanceOf(TimeoutError);
    expect(() => a.take.blocking(s, { signal: AbortSignal.abort() })).toThrow(AbortError);
    await expect(a.take.async(s, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const ac = new AbortController();
    const pending = a.take.async(s, { signal: ac.signal });
    await settle();
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    await expect(a.take.async(s, { signal: AbortSignal.timeout(SHORT) })).rejects.toBeInstanceOf(AbortError);
    // nothing changed: no token consumed or left behind, no permit or arrival kept
    if (queue) {
      expect(a.length!(s)).toBe(0);
      if (a.capacity > 0) {
        a.put!.blocking(s, 5, LONG);
        expect(a.take.try!(s)).toEqual({ ok: true, value: 5 });
      } else {
        const [, got] = await Promise.all([a.put!.async(s, 5, LONG), a.take.async(s, LONG)]);
        expect(got).toBe(5);
      }
      expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
    } else if (permits) {
      expect(a.length!(s)).toBe(0);
      giveBack!();
      expect(a.length!(s)).toBe(a.capacity);
      for (let i = 0; i < a.capacity; i++) expect(a.take.try!(s).ok).toBe(true);
      expectNoMoreByHolder(a, s);
    } else {
      expect(a.length!(s)).toBe(0);
      const leaders = await Promise.all(Array.from({ length: a.capacity }, () => a.take.async(s, LONG)));
      expect(leaders.reduce((x, y) => x + y, 0)).toBe(1);
    }
  });

  add("timeout-abort-put", "timeout/abort on put: TimeoutError, AbortError (blocking and async), nothing changed", queue, async () => {
    const s = a.create(Region.create());
    const tokens = Array.from({ length: a.capacity }, (_, i) => 300 + i);
    for (const t of tokens) a.put!.blocking(s, t, LONG);
    expect(() => a.put!.blocking(s, 1, { timeout: SHORT })).toThrow(TimeoutError);
    expect(() => a.put!.blocking(s, 2, { timeout: 0 })).toThrow(TimeoutError);
    await expect(a.put!.async(s, 3, { timeout: SHORT })).rejects.toBeInstanceOf(TimeoutError);
    expect(() => a.put!.blocking(s, 4, { signal: AbortSignal.abort() })).toThrow(AbortError);
    await expect(a.put!.async(s, 5, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const ac = new AbortController();
    const pending = a.put!.async(s, 6, { signal: ac.signal });
    await settle();
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    // nothing changed: exactly the tokens put before, and none of the ones that gave up
    expect(a.length!(s)).toBe(a.capacity);
    expect(drainTry(a, s)).toEqual(tokens);
    expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
    if (a.capacity > 0) {
      a.put!.blocking(s, 7, LONG);
      expect(a.take.blocking(s, LONG)).toBe(7);
    }
  });

  add("wakes", "wakes: a put here wakes a taker blocked in a worker; a take here wakes a blocked putter",
    permits || (queue && a.capacity > 0), async () => {
      const region = Region.create();
      const s = a.create(region);
      const giveBack = permits ? await a.occupy!(s) : undefined;
      const taker = worker(a, s, { role: "take", form: "blocking" });
      await taker.ready;
      await settle();
      if (permits) {
        giveBack!(); // the worker takes a permit and gives it back
        ok(await taker.result);
        await taker.exited;
        expect(a.length!(s)).toBe(a.capacity);
        return;
      }
      a.put!.blocking(s, 31, LONG);
      expect(ok(await taker.result)).toBe(31);
      // a structure of its own: the worker was the taking thread of the first (Mailbox, ByteRing)
      const full = a.create(region);
      const tokens = Array.from({ length: a.capacity }, (_, i) => 40 + i);
      for (const t of tokens) a.put!.blocking(full, t, LONG);
      const putter = worker(a, full, { role: "put", form: "blocking", token: 32 });
      await putter.ready;
      await settle();
      expect(a.take.blocking(full, LONG)).toBe(tokens[0]);
      expect(ok(await putter.result)).toBe(32);
      expect(drainTry(a, full)).toEqual([...tokens.slice(1), 32]);
      await Promise.all([taker.exited, putter.exited]);
    });

  add("close", "close: puts fail, takes drain what was put then end, with every form", queue && closable, async () => {
    const s = a.create(Region.create());
    const tokens = [41, 42, 43].slice(0, a.capacity);
    for (const t of tokens) a.put!.blocking(s, t, LONG);
    a.close!(s);
    a.close!(s); // idempotent
    expect(() => a.put!.blocking(s, 1, LONG)).toThrow(ClosedError);
    expect(() => a.put!.try(s, 1)).toThrow(ClosedError);
    await expect(a.put!.async(s, 1, LONG)).rejects.toBeInstanceOf(ClosedError);
    const got: number[] = [];
    if (tokens.length > 0) got.push(a.take.blocking(s, LONG));
    if (tokens.length > 1) got.push((a.take.try!(s) as { value: number }).value);
    if (tokens.length > 2) got.push(await a.take.async(s, LONG));
    expect(got).toEqual(tokens);
    expect(a.take.try!(s)).toEqual({ ok: false, closed: true });
    expect(() => a.take.blocking(s, LONG)).toThrow(ClosedError);
    await expect(a.take.async(s, LONG)).rejects.toBeInstanceOf(ClosedError);
  });

  add("close-wakes-takers", "close wakes waiting takers: one blocked in a worker, one async here", queue && closable, async () => {
    const region = Region.create();
    const s = a.create(region);
    const here = a.consumers === 1 ? a.create(region) : s; // one taking thread per structure
    const blocked = worker(a, s, { role: "take", form: "blocking" });
    await blocked.ready;
    const waiting = outcome(a.take.async(here, LONG));
    await settle();
    a.close!(s);
    a.close!(here);
    expect(await waiting).toBe("ClosedError");
    expect((await blocked.result).error).toBe("ClosedError");
    await blocked.exited;
  });

  add("close-wakes-putters", "close wakes waiting putters: one blocked in a worker, one async here", queue && closable, async () => {
    const region = Region.create();
    const s = a.create(region);
    const here = a.producers === 1 ? a.create(region) : s; // one putting thread per structure
    for (let i = 0; i < a.capacity; i++) a.put!.blocking(s, i, LONG);
    for (let i = 0; here !== s && i < a.capacity; i++) a.put!.blocking(here, i, LONG);
    const blocked = worker(a, s, { role: "put", form: "blocking", token: 77 });
    await blocked.ready;
    const waiting = outcome(a.put!.async(here, 78, LONG));
    await settle();
    a.close!(s);
    a.close!(here);
    expect(await waiting).toBe("ClosedError");
    expect((await blocked.result).error).toBe("ClosedError");
    await blocked.exited;
    // what was put before the close is still there, and nothing else
    expect(drainTry(a, s).length).toBe(a.capacity);
  });

  const transfer = (producers: number, consumers: number, count: number) => async () => {
    const region = Region.create({ size: 4 << 20 });
    const s = a.create(region);
    const logLength = permits ? producers * count : 0;
    const statsAt = region.alloc((LOG + logLength + 1) * 4);
    const stats = new Int32Array(region.memory.buffer, statsAt, LOG + logLength);
    const threads = barrier ? a.capacity : permits ? producers : producers + consumers;
    const common = { stats: statsAt, logLength, gate: threads, count };
    const seed = 0x5eed + producers * 31 + consumers;
    if (queue) {
      // the end markers come from the producer itself where only one thread may put (ByteRing)
      const ends = a.producers === 1 ? consumers : 0;
      const prod = Array.from({ length: producers }, (_, id) => worker(a, s, { ...common, role: "producer", id, seed: seed + id, ends }));
      const cons = Array.from({ length: consumers }, (_, id) => worker(a, s, { ...common, role: "consumer", producers, seed: seed + 100 + id }));
      for (const p of prod) expect(ok(await p.result)).toBe(count);
      // every token is in or through the structure: one end marker per consumer after them
      // (FIFO: each consumer stops at the first it takes, after every token before it)
      for (let i = ends; i < consumers; i++) a.put!.blocking(s, END, LONG);
      const results = [];
      for (const c of cons) results.push(ok(await c.result) as { seen: number[][]; error?: string });
      for (const r of results) expect(r.error).toBeUndefined();
      expectEverySequenceOnce(results, producers, count);
      await Promise.all([...prod, ...cons].map((w) => w.exited));
      return;
    }
    const parties = Array.from({ length: threads }, (_, id) =>
      worker(a, s, { ...common, role: barrier ? "party" : "holder", id, seed: seed + id }));
    const done = [];
    for (const w of parties) done.push(ok(await w.result));
    await Promise.all(parties.map((w) => w.exited));
    expect(stats[VIOLATIONS]).toBe(0);
    if (barrier) {
      // every party saw every round with all parties arrived; one leader per round
      expect(done.reduce((x: number, y: number) => x + y, 0)).toBe(count);
      expect(a.length!(s)).toBe(0);
      return;
    }
    expect(stats[MAX_INSIDE]).toBeLessThanOrEqual(a.capacity);
    expect(stats[LOG_LEN]).toBe(producers * count);
    const seen = Array.from({ length: producers }, () => [] as number[]);
    for (let i = 0; i < producers * count; i++) seen[stats[LOG + i] >>> 20].push(stats[LOG + i] & 0xfffff);
    for (const [p, seqs] of seen.entries()) expect(seqs, `holder ${p} in its own order`).toEqual([...seqs].sort((x, y) => x - y));
    expectEverySequenceOnce([{ seen }], producers, count);
    if (a.capacity === 1) expect(stats[PLAIN]).toBe(producers * count);
    expect(a.length!(s)).toBe(a.capacity);
    expect(stats[READY]).toBe(threads);
  };
  const spscTitle = queue ? "spsc: 1 producer and 1 consumer thread, every token once, in order"
    : permits ? "spsc: 2 threads take turns, every critical section logged once, exclusion held"
    : `spsc: ${a.capacity} parties x rounds, all arrive before any passes, one leader per round`;
  add("spsc", spscTitle, true, transfer(permits ? 2 : 1, 1, stressLevel(barrier ? 100 : queue ? 400 : 300)));
  const mp = Math.min(3, a.producers), mc = Math.min(3, a.consumers);
  const mpmcTitle = queue ? `mpmc: ${mp} producer and ${mc} consumer threads, every token once, per-producer order`
    : `mpmc: 4 threads contend, every critical section logged once, at most ${a.capacity} inside`;
  add("mpmc", mpmcTitle, permits || (queue && (mp > 1 || mc > 1)), transfer(permits ? 4 : mp, mc, stressLevel(200)));

  // several async calls of one thread at once: each is given a bounded wait (BOUNDED) so that
  // a call that is never served fails the case with its error instead of hanging it
  const k = 3;
  const settledNames = async (ps: Promise<unknown>[]) =>
    (await Promise.allSettled(ps)).map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as Error).name));
  add("async-takers", `async takers: ${k} async takes of one thread wait at once, each is served once${a.fifoTakers ? ", oldest first" : ""}`,
    (queue || permits) && a.manyAsyncTakers, async () => {
      const s = a.create(Region.create());
      // permits: earlier async takes of this thread hold every permit while the k wait
      for (let i = 0; permits && i < a.capacity; i++) await a.take.async(s, BOUNDED);
      const order: number[] = [];
      const got: number[] = [];
      const takes = settledNames(Array.from({ length: k }, (_, i) => a.take.async(s, BOUNDED).then(async (v) => {
        order.push(i);
        got.push(v);
        if (!permits) return;
        await tick(); // each holds its permit a while (the others look meanwhile), then returns it
        a.put!.blocking(s);
      })));
      await settle();
      if (permits) {
        for (let i = 0; i < a.capacity; i++) a.put!.blocking(s);
        expect(await takes).toEqual(["ok", "ok", "ok"]);
        expect(a.length!(s)).toBe(a.capacity);
        return;
      }
      const puts = settledNames(Array.from({ length: k }, (_, i) => a.put!.async(s, 500 + i, BOUNDED)));
      expect({ takes: await takes, puts: await puts }).toEqual({ takes: ["ok", "ok", "ok"], puts: ["ok", "ok", "ok"] });
      expect([...got].sort()).toEqual([500, 501, 502]);
      if (a.fifoTakers) {
        expect(got).toEqual([500, 501, 502]);
        expect(order).toEqual([0, 1, 2]);
      }
      expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
    });

  add("async-putters", `async putters: ${k} async puts of one thread wait on a full queue, all complete in order`,
    queue && a.capacity > 0 && a.producers > 1, async () => {
      const s = a.create(Region.create());
      for (let i = 0; i < a.capacity; i++) a.put!.blocking(s, i, LONG);
      const puts = settledNames(Array.from({ length: k }, (_, i) => a.put!.async(s, 600 + i, BOUNDED)));
      await settle();
      const got: number[] = [];
      const drained = (async () => {
        while (got.length < a.capacity + k) got.push(await a.take.async(s, BOUNDED));
      })();
      expect({ puts: await puts, takes: await settledNames([drained]) }).toEqual({ puts: ["ok", "ok", "ok"], takes: ["ok"] });
      expect(got.slice(0, a.capacity)).toEqual(Array.from({ length: a.capacity }, (_, i) => i));
      expect([...got.slice(a.capacity)].sort()).toEqual([600, 601, 602]);
      expect(a.take.try!(s)).toEqual({ ok: false, closed: false });
    });

  add("leaks", "leaks: create, use every form, attach, free: the region is back where it started", true, async () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    const bytes = region.freeBytes;
    for (let round = 0; round < 3; round++) {
      const s = a.create(region);
      const again = a.attach(a.handle(s));
      if (queue && a.capacity > 0) {
        a.put!.blocking(s, 1, LONG);
        expect(a.take.blocking(again, LONG)).toBe(1);
        expect(a.put!.try(s, 2)).toBe(true);
        expect(await a.take.async(s, LONG)).toBe(2);
        await a.put!.async(again, 3, LONG);
        expect(a.take.try!(s)).toEqual({ ok: true, value: 3 });
      } else if (queue) {
        const [, got] = await Promise.all([a.put!.async(s, 4, LONG), a.take.async(again, LONG)]);
        expect(got).toBe(4);
      } else if (permits) {
        a.take.blocking(s, LONG);
        a.put!.blocking(s);
        await a.take.async(again, LONG);
        await a.put!.async(again);
      } else {
        await Promise.all(Array.from({ length: a.capacity }, (_, i) => a.take.async(i % 2 ? again : s, LONG)));
      }
      if (closable) a.close!(s);
      a.detach?.(again);
      a.free(s);
      await tick();
      expect(region.usedBlocks).toBe(blocks);
      expect(region.freeBytes).toBe(bytes);
    }
  });

  add("leaks-worker-exit", "leaks: a worker that attached it, used it and exited leaves nothing behind once it is freed", !barrier, async () => {
    const region = Region.create();
    const blocks = region.usedBlocks;
    const bytes = region.freeBytes;
    const s = a.create(region);
    const user = worker(a, s, { role: "use" });
    ok(await user.result);
    await user.exited;
    if (closable) a.close!(s);
    a.free(s);
    await tick();
    expect(region.usedBlocks).toBe(blocks);
    expect(region.freeBytes).toBe(bytes);
  });

  const picked = cases.filter(([id, , applies]) =>
    applies && (!select.only || select.only.includes(id)) && !select.except?.includes(id));
  if (picked.length === 0) return;
  // a lost wake-up hangs a case: fail it in 20 s rather than the default 60 s (more when
  // SABRE_STRESS raises the worker cases' budgets)
  describe(subject.name, { timeout: CASE_TIMEOUT }, () => {
    for (const [id, title, , body] of picked) it(`${title} [${id}]`, body);
  });
}
