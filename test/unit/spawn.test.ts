// spawn.test.ts — spawnWorker / attachWorkerData (sabre/node, worker threads) and the wire
// form under them (toWire / fromWire / registerHandleKind, from 'sabre'): live objects nested
// in objects, arrays and Maps come back attached and usable in the worker; a worker that
// throws or exits non-zero wakes the parent's blocked recv with PeerGoneError (never a hang:
// every wait has a timeout far above what it needs); a clean exit marks no channel, only the
// mailboxes the worker read (reader-gone); bad handles
// name their path. Each entry's spawnWorker is its own (Node threads vs Web Workers).
import { describe, expect, it } from "vitest";
import { Worker as NodeWorker } from "node:worker_threads";
import * as web from "sabre";
import * as node from "sabre/node";
import {
  Barrier, ByteRing, Channel, CondVar, ForeignHandleError, InvalidArgumentError, Mailbox, Mutex, PeerGoneError, Region, RingBuffer, RwLock, Semaphore,
  WorkerCrashError, fromWire, registerHandleKind, toWire, type Attached,
} from "sabre";
import { attachWorkerData, createRegion, spawnProcess, spawnWorker } from "sabre/node";
// @ts-expect-error: plain .mjs fixture without type declarations
import { upperCodec } from "../fixtures/upper-codec.mjs";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const LONG = 30_000; // far above what any wait here needs: a failure shows as an error, not a hang

type Reply = { error?: string; message?: string; kinds?: Record<string, unknown> } | string;

