// mailbox.test.ts — Mailbox through the public entry: selective receive (order kept, saved
// queue bound), try/timeout/abort, close, request/reply in one thread and with real worker
// servers and clients (correlation, late replies dropped, handler errors), many writers to
// one reader, leaks (mailboxes and reply inboxes return every byte), and Erlang's gen_server
// and receive semantics where they apply: a call to a server whose thread has ended fails at
// once with PeerGoneError (`noproc`), whatever its exit code; a call that timed out leaves the
// server usable and its late reply is dropped; selective receive keeps unmatched messages in
// order.
import { describe, expect, it } from "vitest";
import {
  AbortError, ClosedError, CodecError, ForeignHandleError, InvalidArgumentError, Mailbox, type MailboxRequest, Mutex, PeerGoneError, Region,
  RemoteError, SaveQueueFullError, TimeoutError,
} from "sabre";
import { spawnWorker } from "sabre/node";
import { startJobWorker } from "../fixtures/job-worker";
import { seededRandom } from "../fixtures/prng.mjs";
import { expectEverySequenceOnce } from "../fixtures/verify";


const worker = (data: Record<string, unknown>) => startJobWorker("mailbox-worker.mjs", data);
const spawned = (data: Record<string, unknown>) => spawnWorker(new URL("../fixtures/spawn-worker.mjs", import.meta.url), { data });
const LONG = 30_000; // far above what any wait here needs: a failure shows as an error, not a hang

type Tagged = { tag: "A" | "B" | "C"; n: number };
const isB = (m: Tagged): m is Tagged & { tag: "B" } => m.tag === "B";

