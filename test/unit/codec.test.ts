// codec.test.ts — channel codecs: msgpack round-trips structured values (each type checked),
// refuses functions and symbols with the channel left usable; raw, json and user codecs; a
// corrupt message gives a clear error naming the channel, and the next message still arrives.
// The channel's shared record table (src/codec/structures.ts): many object shapes from concurrent
// producer workers, more shapes than msgpackr shares, decode on every receiver; a failed encode
// leaves no record a receiver cannot resolve.
import { describe, expect, it } from "vitest";
import { Channel, CodecError, Mailbox, Region } from "sabre";
import { startWorker } from "sabre/node";
import { seededRandom } from "../fixtures/prng.mjs";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

/** `count` objects of seeded shapes (key sets drawn from 12 names, 1–5 keys) tagged with their producer and sequence. */
function shapedValues(producer: number, count: number, seed: number): Record<string, unknown>[] {
  const random = seededRandom(seed);
  const names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
  return Array.from({ length: count }, (_, seq) => {
    const v: Record<string, unknown> = { producer, seq };
    const keys = 1 + Math.floor(random() * 5);
    for (let k = 0; k < keys; k++) v[names[Math.floor(random() * names.length)]] = k % 2 ? `s${seq}` : seq * k;
    return v;
  });
}

describe("codecs", () => {
  it("msgpack (default) round-trips Map, Set, Date, typed arrays, bigint, nested objects", () => {
    const ch = Channel.create<unknown>(Region.create(), { capacity: 16 });
    const values: unknown[] = [
      { id: 1, name: "a", values: [1, 2, 3, 4] },
      new Map<unknown, unknown>([[1, "a"], ["k", { x: 1 }]]),
      new Set([1, "two", 3]),
      new Date(1_700_000_000_000),
      new Uint8Array([1, 2, 3]),
      new Float64Array([1.5, -2]),
      new Int32Array([-1, 7]),
      123n,
      2n ** 70n,
      -(2n ** 64n),
      "é".repeat(300),
      [null, undefined, true, 1.25, "x"],
      { nested: { map: new Map([["a", new Set([1])]]) } },
    ];
    for (const v of values) {
      ch.send(v);
      expect(ch.recv()).toEqual(v);
    }
    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    ch.send(cyclic);
    const back = ch.recv() as typeof cyclic;
    expect(back.self).toBe(back);
  });

  it("msgpack refuses functions and symbols with a clear error; the channel stays usable", () => {
    const ch = Channel.create<unknown>(Region.create(), { capacity: 2, name: "jobs" });
    expect(() => ch.send({ f: () => 1 })).toThrow(CodecError);
    expect(() => ch.send({ deep: [new Map([["k", Symbol("s")]])] })).toThrow(/on jobs: cannot send a symbol/);
    expect(() => ch.trySend(() => 1)).toThrow(/function/);
    expect(ch.len).toBe(0);
    ch.send("ok");
    expect(ch.recv()).toBe("ok");
  });

  it("raw, json and user codecs", () => {
    const region = Region.create();
    const raw = Channel.create<Uint8Array>(region, { capacity: 1, codec: "raw" });
    raw.send(new Uint8Array([9, 8]));
    expect(raw.recv()).toEqual(new Uint8Array([9, 8]));
    expect(() => raw.send("no" as unknown as Uint8Array)).toThrow(CodecError);
    const json = Channel.create<unknown>(region, { capacity: 1, codec: "json" });
    json.send({ a: [1, "b"] });
    expect(json.recv()).toEqual({ a: [1, "b"] });
    const upper = Channel.create<string>(region, {
      capacity: 1,
      codec: { name: "upper", encode: (s: string) => new TextEncoder().encode(s.toUpperCase()), decode: (b) => new TextDecoder().decode(b) },
    });
    upper.send("hi");
    expect(upper.recv()).toBe("HI");
  });

  it("a corrupt message: a clear error naming the channel, and the next message arrives", () => {
    const region = Region.create();
    const ch = Channel.create<unknown>(region, { capacity: 4, name: "events" });
    // a raw view of the same channel puts bytes msgpack cannot decode
    const raw = Channel.from<Uint8Array>(ch.handle, { codec: { name: "raw", encode: (b: Uint8Array) => b, decode: (b) => b } });
    raw.send(new Uint8Array([0xc1, 0xff, 0x00]));
    ch.send({ next: true });
    expect(() => ch.recv()).toThrow(/on events: a 3-byte message could not be decoded by the msgpack codec/);
    expect(ch.recv()).toEqual({ next: true });
    const json = Channel.create<unknown>(region, { capacity: 2, codec: "json" });
    Channel.from<Uint8Array>(json.handle, { codec: { name: "raw", encode: (b: Uint8Array) => b, decode: (b) => b } }).send(new Uint8Array([123]));
    expect(() => json.recv()).toThrow(CodecError);
  });
});

