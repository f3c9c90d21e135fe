// process-spawn.test.ts — real child processes (sabre/node spawnProcess): a Channel carrying
// 10^5 sequence/checksum messages from a child (10^6 under SABRE_STRESS=heavy) verified in the
// parent; 4 processes (2 producers, 2 consumers) on one MPMC channel; a Mutex counter exact
// across 3 children; a blocking select over two file-backed regions woken by a child; a RingBuffer, a Semaphore and a Barrier; a
// Mailbox served by a child; kill -9 of a child blocked in recv fails the parent's recv (async,
// and blocking on the main thread) with PeerGoneError; kill -9 of a parent fails its child's
// blocked recv the same way; a thread-only region in data is refused with a clear error.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Barrier, Channel, Mailbox, Mutex, PeerGoneError, RingBuffer, Semaphore, Region, WorkerCrashError, createRegion, recvCase, select, spawnProcess } from "sabre/node";
import { stressLevel } from "../fixtures/stress-level";
import { expectEverySequenceOnce } from "../fixtures/verify";
import { seededRandom } from "../fixtures/prng.mjs";
import { checkMessage } from "../fixtures/seq-message.mjs";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const SEED = Number(process.env.SABRE_SEED ?? 0x9a11);

function firstLine(child: { stdout: NodeJS.ReadableStream | null }): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (d) => {
      text += d;
      const nl = text.indexOf("\n");
      if (nl >= 0) resolve(text.slice(0, nl));
    });
    child.stdout?.on("end", () => reject(new Error(`child ended before a line: ${JSON.stringify(text)}`)));
  });
}