describe("Mailbox: selective receive", () => {
  it("receiving only tag B, then everything, keeps send order exactly", () => {
    const mb = Mailbox.create<Tagged>(Region.create());
    const rand = seededRandom(7);
    const tags = ["A", "B", "C"] as const;
    const sent: Tagged[] = [];
    for (let n = 1; n <= 300; n++) {
      const m = { tag: tags[rand(3)], n };
      sent.push(m);
      mb.send(m);
    }
    const bs: Tagged[] = [];
    const count = sent.filter((m) => m.tag === "B").length;
    for (let i = 0; i < count; i++) {
      const b = mb.receive(isB); // narrowed: b.tag is "B"
      const tag: "B" = b.tag;
      expect(tag).toBe("B");
      bs.push(b);
    }
    expect(bs).toEqual(sent.filter((m) => m.tag === "B"));
    expect(mb.tryReceive(isB)).toEqual({ ok: false, closed: false });
    expect(mb.saved).toBe(300 - count);
    expect(mb.len).toBe(300 - count);
    const rest: Tagged[] = [];
    for (;;) {
      const r = mb.tryReceive();
      if (!r.ok) break;
      rest.push(r.value);
    }
    expect(rest).toEqual(sent.filter((m) => m.tag !== "B"));
  });

  it("saved messages come first, in order, to a later receive that accepts them", async () => {
    const mb = Mailbox.create<Tagged>(Region.create());
    mb.send({ tag: "A", n: 1 });
    mb.send({ tag: "C", n: 2 });
    mb.send({ tag: "A", n: 3 });
    mb.send({ tag: "B", n: 4 });
    expect(mb.receive((m) => m.tag === "B").n).toBe(4);
    mb.send({ tag: "C", n: 5 });
    expect(mb.receive((m) => m.tag === "C").n).toBe(2);
    expect((await mb.receiveAsync((m) => m.tag === "C")).n).toBe(5);
    expect(mb.receive().n).toBe(1);
    expect(mb.receive().n).toBe(3);
  });

  it("tryReceive, timeout (TimeoutError, nothing lost), AbortSignal", async () => {
    const mb = Mailbox.create<Tagged>(Region.create());
    expect(mb.tryReceive()).toEqual({ ok: false, closed: false });
    expect(() => mb.receive({ timeout: 5 })).toThrow(TimeoutError);
    await expect(mb.receiveAsync({ timeout: 5 })).rejects.toThrow(TimeoutError);
    await expect(mb.receiveAsync({ timeout: 0 })).rejects.toThrow(TimeoutError);
    for (let n = 0; n < 5; n++) mb.send({ tag: "A", n });
    expect(() => mb.receive(isB, { timeout: 5 })).toThrow(TimeoutError);
    await expect(mb.receiveAsync(isB, { timeout: 5 })).rejects.toThrow(TimeoutError);
    expect(mb.saved).toBe(5);
    expect([0, 1, 2, 3, 4].map(() => mb.receive().n)).toEqual([0, 1, 2, 3, 4]);

    const ac = new AbortController();
    const waiting = mb.receiveAsync({ signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toThrow(AbortError);
    // right after an aborted async receive, a blocking one works (the pump let go of the lock)
    mb.send({ tag: "C", n: 9 });
    expect(mb.receive({ timeout: 10_000 }).n).toBe(9);
    expect(() => mb.receive({ signal: ac.signal })).toThrow(AbortError);
    await expect(mb.receiveAsync({ signal: ac.signal })).rejects.toThrow(AbortError);
  });

  it("several async receives wait at once; each message goes to the oldest that accepts it", async () => {
    const mb = Mailbox.create<Tagged>(Region.create());
    const a1 = mb.receiveAsync((m) => m.tag === "A");
    const b1 = mb.receiveAsync(isB);
    const any = mb.receiveAsync();
    const a2 = mb.receiveAsync((m) => m.tag === "A");
    mb.send({ tag: "B", n: 1 });
    mb.send({ tag: "A", n: 2 });
    mb.send({ tag: "C", n: 3 });
    mb.send({ tag: "A", n: 4 });
    expect((await b1).n).toBe(1);
    expect((await a1).n).toBe(2);
    expect((await any).n).toBe(3);
    expect((await a2).n).toBe(4);
    expect(() => mb.receive({ timeout: 0 })).toThrow(TimeoutError);
  });

  it("the save queue is bounded: SaveQueueFullError keeps every message, a plain receive drains", () => {
    const mb = Mailbox.create<Tagged>(Region.create(), { maxSaved: 5 });
    for (let n = 0; n < 10; n++) mb.send({ tag: "A", n });
    expect(() => mb.tryReceive(isB)).toThrow(SaveQueueFullError);
    expect(() => mb.receive(isB, { timeout: 0 })).toThrow(SaveQueueFullError);
    expect(mb.len).toBe(10);
    expect([...Array(10)].map(() => mb.receive().n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a predicate that throws leaves the message saved", () => {
    const mb = Mailbox.create<Tagged>(Region.create());
    mb.send({ tag: "A", n: 1 });
    expect(() => mb.receive(() => {
      throw new Error("bad predicate");
    })).toThrow("bad predicate");
    expect(mb.receive().n).toBe(1);
  });

  it("close: receivers drain saved and buffered messages, then ClosedError; iteration ends", async () => {
    const mb = Mailbox.create<number>(Region.create());
    const waiting = mb.receiveAsync();
    mb.close();
    await expect(waiting).rejects.toThrow(ClosedError);
    expect(mb.closed).toBe(true);
    expect(() => mb.send(1)).toThrow(ClosedError);
    const mb2 = Mailbox.create<number>(Region.create());
    for (let i = 0; i < 5; i++) mb2.send(i);
    expect(mb2.receive((v) => v === 3)).toBe(3);
    mb2.close();
    expect([...mb2]).toEqual([0, 1, 2, 4]);
    expect(() => mb2.receive()).toThrow(ClosedError);
    const mb3 = Mailbox.create<number>(Region.create());
    for (let i = 0; i < 5; i++) await mb3.sendAsync(i);
    mb3.close();
    const got: number[] = [];
    for await (const v of mb3) got.push(v);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it("handles: from() gives this thread's one object; bad handles and options are refused", () => {
    const region = Region.create();
    const mb = Mailbox.create<number>(region, { name: "inbox" });
    expect(structuredClone(mb.handle.nonce)).toBe(mb.handle.nonce);
    expect(Mailbox.from(mb.handle)).toBe(mb);
    expect(() => Mailbox.from({} as never)).toThrow(ForeignHandleError);
    expect(() => Mailbox.create(region, { capacity: 0 })).toThrow(InvalidArgumentError);
    expect(() => Mailbox.create(region, { bufferBytes: 1000 })).toThrow(InvalidArgumentError);
    expect(() => mb.send((() => 1) as never)).toThrow(CodecError);
    const h = mb.handle;
    mb.free();
    expect(() => Mailbox.from(h)).toThrow(ForeignHandleError);
  });

  it("the header block has its own kind: a forged header in a raw block is refused, and other kinds name it", () => {
    const region = Region.create();
    const mb = Mailbox.create<number>(region);
    // a raw block holding a copy of a live header (magic, nonce, channel, max) is not a mailbox
    const raw = region.alloc(64);
    new Uint8Array(region.memory.buffer, raw, 64).set(new Uint8Array(region.memory.buffer, mb.handle.offset, 64));
    expect(() => Mailbox.from({ ...mb.handle, offset: raw })).toThrow(ForeignHandleError);
    // a handle of another kind pointing at the mailbox's header says what is there
    const mutex = Mutex.create(region);
    expect(() => Mutex.from({ ...mutex.handle, offset: mb.handle.offset })).toThrow(/points at a Mailbox, not a Mutex/);
    expect(Mailbox.from(mb.handle)).toBe(mb);
  });

  it("plain receive skips requests and receiveRequest skips plain messages (both kept in order)", async () => {
    const mb = Mailbox.create<string>(Region.create());
    const r1 = mb.requestAsync<string>("q1");
    mb.send("m1");
    const r2 = mb.requestAsync<string>("q2");
    mb.send("m2");
    expect(mb.receive()).toBe("m1");
    const q1 = await mb.receiveRequestAsync(); // async: the requests' sends are async too
    expect(q1.value).toBe("q1");
    expect(mb.receive()).toBe("m2");
    const q2 = (await mb.receiveRequestAsync({ timeout: 10_000 })) as MailboxRequest<string, string> | undefined;
    expect(q2?.value).toBe("q2");
    expect(mb.tryReceiveRequest()).toBeUndefined();
    expect(q2!.reply("a2")).toBe(true);
    expect(q1.reply("a1")).toBe(true);
    expect(() => q1.reply("again")).toThrow(InvalidArgumentError);
    expect(await r1).toBe("a1");
    expect(await r2).toBe("a2");
  });
});

describe("Mailbox: request/reply", () => {
  it("in one thread with an async server loop; concurrent requestAsync each get their own reply", async () => {
    const region = Region.create();
    const server = Mailbox.create<{ x: number; delay: number }>(region);
    const stop = new AbortController();
    const serving = server.serveAsync(async ({ x, delay }) => {
      await new Promise((r) => setTimeout(r, delay));
      return x * x;
    }, { signal: stop.signal });
    const rand = seededRandom(3);
    const xs = Array.from({ length: 40 }, () => rand(10_000));
    const ys = await Promise.all(xs.map((x) => server.requestAsync<number>({ x, delay: rand(3) })));
    expect(ys).toEqual(xs.map((x) => x * x));
    stop.abort();
    expect(await serving).toBe(40);
  });

  it("a handler error comes back as RemoteError with the original name and message", async () => {
    const server = Mailbox.create<string>(Region.create());
    const serving = server.serveAsync((v) => {
      if (v === "bad") throw new RangeError("value out of range: bad");
      return v.toUpperCase();
    });
    const err = await server.requestAsync("bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ name: "RemoteError", remoteName: "RangeError", remoteMessage: "value out of range: bad" });
    expect((err as Error).message).toContain("value out of range: bad");
    expect(await server.requestAsync("ok")).toBe("OK");
    // an unencodable result fails the request instead of leaving it waiting
    const server2 = Mailbox.create<string>(Region.create());
    const serving2 = server2.serveAsync(() => (() => 1) as unknown as string);
    await expect(server2.requestAsync("x")).rejects.toMatchObject({ name: "RemoteError", remoteName: "CodecError" });
    server.close();
    server2.close();
    expect(await serving).toBe(2);
    expect(await serving2).toBe(1);
  });

  it("a late reply after its request timed out is dropped; the next request gets its own reply (async)", async () => {
    const server = Mailbox.create<string>(Region.create());
    const first = server.requestAsync("one", { timeout: 20 });
    const req1 = await server.receiveRequestAsync();
    await expect(first).rejects.toThrow(TimeoutError);
    expect(await req1.replyAsync("late")).toBe(true);
    const second = server.requestAsync("two", { timeout: 10_000 });
    const req2 = await server.receiveRequestAsync();
    await req2.replyAsync(`fresh:${req2.value}`);
    expect(await second).toBe("fresh:two");
    // aborting a request works the same way
    const ac = new AbortController();
    const third = server.requestAsync("three", { signal: ac.signal });
    const req3 = await server.receiveRequestAsync();
    ac.abort();
    await expect(third).rejects.toThrow(AbortError);
    req3.reply("too late");
    const fourth = server.requestAsync("four");
    (await server.receiveRequestAsync()).reply("4");
    expect(await fourth).toBe("4");
  });

  it("a late reply after a blocking request timed out is dropped (worker server)", async () => {
    const region = Region.create();
    const server = Mailbox.create<string>(region);
    const control = Mailbox.create<string>(region);
    const w = worker({ role: "late", mailbox: server.handle, control: control.handle });
    await w.ready;
    expect(() => server.request("one", { timeout: 30 })).toThrow(TimeoutError);
    control.send("go");
    expect(server.request("two", { timeout: 30_000 })).toBe("fresh:two");
    expect(await w.result).toEqual({ ok: true });
    await w.exited;
    // the worker read both mailboxes and ended normally (startWorker, not spawnWorker): noproc
    expect(() => server.request("three", { timeout: LONG })).toThrow(PeerGoneError);
    expect(() => control.send("more")).toThrow(PeerGoneError);
  });

  it("a real worker server: 2 client workers and the main thread, each reply matches its request", async () => {
    const region = Region.create({ size: 4 << 20 });
    const server = Mailbox.create(region);
    const K = 300;
    const s = worker({ role: "server", mailbox: server.handle });
    await s.ready;
    const c1 = worker({ role: "client", mailbox: server.handle, id: 1, seed: 11, count: K });
    const c2 = worker({ role: "client", mailbox: server.handle, id: 2, seed: 22, count: K, async: true, inFlight: 8 });
    const rand = seededRandom(33);
    let replies = 0;
    let bad = 0;
    for (let i = 0; i < K; i += 6) {
      const batch = Array.from({ length: 6 }, (_, j) => ({ client: 0, i: i + j, v: rand(1_000_000) }));
      const rs = await Promise.all(batch.map((x) => server.requestAsync<{ client: number; i: number; y: number }>(x, { timeout: 30_000 })));
      batch.forEach((x, k) => {
        replies++;
        if (rs[k].client !== 0 || rs[k].i !== x.i || rs[k].y !== x.v * 3 + 1) bad++;
      });
    }
    // and blocking requests from the main thread, interleaved with the workers' traffic
    for (let i = 0; i < 20; i++) {
      const r = server.request<{ y: number }>({ client: 0, i: K + i, v: i }, { timeout: 30_000 });
      replies++;
      if (r.y !== i * 3 + 1) bad++;
    }
    await expect(Promise.resolve().then(() => server.request("boom", { timeout: 30_000 }))).rejects.toMatchObject({
      name: "RemoteError", remoteName: "TypeError", remoteMessage: "boom is not a number",
    });
    expect({ replies, bad }).toEqual({ replies: K + 20, bad: 0 });
    expect(await c1.result).toEqual({ ok: { replies: K, bad: 0 } });
    expect(await c2.result).toEqual({ ok: { replies: K, bad: 0 } });
    server.close();
    expect(await s.result).toEqual({ ok: 3 * K + 21 });
    await Promise.all([s.exited, c1.exited, c2.exited]);
  });

  it("an async worker server (serveAsync) answers blocking and async requests", async () => {
    const server = Mailbox.create(Region.create());
    const s = worker({ role: "server", mailbox: server.handle, async: true });
    await s.ready;
    const r = server.request<{ y: number }>({ client: 0, i: 0, v: 5 }, { timeout: 30_000 });
    expect(r.y).toBe(16);
    const rs = await Promise.all([1, 2, 3].map((v) => server.requestAsync<{ y: number }>({ client: 0, i: v, v }, { timeout: 30_000 })));
    expect(rs.map((x) => x.y)).toEqual([4, 7, 10]);
    server.close();
    expect(await s.result).toEqual({ ok: 4 });
    await s.exited;
  });

  it("replyTo: replies come to an explicit inbox of this thread; receive never sees them", async () => {
    const region = Region.create();
    const server = Mailbox.create<number>(region);
    const mine = Mailbox.create<string>(region);
    const serving = server.serveAsync((v) => v + 1);
    mine.send("hello");
    expect(await server.requestAsync(1, { replyTo: mine })).toBe(2);
    expect(await server.requestAsync(2, { replyTo: mine })).toBe(3);
    expect(mine.receive({ timeout: 0 })).toBe("hello");
    expect(() => mine.receive({ timeout: 0 })).toThrow(TimeoutError);
    const other = Mailbox.create<string>(Region.create());
    expect(() => server.request(1, { replyTo: other })).toThrow(ForeignHandleError);
    server.close();
    await serving;
  });
});

describe("Mailbox: codecs and serve options", () => {
  it("json and raw codecs carry messages, requests and replies", async () => {
    const region = Region.create();
    const j = Mailbox.create<{ a: number[] }>(region, { codec: "json" });
    j.send({ a: [1, 2] });
    expect(j.receive()).toEqual({ a: [1, 2] });
    const sj = j.serveAsync((v) => ({ a: v.a.map((x) => x * 10) }));
    expect(await j.requestAsync({ a: [3] })).toEqual({ a: [30] });
    j.close();
    await sj;
    const r = Mailbox.create<Uint8Array>(region, { codec: "raw" });
    const sr = r.serveAsync((v) => v.map((x) => x + 1));
    expect(await r.requestAsync<Uint8Array>(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(2, 3, 4));
    r.close();
    await sr;
  });

  it("serve and serveAsync return when idle past their timeout; a blocking call during an async one is refused clearly", async () => {
    const mb = Mailbox.create<number>(Region.create());
    expect(mb.serve((v) => v, { timeout: 5 })).toBe(0);
    expect(await mb.serveAsync((v) => v, { timeout: 5 })).toBe(0);
    const waiting = mb.receiveAsync();
    expect(() => mb.receive({ timeout: 0 })).toThrow(/async/);
    mb.send(1);
    expect(await waiting).toBe(1);
    mb.send(2);
    expect(mb.receive({ timeout: 0 })).toBe(2); // the pump let go once its last waiter was served
  });
});

describe("Mailbox: one thread, blocking and async sends", () => {
  it("a blocking send while an async send of this thread waits inside the mailbox is refused clearly; afterwards it works", async () => {
    const mb = Mailbox.create<number>(Region.create(), { capacity: 1 });
    mb.send(1);
    const pending = mb.sendAsync(2, { timeout: LONG }); // full: it waits inside the channel
    await new Promise((r) => setTimeout(r, 0));
    expect(() => mb.send(3, { timeout: 0 })).toThrow(InvalidArgumentError);
    expect(() => mb.send(3, { timeout: 0 })).toThrow(/async send on this mailbox in flight/);
    expect(mb.receive({ timeout: LONG })).toBe(1);
    await pending;
    expect(mb.receive({ timeout: LONG })).toBe(2);
    mb.send(3, { timeout: LONG });
    expect(mb.receive({ timeout: LONG })).toBe(3);
  });
});

describe("Mailbox: many writers, one reader", () => {
  it("3 producer workers; selective receive by producer id; every message once, in order per producer", async () => {
    const region = Region.create({ size: 4 << 20 });
    const mb = Mailbox.create<{ p: number; seq: number }>(region, { capacity: 256, bufferBytes: 16384 });
    const N = 2000;
    const P = 3;
    const ws = Array.from({ length: P }, (_, id) => worker({ role: "producer", mailbox: mb.handle, id, count: N }));
    await Promise.all(ws.map((w) => w.ready));
    const rand = seededRandom(99);
    const next = new Array(P).fill(0);
    const seen: number[][] = Array.from({ length: P }, () => []);
    let outOfOrder = 0;
    for (let left = N * P; left > 0; left--) {
      const open = [...Array(P).keys()].filter((p) => next[p] < N);
      const p = open[rand(open.length)];
      const m = left % 2 ? mb.receive((x) => x.p === p, { timeout: 30_000 }) : await mb.receiveAsync((x) => x.p === p, { timeout: 30_000 });
      if (m.p !== p || m.seq !== next[p]) outOfOrder++;
      next[p] = m.seq + 1;
      seen[p].push(m.seq);
    }
    expect(outOfOrder).toBe(0);
    expectEverySequenceOnce([{ seen }], P, N);
    for (const w of ws) expect(await w.result).toEqual({ ok: N });
    await Promise.all(ws.map((w) => w.exited));
    expect(mb.tryReceive()).toEqual({ ok: false, closed: false });
  });
});

describe("Mailbox: leaks", () => {
  it("creating, using, closing and freeing many mailboxes and reply inboxes returns every byte", async () => {
    const region = Region.create({ size: 2 << 20 });
    const free = region.freeBytes;
    const blocks = region.usedBlocks;
    for (let i = 0; i < 60; i++) {
      const mb = Mailbox.create<number>(region, { capacity: 8, bufferBytes: 1024 });
      mb.send(i);
      mb.send(i + 1);
      expect(mb.receive((v) => v === i + 1)).toBe(i + 1);
      const serving = mb.serveAsync((v) => v * 2);
      expect(await mb.requestAsync(i)).toBe(2 * i);
      mb.close();
      await serving;
      expect(mb.receive()).toBe(i); // the saved message survives close
      mb.free();
      Mailbox.freeReplyInboxes(region);
    }
    expect(region.freeBytes).toBe(free);
    expect(region.usedBlocks).toBe(blocks);
    // an abandoned async receive and a timed-out request leave nothing behind either
    const mb = Mailbox.create<number>(region);
    await expect(mb.requestAsync(1, { timeout: 5 })).rejects.toThrow(TimeoutError);
    await expect(mb.receiveAsync({ timeout: 5 })).rejects.toThrow(TimeoutError);
    mb.close();
    mb.free();
    Mailbox.freeReplyInboxes(region);
    expect(region.freeBytes).toBe(free);
  });

  it("a reply to a freed reply inbox is dropped, not written into freed memory", async () => {
    const region = Region.create();
    const server = Mailbox.create<number>(region);
    const pending = server.requestAsync(1, { timeout: 5 });
    await expect(pending).rejects.toThrow(TimeoutError);
    const req: MailboxRequest<number, number> = server.receiveRequest({ timeout: 1000 });
    Mailbox.freeReplyInboxes(region);
    const free = region.freeBytes;
    expect(req.reply(2)).toBe(false);
    expect(region.freeBytes).toBe(free);
  });
});

describe("Mailbox: Erlang's gen_server and receive semantics", () => {
  for (const exit0 of [false, true]) {
    it(`a server thread that ends ${exit0 ? "by process.exit(0)" : "normally"} without closing its mailbox: blocking, pending and new requests fail at once with PeerGoneError (noproc)`, async () => {
      const inbox = Mailbox.create<number>(Region.create());
      const w = spawned({ mode: "serve-then-end", inbox, n: 1, exit0 });
      expect(inbox.request(3, { timeout: LONG })).toBe(9);
      // the worker ends now; this blocking request is woken by its exit, not by the timeout
      expect(() => inbox.request(4, { timeout: LONG })).toThrow(PeerGoneError);
      const pending = inbox.requestAsync(5, { timeout: LONG });
      await expect(pending).rejects.toThrow(PeerGoneError);
      await w.exited; // a clean exit: no crash
      expect(inbox.readerGone).toBe(true);
      const error = (() => {
        try {
          inbox.request(6, { timeout: LONG });
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(PeerGoneError);
      expect(error?.message).toMatch(/the thread reading this mailbox has ended/);
      await expect(inbox.requestAsync(7, { timeout: LONG })).rejects.toThrow(PeerGoneError);
      expect(() => inbox.send(8)).toThrow(PeerGoneError);
    });
  }

  it("a server that ends holding a taken, a saved and a queued request: each requester gets PeerGoneError from its reply (gone), not from polling", async () => {
    const region = Region.create();
    const inbox = Mailbox.create<number>(region);
    const control = Mailbox.create<string>(region);
    const w = spawned({ mode: "serve-then-end", inbox, control, n: 1 });
    const tick = () => new Promise((r) => setTimeout(r, 0));
    expect(inbox.request(3, { timeout: LONG })).toBe(9);
    const held = inbox.requestAsync(4, { timeout: LONG }); // taken by the server, never answered
    const saved = inbox.requestAsync(5, { timeout: LONG }); // read by its tryReceive: saved
    await tick();
    control.send("save");
    const queued = inbox.requestAsync(6, { timeout: LONG }); // still in the channel
    await tick();
    control.send("end");
    for (const p of [held, saved, queued]) {
      const error = await p.then(() => undefined, (e: unknown) => e as Error);
      expect(error).toBeInstanceOf(PeerGoneError);
      expect(error?.message).toMatch(/ended before answering/);
    }
    await w.exited;
    expect(inbox.readerGone).toBe(true);
  });

  it("a server that ends after a random number of requests: each request gets its reply or PeerGoneError, never a timeout", async () => {
    const rand = seededRandom(21);
    for (let trial = 0; trial < 8; trial++) {
      const inbox = Mailbox.create<number>(Region.create());
      const n = 1 + rand(20); // at least one: a thread that never read a mailbox is not its reader
      const w = spawned({ mode: "serve-then-end", inbox, n, exit0: trial % 2 === 1 });
      const blocking = trial % 4 >= 2;
      const ask = (x: number) =>
        blocking ? Promise.resolve().then(() => inbox.request<number>(x, { timeout: LONG })) : inbox.requestAsync<number>(x, { timeout: LONG });
      let answered = 0;
      let gone = 0;
      const bad: string[] = [];
      for (let i = 0; gone === 0; i += 4) {
        const xs = [i, i + 1, i + 2, i + 3];
        const rs = await Promise.allSettled(xs.map(ask));
        rs.forEach((r, k) => {
          if (r.status === "fulfilled") {
            answered++;
            if (r.value !== xs[k] * xs[k]) bad.push(`${xs[k]} -> ${r.value}`);
          } else if (r.reason instanceof PeerGoneError) gone++;
          else bad.push(String(r.reason));
        });
      }
      expect({ trial, answered, bad }).toEqual({ trial, answered: n, bad: [] });
      await w.exited;
    }
  });

  it("a worker that only sent to a mailbox leaves it usable when it ends: its reader is alive", async () => {
    const inbox = Mailbox.create<number>(Region.create());
    const w = spawned({ mode: "send-then-end", inbox, n: 3 });
    await w.exited;
    expect(inbox.readerGone).toBe(false);
    expect([0, 1, 2].map(() => inbox.receive({ timeout: LONG }))).toEqual([0, 1, 2]);
    inbox.send(7);
    expect(inbox.receive({ timeout: LONG })).toBe(7);
  });

  it("gen_server:call timeout: the server stays usable and its late reply never reaches a later call", async () => {
    const server = Mailbox.create<string>(Region.create());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const serving = server.serveAsync(async (v) => {
      if (v === "slow") await gate;
      return v.toUpperCase();
    });
    await expect(server.requestAsync("slow", { timeout: 20 })).rejects.toThrow(TimeoutError);
    release(); // the server now answers "slow" (late: dropped), then "next"
    expect(await server.requestAsync("next", { timeout: LONG })).toBe("NEXT");
    expect(await server.requestAsync("last", { timeout: LONG })).toBe("LAST");
    // and blocking calls from a thread whose call timed out
    expect(() => server.request("x", { timeout: 0 })).toThrow(TimeoutError);
    server.close();
    expect(await serving).toBe(4);
    expect(Mailbox.from(server.handle).saved).toBe(0);
  });

  it("receive with a pattern takes the first match and keeps every other message, in order (Erlang's save queue)", () => {
    type M = { prio: "high" | "low"; n: number };
    const mb = Mailbox.create<M>(Region.create());
    const sent: M[] = [];
    const rand = seededRandom(5);
    for (let n = 0; n < 50; n++) {
      const m: M = { prio: rand(3) === 0 ? "high" : "low", n };
      sent.push(m);
      mb.send(m);
    }
    // a priority receive: every high message first (`receive {high, X} -> ... after 0 -> ...`)
    const got: M[] = [];
    for (;;) {
      const r = mb.tryReceive((m) => m.prio === "high");
      if (!r.ok) break;
      got.push(r.value);
    }
    for (;;) {
      const r = mb.tryReceive();
      if (!r.ok) break;
      got.push(r.value);
    }
    expect(got).toEqual([...sent.filter((m) => m.prio === "high"), ...sent.filter((m) => m.prio === "low")]);
  });
});

describe("Disposal: using a Mailbox", () => {
  it("[Symbol.dispose] closes the mailbox for every holder: sends and requests fail, the reader drains, then ends; no memory is freed", async () => {
    const region = Region.create();
    let other!: Mailbox<number>;
    let free = 0;
    {
      using mb = Mailbox.create<number>(region);
      other = Mailbox.from<number>(mb.handle);
      mb.send(1);
      mb.send(2);
      free = region.freeBytes;
    }
    expect(region.freeBytes).toBe(free); // close, not free()
    expect(other.closed).toBe(true);
    expect(() => other.send(3)).toThrow(ClosedError);
    await expect(other.requestAsync(4, { timeout: 1000 })).rejects.toThrow(ClosedError);
    expect([...other]).toEqual([1, 2]);
    expect(() => other.receive({ timeout: 1000 })).toThrow(ClosedError);
    other[Symbol.dispose](); // idempotent
    other.free();
    Mailbox.freeReplyInboxes(region);
  });
});

describe("bad input: Mailbox.create", () => {
  const region = Region.create({ size: 1 << 20 });
  it("refuses an unknown option key, naming it and the known ones", () => {
    expect(() => Mailbox.create(region, { capactiy: 8 } as never)).toThrow(InvalidArgumentError);
    expect(() => Mailbox.create(region, { capactiy: 8 } as never)).toThrow(
      /unknown option "capactiy"; known options: capacity, bufferBytes, codec, maxMessageBytes, maxSaved, name/,
    );
  });
  it("refuses a region argument that is not a Region", () => {
    expect(() => Mailbox.create(null as never)).toThrow(/Mailbox\.create expects a Region .*got null/);
  });
});

describe("bad input: Mailbox.from with a forged handle", () => {
  it("refuses offsets outside [0, 2^31) or not integers", () => {
    const region = Region.create({ size: 1 << 20 });
    const mb = Mailbox.create<number>(region);
    for (const bad of [mb.handle.offset + 2 ** 32, mb.handle.offset - 2 ** 32, -8, 1.5]) {
      expect(() => Mailbox.from({ ...mb.handle, offset: bad } as never)).toThrow(ForeignHandleError);
      expect(() => Mailbox.from({ ...mb.handle, offset: bad } as never)).toThrow(/Mailbox\.from: the handle's offset must be an integer/);
    }
    expect(Mailbox.from(mb.handle)).toBe(mb);
  });
});