/** Spawns spawn-worker.mjs in `mode`; `messages` yields what it posts, in order. */
function spawn(mode: string, data: Record<string, unknown> = {}, onCrash?: (e: Error) => void) {
  const started = spawnWorker(fixture("spawn-worker.mjs"), { data: { mode, ...data }, onCrash });
  const queue: Reply[] = [];
  const wakers: ((m: Reply) => void)[] = [];
  started.worker.on("message", (m: Reply) => {
    const w = wakers.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise<Reply>((r) => wakers.push(r)));
  return { ...started, next };
}

describe("spawnWorker / attachWorkerData (worker threads)", () => {
  it("revives a Region, Channels, a Mutex, a Semaphore and a RingBuffer nested in objects, arrays and Maps; the worker uses them", async () => {
    const region = Region.create();
    const lock = Mutex.create(region);
    const jobs = Channel.create<number>(region, { capacity: 4 });
    const reply = Channel.create<{ sum: number; worker: string }>(region, { capacity: 1 });
    const sem = Semaphore.create(region, { initial: 0, max: 1000 });
    const ring = RingBuffer.create(region, { capacity: 64 });
    const counterOffset = region.alloc(4);
    const n = 40;
    const w = spawn("use", {
      config: { region, lock, jobs, reply },
      map: new Map<string, unknown>([["sem", sem], ["ring", ring]]),
      list: [region, [lock]],
      numbers: Int32Array.of(1, 2, 3),
      n, label: "x", flag: true, nothing: null, counterOffset,
    });
    const first = (await w.next()) as { kinds: Record<string, unknown> };
    expect(first.kinds).toEqual({
      region: true, lock: true, jobs: true, reply: true, sem: true, ring: true, nested: true, sameRegion: true,
      numbers: true, primitives: [n, "x", true, null],
    });
    let expected = 0;
    for (let i = 1; i <= n; i++) {
      await jobs.sendAsync(i, { timeout: LONG });
      expected += i;
    }
    await sem.acquireAsync(n, { timeout: LONG });
    const doubled: number[] = [];
    for (let i = 0; i < n; i++) doubled.push(await ring.popAsync({ timeout: LONG }));
    expect(doubled).toEqual(Array.from({ length: n }, (_, i) => (i + 1) * 2));
    expect(await reply.recvAsync({ timeout: LONG })).toEqual({ sum: expected, worker: "done" });
    await w.exited;
    expect(new Int32Array(region.memory.buffer, counterOffset, 1)[0]).toBe(expected);
    expect(lock.locked).toBe(false);
    // a clean exit marked nothing: the channels still work
    expect(jobs.trySend(1)).toBe(true);
    expect(jobs.recv({ timeout: LONG })).toBe(1);
  });

  it("a worker that throws while the main thread is blocked in recv: recv throws PeerGoneError; exited rejects with the error", async () => {
    const ch = Channel.create<number>(Region.create());
    const w = spawn("throw", { ch });
    const crashed = expect(w.exited).rejects.toThrow("boom from the worker"); // handled from the start
    expect(await w.next()).toBe("ready");
    expect(() => ch.recv({ timeout: LONG })).toThrow(PeerGoneError); // synchronous: woken by the worker's own hook
    await crashed;
  });

  it("a Mailbox in data: the worker serves requests; when it dies mid-request, waiting requests (blocking and async) get PeerGoneError", async () => {
    const inbox = Mailbox.create<number>(Region.create());
    const w = spawn("serve", { inbox, n: 3 });
    // handled from the start: it may reject while this thread is blocked below
    const crashed = expect(w.exited).rejects.toThrow("server crashed");
    expect(await w.next()).toBe("ready");
    expect([2, 3, 4].map((x) => inbox.request(x, { timeout: LONG }))).toEqual([4, 9, 16]);
    // the server takes request 5 and throws without replying: the mailbox is marked peer-gone
    const pending = inbox.requestAsync(5, { timeout: LONG });
    expect(() => inbox.request(6, { timeout: LONG })).toThrow(PeerGoneError);
    await expect(pending).rejects.toThrow(PeerGoneError);
    await crashed;
  });

  it("a worker that calls process.exit(3) while the main thread is blocked in recv: PeerGoneError; WorkerCrashError with exitCode 3", async () => {
    const ch = Channel.create<number>(Region.create(), { capacity: 2 });
    const w = spawn("exit3", { deep: { list: [ch] } });
    const ended = w.exited.then(() => undefined, (e: unknown) => e); // handled from the start
    expect(await w.next()).toBe("ready");
    expect(() => ch.recv({ timeout: LONG })).toThrow(PeerGoneError);
    const error = await ended;
    expect(error).toBeInstanceOf(WorkerCrashError);
    expect((error as WorkerCrashError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/exited with code 3/);
  });

  it("a worker that throws before calling attachWorkerData still marks (the hook is installed when sabre/node loads)", async () => {
    const ch = Channel.create<number>(Region.create());
    const w = spawn("throw-unattached", { ch });
    const crashed = expect(w.exited).rejects.toThrow("boom before attaching"); // handled from the start
    expect(await w.next()).toBe("ready");
    expect(() => ch.recv({ timeout: LONG })).toThrow(PeerGoneError);
    await crashed;
  });

  it("a worker that never loads sabre: the parent's watcher marks, a recvAsync gets PeerGoneError, onCrash runs once", async () => {
    const ch = Channel.create<number>(Region.create());
    const crashes: Error[] = [];
    const started = spawnWorker(fixture("plain-crash-worker.mjs"), { data: { ch: ch.handle }, onCrash: (e) => crashes.push(e) });
    await expect(ch.recvAsync({ timeout: LONG })).rejects.toThrow(PeerGoneError);
    await expect(started.exited).rejects.toThrow("plain worker crashed");
    expect(crashes.map((e) => e.message)).toEqual(["plain worker crashed"]);
  });

  it("a clean exit marks nothing", async () => {
    const region = Region.create();
    const ch = Channel.create<number>(region, { capacity: 1 });
    const w = spawn("clean", { ch, list: [ch] });
    expect(await w.next()).toBe("ready");
    await w.exited;
    expect(ch.trySend(7)).toBe(true);
    expect(ch.recv({ timeout: LONG })).toBe(7);
  });

  it("a clean exit marks the mailboxes the worker read reader-gone, and leaves a channel passed with them open", async () => {
    const region = Region.create();
    const inbox = Mailbox.create<number>(region);
    const ch = Channel.create<number>(region, { capacity: 1 });
    const w = spawn("serve-then-end", { inbox, ch, n: 1 });
    expect(await w.next()).toBe("ready");
    expect(inbox.request(5, { timeout: LONG })).toBe(25);
    await w.exited; // resolves: a clean exit is no crash
    expect(inbox.readerGone).toBe(true);
    expect(() => inbox.request(6, { timeout: LONG })).toThrow(PeerGoneError);
    expect(ch.trySend(7)).toBe(true);
    expect(ch.recv({ timeout: LONG })).toBe(7);
  });

  it("terminate() marks the endpoints, stops the worker and resolves exited", async () => {
    const ch = Channel.create<number>(Region.create());
    const w = spawn("block", { channel: ch });
    expect(await w.next()).toBe("ready");
    await w.terminate();
    await w.exited;
    expect(() => ch.send(1, { timeout: LONG })).toThrow(PeerGoneError);
  });

  it("a channel with a custom codec: the worker passes { codecs } and talks through the same codec", async () => {
    const region = Region.create();
    const channel = Channel.create<string>(region, { capacity: 1, codec: upperCodec });
    const back = Channel.create<string>(region, { capacity: 1, codec: upperCodec });
    const w = spawn("codec", { channel, back });
    channel.send("hello", { timeout: LONG });
    expect(await back.recvAsync({ timeout: LONG })).toBe("HELLO!");
    await w.exited;
  });

  it("a handle of an unknown kind: attachWorkerData rejects with ForeignHandleError naming the path", async () => {
    const region = Region.create();
    const jobs = [Mutex.create(region), Mutex.create(region), { __sabre: "teleporter", region: region.handle, offset: 64 }];
    const w = spawn("attach-error", { jobs });
    const reply = (await w.next()) as { error: string; message: string };
    expect(reply.error).toBe("ForeignHandleError");
    expect(reply.message).toContain("data.jobs[2]");
    expect(reply.message).toContain('"teleporter"');
    await w.exited;
  });

  it("rejects unknown options and a non-function onCrash with exact messages", () => {
    const f = fixture("spawn-worker.mjs");
    expect(() => spawnWorker(f, { dta: 1 } as never)).toThrow('spawnWorker: unknown option "dta"');
    expect(() => spawnWorker(f, { onCrash: 1 } as never)).toThrow("spawnWorker: onCrash must be a function");
    expect(() => spawnWorker(f, { type: "classic" } as never)).toThrow(/type may only be "module"/);
    expect(() => spawnWorker(f, { data: { mode: "clean", job: () => 1 } })).toThrow(InvalidArgumentError);
    expect(() => spawnWorker(f, { data: { mode: "clean", job: () => 1 } })).toThrow(/spawnWorker: data cannot be sent to a worker/);
  });

  it("attachWorkerData on the main thread says where it belongs", async () => {
    await expect(attachWorkerData()).rejects.toThrow(/inside a worker started by spawnWorker/);
  });
});

describe("entries: each has its own spawnWorker and attachWorkerData", () => {
  it("'sabre/node' gives the worker-threads versions, shadowing 'sabre''s Web Worker ones", async () => {
    expect(node.spawnWorker).toBe(spawnWorker);
    expect(node.attachWorkerData).toBe(attachWorkerData);
    expect(node.spawnWorker).not.toBe(web.spawnWorker);
    expect(node.attachWorkerData).not.toBe(web.attachWorkerData);
    const started = node.spawnWorker(fixture("spawn-worker.mjs"), { data: { mode: "clean" } });
    expect(started.worker).toBeInstanceOf(NodeWorker);
    await started.exited;
  });

  it("'sabre''s versions are for Web Workers and say to import from 'sabre/node' in Node", async () => {
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe("undefined"); // Node has no Web Worker
    expect(() => web.spawnWorker("./x.js", { data: {} })).toThrow(/import spawnWorker from 'sabre\/node'/);
    await expect(web.attachWorkerData()).rejects.toThrow(/import attachWorkerData from 'sabre\/node'/);
  });
});

describe("toWire / fromWire", () => {
  it("every primitive becomes its handle and comes back as its class; shared and cyclic references are kept", () => {
    const region = Region.create();
    const mutex = Mutex.create(region);
    const all = {
      region, mutex, sem: Semaphore.create(region), cv: CondVar.create(region), barrier: Barrier.create(region, 2),
      rw: RwLock.create(region), ring: RingBuffer.create(region, { capacity: 4 }),
      bytes: ByteRing.create(region, { capacity: 256 }), ch: Channel.create<number>(region),
    };
    const data: Record<string, unknown> = { all, again: mutex, set: new Set([mutex]), m: new Map([[mutex, "key"]]) };
    data.self = data;
    const wire = toWire(data) as Record<string, any>;
    for (const [k, v] of Object.entries(all)) expect(wire.all[k]).toBe(v.handle);
    expect(wire.self).toBe(wire);
    expect(wire.again).toBe(mutex.handle);
    const back = fromWire(wire) as Record<string, any>; // (in a worker: the wire after postMessage)
    expect(back.self).toBe(back);
    const classes = { region: Region, mutex: Mutex, sem: Semaphore, cv: CondVar, barrier: Barrier, rw: RwLock, ring: RingBuffer, bytes: ByteRing, ch: Channel };
    for (const [k, cls] of Object.entries(classes)) expect(back.all[k]).toBeInstanceOf(cls);
    expect(back.all.region).toBe(region); // one Region per memory object per thread
    expect(back.again).toBe(back.all.mutex); // shared reference stays shared
    expect([...back.set][0]).toBe(back.all.mutex);
    expect([...back.m.keys()][0]).toBe(back.all.mutex);
  });

  it("a plain object with a `handle` property is data, not a live object; typed arrays are left alone", () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const bytes = Uint8Array.of(1, 2);
    const wire = toWire({ box: { handle: m.handle, note: "x" }, bytes }) as any;
    expect(wire.box).toEqual({ handle: m.handle, note: "x" });
    expect(wire.bytes).toBe(bytes);
  });

  it("unknown kind and corrupt handles: errors name the path and keep the error class", () => {
    const region = Region.create();
    const m = Mutex.create(region);
    const ch = Channel.create(region);
    expect(() => fromWire({ jobs: [1, 2, { __sabre: "nope" }] })).toThrow(ForeignHandleError);
    expect(() => fromWire({ jobs: [1, 2, { __sabre: "nope" }] })).toThrow(/^data\.jobs\[2\]: a handle of unknown kind "nope"/);
    // a mutex handle pointing at the channel's block
    const wrong = { ...m.handle, offset: ch.handle.offset };
    expect(() => fromWire(new Map([["a", { x: wrong }]]))).toThrow(/^data\.get\("a"\)\.x: Mutex\.from: the handle points at a Channel/);
    expect(() => fromWire({ bad: { __sabre: "mutex" } })).toThrow(/^data\.bad: Mutex\.from expects a Mutex handle/);
    // a custom codec that was not supplied
    const custom = Channel.create(region, { codec: upperCodec });
    expect(() => fromWire({ c: custom.handle })).toThrow(/^data\.c: Channel\.from: this channel uses the custom codec "upper"/);
    expect(fromWire({ c: custom.handle }, { codecs: { upper: upperCodec } }).c).toBeInstanceOf(Channel);
  });

  it("registerHandleKind plugs in a new kind (as Mailbox does)", () => {
    class Thing {
      readonly handle: { __sabre: "thing"; n: number };
      constructor(n: number) {
        this.handle = { __sabre: "thing", n };
      }
      static from(h: { n: number }) {
        return new Thing(h.n);
      }
    }
    expect(toWire({ t: new Thing(1) }).t).toBeInstanceOf(Thing); // not registered: left alone
    registerHandleKind("thing", (h) => Thing.from(h));
    const wire = toWire({ t: new Thing(5) }) as { t: unknown };
    expect(wire.t).toEqual({ __sabre: "thing", n: 5 });
    const back = fromWire(wire) as { t: Thing };
    expect(back.t).toBeInstanceOf(Thing);
    expect(back.t.handle.n).toBe(5);
  });

  it("Attached<T>: live types stay, handles become their class (a compile-time check)", () => {
    const region = Region.create();
    const ch = Channel.create<number>(region);
    const data = { ch, h: ch.handle, list: [region.handle], m: new Map([["k", Mutex.create(region).handle]]) };
    const back: Attached<typeof data> = fromWire(toWire(data));
    const typed: { ch: Channel<number>; h: Channel; list: Region[]; m: Map<string, Mutex> } = back;
    expect(typed.ch).toBeInstanceOf(Channel);
    expect(typed.h).toBeInstanceOf(Channel);
    expect(typed.list[0]).toBe(region);
    expect(typed.m.get("k")).toBeInstanceOf(Mutex);
  });
});

describe("Disposal: await using a spawned worker or child process", () => {
  it("await using spawnWorker(...): terminated at the end of the scope, endpoints marked, exited resolves", async () => {
    const ch = Channel.create<number>(Region.create());
    let exited!: Promise<void>;
    {
      await using w = spawn("block", { channel: ch });
      exited = w.exited;
      expect(await w.next()).toBe("ready");
    }
    await exited; // the termination is no crash
    expect(() => ch.send(1, { timeout: LONG })).toThrow(PeerGoneError);
  });

  it("[Symbol.asyncDispose] of a worker that already crashed resolves (the error stays on exited)", async () => {
    const ch = Channel.create<number>(Region.create());
    const w = spawn("throw", { ch });
    expect(await w.next()).toBe("ready");
    await expect(w.exited).rejects.toThrow("boom from the worker");
    await expect(w[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it("await using spawnProcess(...): SIGTERM at the end of the scope, endpoints marked, exited resolves", async () => {
    const region = createRegion({ size: 1 << 18 });
    const inbox = Channel.create<number>(region, { capacity: 1 });
    const outbox = Channel.create<number>(region, { capacity: 1 });
    let exited!: Promise<void>;
    {
      await using child = spawnProcess(fixture("process-block.mjs"), { data: { inbox, outbox }, stdio: "pipe" });
      exited = child.exited;
      const ready = await new Promise<string>((resolve) => {
        let text = "";
        child.process.stdout?.on("data", (d) => {
          text += d;
          if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
        });
      });
      expect(ready).toBe("ready");
    }
    await exited;
    expect(() => inbox.send(1, { timeout: LONG })).toThrow(PeerGoneError);
  });
});