describe("spawnProcess", () => {
  it(`a Channel between two processes: ${stressLevel(100_000)} messages once, in order, intact`, async () => {
    const count = stressLevel(100_000);
    const region = createRegion({ size: 1 << 20 });
    const channel = Channel.create<Uint8Array>(region, { capacity: 64, bufferBytes: 16384, codec: "raw" });
    const child = spawnProcess(fixture("process-producer.mjs"), { data: { channel, id: 0, count, seed: SEED }, stdio: "pipe" });
    const line = firstLine(child.process);
    const rand = seededRandom(SEED + 1);
    const seen: number[] = [];
    for (;;) {
      let m: Uint8Array;
      try {
        m = rand(4) === 0 ? await channel.recvAsync({ timeout: 60_000 }) : channel.recv({ timeout: 60_000 });
      } catch (e) {
        if ((e as Error).name === "ClosedError") break;
        throw e;
      }
      const [id, seq] = checkMessage(m);
      expect(id).toBe(0);
      if (seen.length && seen[seen.length - 1] >= seq) throw new Error(`seq ${seq} after ${seen[seen.length - 1]}`);
      seen.push(seq);
    }
    expect(JSON.parse(await line)).toEqual({ done: count });
    await child.exited;
    expectEverySequenceOnce([{ seen: [seen] }], 1, count);
  }, 600_000);

  it(`4 processes on one MPMC channel: 2 producers x ${stressLevel(10_000)} messages, 2 consumers, each once, in order per producer`, async () => {
    const count = stressLevel(10_000);
    const region = createRegion({ size: 1 << 20 });
    const channel = Channel.create<Uint8Array>(region, { capacity: 32, bufferBytes: 8192, codec: "raw" });
    const producers = [0, 1].map((id) =>
      spawnProcess(fixture("process-producer.mjs"), { data: { channel, id, count, seed: SEED + 10 + id, close: false }, stdio: "pipe" }));
    const consumers = [0, 1].map((k) =>
      spawnProcess(fixture("process-consumer.mjs"), { data: { channel, producers: 2, seed: SEED + 20 + k }, stdio: "pipe" }));
    const seen = consumers.map((c) => firstLine(c.process));
    const done = await Promise.all(producers.map((p) => firstLine(p.process)));
    expect(done.map((l) => JSON.parse(l))).toEqual([{ done: count }, { done: count }]);
    await Promise.all(producers.map((p) => p.exited));
    channel.close(); // every message is in; the consumers drain it and end
    const results = (await Promise.all(seen)).map((l) => JSON.parse(l) as { seen: number[][] });
    await Promise.all(consumers.map((c) => c.exited));
    expectEverySequenceOnce(results, 2, count);
  }, 600_000);

  it("a blocking select over channels in two file-backed regions is woken by a child's sends in the second (futex waitv)", async () => {
    const [r1, r2] = [createRegion({ size: 1 << 16 }), createRegion({ size: 1 << 18 })];
    const idle = Channel.create<Uint8Array>(r1, { capacity: 4, codec: "raw" });
    const busy = Channel.create<Uint8Array>(r2, { capacity: 4, bufferBytes: 8192, codec: "raw" });
    const count = 200;
    const child = spawnProcess(fixture("process-producer.mjs"), { data: { channel: busy, id: 3, count, seed: SEED + 30 }, stdio: "pipe" });
    const seqs: number[] = [];
    for (;;) {
      const r = select([recvCase(idle), recvCase(busy)], { timeout: 60_000 });
      expect(r.index).toBe(1);
      if (r.closed) break;
      const [id, seq] = checkMessage(r.value as Uint8Array);
      expect(id).toBe(3);
      seqs.push(seq);
    }
    await child.exited;
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it("a Mutex counter is exact across 3 child processes (blocking lock and lockAsync)", async () => {
    const region = createRegion({ size: 1 << 16 });
    const mutex = Mutex.create(region);
    const at = region.alloc(4);
    const rounds = stressLevel(10_000);
    const kids = [0, 1, 2].map(() =>
      spawnProcess(fixture("process-counter.mjs"), { data: { region, mutex, at, rounds }, stdio: "pipe" }));
    const lines = await Promise.all(kids.map((k) => firstLine(k.process)));
    await Promise.all(kids.map((k) => k.exited));
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ done: rounds }, { done: rounds }, { done: rounds }]);
    expect(new Int32Array(region.memory.buffer, at, 1)[0]).toBe(3 * rounds);
  });

  it("a RingBuffer, a Semaphore and a Barrier shared with a child process (blocking and async forms)", async () => {
    const region = createRegion({ size: 1 << 18 });
    const ring = RingBuffer.create(region, { capacity: 8 });
    const sem = Semaphore.create(region, { initial: 0, max: 1 << 30 });
    const barrier = Barrier.create(region, 2);
    const count = stressLevel(2000);
    const child = spawnProcess(fixture("process-prims.mjs"), { data: { ring, sem, barrier, count }, stdio: "pipe" });
    const line = firstLine(child.process);
    await barrier.waitAsync({ timeout: 30_000 });
    const got: number[] = [];
    for (let i = 0; i < count; i++) {
      got.push(i % 3 ? ring.pop({ timeout: 30_000 }) : await ring.popAsync({ timeout: 30_000 }));
      if (i % 2) sem.acquire(1, { timeout: 30_000 });
      else await sem.acquireAsync(1, { timeout: 30_000 });
    }
    barrier.wait({ timeout: 30_000 });
    expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(JSON.parse(await line)).toEqual({ pushed: count });
    await child.exited;
  });

  it("a Mailbox served by a child process: request and requestAsync get their replies", async () => {
    const region = createRegion({ size: 1 << 20 });
    const mailbox = Mailbox.create<number>(region);
    const child = spawnProcess(fixture("process-serve.mjs"), { data: { mailbox }, stdio: "pipe" });
    const line = firstLine(child.process);
    const sync = [1, 2, 3].map((x) => mailbox.request<number>(x, { timeout: 30_000 }));
    const async = await Promise.all([4, 5, 6].map((x) => mailbox.requestAsync<number>(x, { timeout: 30_000 })));
    expect([...sync, ...async]).toEqual([1, 4, 9, 16, 25, 36]);
    mailbox.close();
    expect(JSON.parse(await line)).toEqual({ served: 6 });
    await child.exited;
  });

  it("kill -9 of a child blocked in recv: the parent's recvAsync fails with PeerGoneError; exited rejects, onCrash runs", async () => {
    const region = createRegion({ size: 1 << 18 });
    const inbox = Channel.create<number>(region, { capacity: 1 });
    const outbox = Channel.create<number>(region, { capacity: 1 });
    const crashes: Error[] = [];
    const child = spawnProcess(fixture("process-block.mjs"), { data: { inbox, outbox }, stdio: "pipe", onCrash: (e) => crashes.push(e) });
    expect(await firstLine(child.process)).toBe("ready");
    const waiting = outbox.recvAsync();
    child.process.kill("SIGKILL");
    await expect(waiting).rejects.toThrow(PeerGoneError);
    await expect(child.exited).rejects.toThrow(WorkerCrashError);
    await expect(child.exited).rejects.toThrow(/SIGKILL/);
    expect(crashes.length).toBe(1);
  });

  it("kill -9 of a child while the parent's main thread is blocked in recv: recv throws PeerGoneError, never hangs", async () => {
    const region = createRegion({ size: 1 << 18 });
    const inbox = Channel.create<number>(region, { capacity: 1 });
    const outbox = Channel.create<number>(region, { capacity: 1 });
    const child = spawnProcess(fixture("process-block.mjs"), { data: { inbox, outbox }, stdio: "pipe", onCrash: () => {} });
    expect(await firstLine(child.process)).toBe("ready");
    // the killer runs on another thread: this one is about to block
    const killer = new Worker(`setTimeout(() => process.kill(${child.process.pid}, "SIGKILL"), 200)`, { eval: true });
    let error: unknown;
    try {
      outbox.recv({ timeout: 60_000 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PeerGoneError);
    await killer.terminate();
    await child.exited.catch(() => {});
  });

  it("kill -9 of the parent while its child is blocked in recv: the child's recv throws PeerGoneError", async () => {
    const parent = spawn(process.execPath, [fileURLToPath(fixture("process-orphan-parent.mjs"))], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const ended = new Promise((resolve) => parent.stdout.on("end", resolve));
    parent.stdout.on("data", (d) => {
      out += d;
      if (out.startsWith("ready\n") && parent.exitCode === null) parent.kill("SIGKILL");
    });
    await ended; // the pipe ends when the child, its last writer, has exited too
    expect(out).toBe("ready\nPeerGoneError\n");
  });

  it("refuses a region shared between threads only, naming where it is", () => {
    const region = Region.create({ size: 4096 });
    expect(() => spawnProcess(fixture("process-block.mjs"), { data: { deep: [Mutex.create(region)] } }))
      .toThrow(/data\.deep\[0\].*Region\.create.*createRegion/);
    expect(() => spawnProcess(fixture("process-block.mjs"), { dta: 1 } as never)).toThrow(/unknown option "dta"/);
  });
});