describe("the channel's shared record table", () => {
  it("two producer workers minting shapes at once (more than msgpackr shares): every value decodes intact, in order per producer", async () => {
    const region = Region.create({ size: 4 << 20 });
    const ch = Channel.create<Record<string, unknown>>(region, { capacity: 64, bufferBytes: 4096 });
    const sent = [shapedValues(1, 400, 11), shapedValues(2, 400, 22)];
    const workers = sent.map((values) => startWorker(fixture("channel-worker.mjs"), { data: { channel: ch.handle, op: "sendMany", values } }));
    // a second attached view of the channel receives too: its own codec learns the table separately
    const other = Channel.from<Record<string, unknown>>(ch.handle);
    const got: Record<string, unknown>[][] = [[], []];
    for (let i = 0; i < 800; i++) {
      const v = (i % 2 ? other : ch).recv({ timeout: 30_000 });
      got[(v.producer as number) - 1].push(v);
    }
    await Promise.all(workers.map((w) => w.exited));
    expect(got[0]).toEqual(sent[0]);
    expect(got[1]).toEqual(sent[1]);
  });

  it("a value refused mid-record leaves no record id a fresh receiver cannot resolve", () => {
    const region = Region.create();
    const ch = Channel.create<unknown>(region, { capacity: 8 });
    expect(() => ch.send({ fresh: 1, shape: { f: () => 0 } })).toThrow(/cannot send a function \(at shape\.f\)/);
    ch.send({ fresh: 2, shape: { g: 1 } });
    ch.send({ fresh: 3, shape: { g: 2 } });
    const receiver = Channel.from<unknown>(ch.handle);
    expect(receiver.recv()).toEqual({ fresh: 2, shape: { g: 1 } });
    expect(receiver.recv()).toEqual({ fresh: 3, shape: { g: 2 } });
  });
});

describe("bad input: a user codec whose encode returns no Uint8Array", () => {
  const region = Region.create({ size: 1 << 20 });
  const bad = (out: unknown) => ({ name: "broken", encode: () => out as Uint8Array, decode: (b: Uint8Array) => b });
  for (const [label, out] of [["a string", "abcde"], ["{ length: 5 }", { length: 5 }], ["null", null], ["an array", [1, 2]]] as const) {
    it(`${label}: CodecError naming the codec; nothing was sent`, () => {
      const ch = Channel.create<unknown>(region, { capacity: 2, codec: bad(out) });
      expect(() => ch.send(1)).toThrow(CodecError);
      expect(() => ch.trySend(1)).toThrow(/the broken codec's encode must return a Uint8Array, got /);
      expect(ch.len).toBe(0);
      const mb = Mailbox.create<unknown>(region, { capacity: 2, codec: bad(out) });
      expect(() => mb.send(1)).toThrow(CodecError);
      expect(() => mb.send(1)).toThrow(/broken codec's encode must return a Uint8Array/);
    });
  }
  it("a Buffer or Uint8Array subclass is still accepted", () => {
    const ch = Channel.create<string>(region, {
      capacity: 1,
      codec: { name: "buf", encode: (s: string) => Buffer.from(s), decode: (b) => Buffer.from(b).toString() },
    });
    ch.send("ok");
    expect(ch.recv()).toBe("ok");
  });
});
