// rpc-comlink.test.ts — comlink, unchanged, over sabre's comlinkEndpoint: comlink's own
// behaviours (get, set, apply, construct, nested paths, thrown errors with name, message and
// stack, proxy() callbacks through the side channel, releaseProxy) with a real worker thread;
// a worker that crashes mid-call fails the call with PeerGoneError; between processes the
// plain calls work and proxy() fails with TransferUnavailableError; bad input is refused.
import * as Comlink from "comlink";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidArgumentError, Region, comlinkEndpoint, createLink, createRegion, spawnProcess, spawnWorker,
  type ComlinkEndpoint,
} from "sabre/node";
import type { makeApi } from "../fixtures/rpc-api.mjs";

type Api = ReturnType<typeof makeApi>;
const fixture = new URL("../fixtures/rpc-comlink-worker.mjs", import.meta.url);

describe("comlink over sabre between worker threads", () => {
  let ep: ComlinkEndpoint;
  let remote: Comlink.Remote<Api>;
  let worker: ReturnType<typeof spawnWorker>;
  beforeAll(() => {
    const region = Region.create({ size: 4 << 20 });
    const { port1, port2 } = createLink(region);
    worker = spawnWorker(fixture, { data: { end: port2 } });
    ep = comlinkEndpoint(port1, { via: worker.worker });
    remote = Comlink.wrap<Api>(ep);
  });
  afterAll(async () => {
    ep.close();
    await worker.terminate();
  });

  it("get: a value and a nested value", async () => {
    expect(await remote.value).toBe(42);
    expect(await remote.nested.deep.list).toEqual([1, 2, 3]);
  });

  it("set: a value set is seen by the next get", async () => {
    await ((remote as unknown as { value: number }).value = 7);
    expect(await remote.value).toBe(7);
  });

  it("apply: sync and async methods, nested paths, structured values through the codec", async () => {
    expect(await remote.add(1, 2)).toBe(3);
    expect(await remote.slowDouble(21)).toBe(42);
    expect(await remote.nested.deep.greet("sabre")).toBe("hello sabre");
    const value = { a: [1, "two", null], m: new Map([[1, { x: 2n }]]), d: new Date(5), bytes: new Uint8Array([1, 2, 3]) };
    expect(await remote.echo(value)).toEqual(value);
  });

  it("pipelined calls: 500 in flight, each answered once with its own value", async () => {
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => remote.add(i, 1)));
    expect(results).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it("thrown errors arrive with name, message and stack (sync and async)", async () => {
    const e1 = await remote.fail().catch((e) => e);
    expect(e1.name).toBe("RangeError");
    expect(e1.message).toBe("bad range");
    expect(e1.stack).toContain("fail");
    const e2 = await remote.failAsync().catch((e) => e);
    expect(e2.name).toBe("TypeError");
    expect(e2.message).toBe("async bad");
  });

  it("construct: new on a remote class gives a proxy of the instance (through the side channel)", async () => {
    const counter = await new remote.Counter(5);
    expect(await counter.inc()).toBe(6);
    expect(await counter.inc(4)).toBe(10);
    expect(await counter.n).toBe(10);
    counter[Comlink.releaseProxy]();
    expect(() => counter.inc()).toThrow(/released/);
  });

  it("proxy() callbacks: the worker calls back into this thread", async () => {
    const seen: number[] = [];
    const cb = Comlink.proxy((x: number) => {
      seen.push(x);
      return x * 10;
    });
    expect(await remote.callBack(cb, 2)).toBe(21);
    expect(await remote.callBack(cb, 3)).toBe(31);
    expect(seen).toEqual([2, 3]);
  });

  it("a value the codec cannot encode rejects the call with CodecError", async () => {
    const e = await remote.echo((() => 1) as unknown as number).catch((error) => error);
    expect(e.name).toBe("CodecError");
  });
});

describe("comlink over sabre: a worker that ends mid-call", () => {
  it("fails the pending call with PeerGoneError, never a hang", async () => {
    const region = Region.create({ size: 4 << 20 });
    const { port1, port2 } = createLink(region);
    const worker = spawnWorker(fixture, { data: { end: port2 }, onCrash: () => {} });
    using ep = comlinkEndpoint(port1, { via: worker.worker });
    const remote = Comlink.wrap<Api>(ep);
    expect(await remote.add(2, 2)).toBe(4);
    const e = await remote.crash().catch((error) => error);
    expect(e.name).toBe("PeerGoneError");
    expect(e.code).toBe("ERR_SABRE_PEER_GONE");
    await expect(remote.add(1, 1)).rejects.toMatchObject({ name: "PeerGoneError" });
    await worker.exited.catch(() => {});
  });
});

/** Runs `body`, then waits two macrotasks; returns the promise rejections nobody handled. */
async function unhandledDuring(body: () => void | Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    await body();
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  return seen;
}

