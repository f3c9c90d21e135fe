// rpc-native.test.ts — sabre-native RPC over a Mailbox (expose / wrap / wrapSync): async and
// blocking calls, nested paths, errors with name, message and stack, many calls in flight,
// a worker that crashes mid-call (PeerGoneError), across a process, types end to end, an expose
// that ends leaves nothing on its signal, and bad input refused.
import { getEventListeners } from "node:events";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  InvalidArgumentError, Mailbox, Region, createRegion, expose, spawnProcess, spawnWorker, wrap, wrapSync,
  type Remote, type SyncRemote,
} from "sabre/node";
import type { makeApi } from "../fixtures/rpc-api.mjs";

type Api = ReturnType<typeof makeApi>;
const fixture = new URL("../fixtures/rpc-native-worker.mjs", import.meta.url);

describe("sabre-native RPC between worker threads", () => {
  it("async and blocking calls, nested paths, errors, calls in flight", async () => {
    const region = Region.create({ size: 4 << 20 });
    const mailbox = Mailbox.create(region);
    await using worker = spawnWorker(fixture, { data: { mailbox } });
    const remote = wrap<Api>(mailbox);
    expect(await remote.add(1, 2)).toBe(3);
    expect(await remote.slowDouble(21)).toBe(42);
    expect(await remote.nested.deep.greet("x")).toBe("hello x");
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => remote.add(i, i)));
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => 2 * i));
    const e = await remote.fail().catch((error) => error);
    expect([e.name, e.message]).toEqual(["RangeError", "bad range"]);
    expect(e.stack).toContain("rpc-api.mjs");
    await expect(remote.failAsync()).rejects.toMatchObject({ name: "TypeError", message: "async bad" });
    await expect((remote as any).value()).rejects.toThrow(/"value" is not a function/);
    await expect((remote as any).__proto__.x()).rejects.toThrow(/does not name a function/);

    const sync = wrapSync<Api>(mailbox);
    expect(sync.add(40, 2)).toBe(42);
    expect(sync.slowDouble(5)).toBe(10);
    expect(() => sync.fail()).toThrow(expect.objectContaining({ name: "RangeError", message: "bad range" }));
    mailbox.close();
    await worker.exited;
  });

  it("a worker that crashes mid-call fails the call with PeerGoneError", async () => {
    const region = Region.create({ size: 4 << 20 });
    const mailbox = Mailbox.create(region);
    const worker = spawnWorker(fixture, { data: { mailbox }, onCrash: () => {} });
    const remote = wrap<Api>(mailbox);
    expect(await remote.add(1, 1)).toBe(2);
    await expect(remote.crash()).rejects.toMatchObject({ name: "PeerGoneError" });
    await worker.exited.catch(() => {});
    expect(() => wrapSync<Api>(mailbox).add(1, 1)).toThrow(expect.objectContaining({ name: "PeerGoneError" }));
  });

  it("between processes: async and blocking calls", async () => {
    const region = createRegion({ size: 4 << 20 });
    const mailbox = Mailbox.create(region);
    await using child = spawnProcess(fixture, { data: { mailbox } });
    const remote = wrap<Api>(mailbox, { timeout: 30_000 });
    expect(await remote.add(2, 3)).toBe(5);
    expect(wrapSync<Api>(mailbox).nested.deep.greet("p")).toBe("hello p");
    await expect(remote.fail()).rejects.toMatchObject({ name: "RangeError" });
    mailbox.close();
    await child.exited;
  });

  it("types: methods become async (Remote) or return awaited values (SyncRemote)", () => {
    type R = Remote<{ a(x: number): string; b: { c(): Promise<number> }; n: number }>;
    expectTypeOf<R["a"]>().toEqualTypeOf<(x: number) => Promise<string>>();
    expectTypeOf<R["b"]["c"]>().toEqualTypeOf<() => Promise<number>>();
    type S = SyncRemote<{ a(x: number): Promise<string> }>;
    expectTypeOf<S["a"]>().toEqualTypeOf<(x: number) => string>();
  });

  it("expose on this thread: ends on close with the count served, and leaves no listener on a signal that outlives it", async () => {
    const region = Region.create({ size: 1 << 20 });
    const controller = new AbortController();
    for (let round = 0; round < 12; round++) {
      const mailbox = Mailbox.create(region);
      const serving = expose({ twice: (x: number) => 2 * x }, mailbox, { signal: controller.signal });
      expect(await wrap<{ twice(x: number): number }>(mailbox).twice(round)).toBe(2 * round);
      mailbox.close();
      expect(await serving).toBe(1);
      mailbox.free();
    }
    expect(getEventListeners(controller.signal, "abort")).toEqual([]);
  });

  it("refuses bad input with named errors", () => {
    const region = Region.create({ size: 1 << 20 });
    const mailbox = Mailbox.create(region);
    expect(() => wrap({} as never)).toThrow(InvalidArgumentError);
    expect(() => wrap(mailbox, { timout: 1 } as never)).toThrow(/unknown option "timout"/);
    expect(() => expose(null as never, mailbox)).toThrow(InvalidArgumentError);
    expect(() => (wrap(mailbox) as any)()).toThrow(/call a method/);
    expect((wrap(mailbox) as any).then).toBeUndefined();
  });
});
