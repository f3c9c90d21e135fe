// codec.test.ts — channel codecs: msgpack round-trips structured values (each type checked),
// refuses functions and symbols with the channel left usable; raw, json and user codecs; a
// corrupt message gives a clear error naming the channel, and the next message still arrives.
import { describe, expect, it } from "vitest";
import { Channel, CodecError, Region } from "sabre";

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