describe("comlink over sabre: what comlink posts without handling an error", () => {
  // comlink sends RELEASE (releaseProxy, or its FinalizationRegistry when a proxy is collected)
  // and the exposing side's answers without a catch: on a dead or closed link they are dropped,
  // never an unhandled rejection; a request there still rejects.
  it("a RELEASE after the peer died, and after close(), is dropped; requests still reject", async () => {
    const region = Region.create({ size: 4 << 20 });
    const { port1, port2 } = createLink(region);
    const worker = spawnWorker(fixture, { data: { end: port2 }, onCrash: () => {} });
    const ep = comlinkEndpoint(port1, { via: worker.worker });
    const remote = Comlink.wrap<Api>(ep);
    expect(await remote.add(2, 2)).toBe(4);
    expect((await remote.crash().catch((error) => error)).name).toBe("PeerGoneError");
    await worker.exited.catch(() => {});
    const child = remote.nested; // a second proxy (no request yet), released while the link is dead
    expect(await unhandledDuring(() => {
      child[Comlink.releaseProxy]();
      ep.postMessage({ id: "answer", type: "HANDLER", name: "throw", value: { isError: true, value: {} } });
    })).toEqual([]);
    await expect(remote.add(1, 1)).rejects.toMatchObject({ name: "PeerGoneError" });
    ep.close();
    expect(await unhandledDuring(() => remote[Comlink.releaseProxy]())).toEqual([]);
    expect(() => ep.postMessage({ id: "late", type: "GET", path: [] })).toThrow(expect.objectContaining({ name: "ClosedError" }));
  });

  it("a RELEASE after a side-channel failure is dropped too", async () => {
    const region = Region.create({ size: 4 << 20 });
    const { port1, port2 } = createLink(region);
    await using worker = spawnWorker(fixture, { data: { end: port2, noVia: true } });
    using ep = comlinkEndpoint(port1, { via: worker.worker });
    const remote = Comlink.wrap<Api>(ep);
    const e = await remote.callBack(Comlink.proxy((x: number) => x), 1).catch((error) => error);
    expect(e.name).toBe("TransferUnavailableError");
    expect(await unhandledDuring(() => remote[Comlink.releaseProxy]())).toEqual([]);
  });
});

describe("comlink over sabre: a side channel only one end set up", () => {
  it("a proxy() sent to an end without `via` fails the call with TransferUnavailableError, never a hang", async () => {
    const region = Region.create({ size: 4 << 20 });
    const { port1, port2 } = createLink(region);
    await using worker = spawnWorker(fixture, { data: { end: port2, noVia: true } });
    using ep = comlinkEndpoint(port1, { via: worker.worker });
    const remote = Comlink.wrap<Api>(ep);
    expect(await remote.add(1, 2)).toBe(3);
    const e = await remote.callBack(Comlink.proxy((x: number) => x), 1).catch((error) => error);
    expect(e.name).toBe("TransferUnavailableError");
    expect(e.message).toMatch(/other end has no `via`/);
  });
});

describe("comlink over sabre between processes", () => {
  it("get, apply, errors work; proxy() fails with TransferUnavailableError", async () => {
    const region = createRegion({ size: 4 << 20 });
    const { port1, port2 } = createLink(region);
    const child = spawnProcess(fixture, { data: { end: port2 } });
    using ep = comlinkEndpoint(port1);
    const remote = Comlink.wrap<Api>(ep);
    try {
      expect(await remote.value).toBe(42);
      expect(await remote.add(20, 22)).toBe(42);
      expect(await remote.nested.deep.greet("process")).toBe("hello process");
      const e = await remote.fail().catch((error) => error);
      expect([e.name, e.message]).toEqual(["RangeError", "bad range"]);
      const t = await remote.callBack(Comlink.proxy((x: number) => x), 1).catch((error) => error);
      expect(t.name).toBe("TransferUnavailableError");
      expect(t.message).toMatch(/between processes/);
      // the other direction: the child's answer to `new` needs a MessagePort
      const c = await Promise.resolve(new remote.Counter(1)).catch((error) => error);
      expect(c.name).toBe("TransferUnavailableError");
      expect(await remote.add(1, 1)).toBe(2); // the link is still usable
    } finally {
      await child.terminate();
    }
  });
});

describe("comlinkEndpoint input", () => {
  it("refuses what is not a link end, and unknown options", () => {
    const region = Region.create({ size: 1 << 20 });
    const { port1 } = createLink(region);
    expect(() => comlinkEndpoint({} as never)).toThrow(InvalidArgumentError);
    expect(() => comlinkEndpoint(port1, { vai: 1 } as never)).toThrow(/unknown option "vai"/);
    expect(() => createLink(region, { capacity: 0 })).toThrow(/capacity/);
  });
});
