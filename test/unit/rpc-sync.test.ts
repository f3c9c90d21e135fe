// rpc-sync.test.ts — synchronous calls (sabre/node createSyncFn; syncFunction/serveSync):
// values, async functions, thrown errors (name, message, stack, own fields), timeouts (and the
// late reply dropped), a module that does not load, a worker or process that ends mid-call
// (crash, clean exit, kill -9: PeerGoneError, never a hang), across a process too, and bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BlockingNotAllowedError, InvalidArgumentError, PeerGoneError, Region, TimeoutError, createLink, createSyncFn, serveSync, syncFunction,
  type SyncFn,
} from "sabre/node";
import type * as Fns from "../fixtures/rpc-sync-fns.mjs";

const fns = new URL("../fixtures/rpc-sync-fns.mjs", import.meta.url);

for (const mode of ["thread", "process"] as const) {
  const process = mode === "process";
  describe(`createSyncFn (${mode})`, () => {
    let add: SyncFn<typeof Fns.default>;
    beforeAll(() => {
      add = createSyncFn<typeof Fns.default>(fns, { process });
    });
    afterAll(() => add.close());

    it("returns the value of the default export, called synchronously, many times in order", () => {
      expect(add(1, 2)).toBe(3);
      let sum = 0;
      for (let i = 0; i < 1000; i++) sum += add(i, 1);
      expect(sum).toBe(500_500);
    });

    it("an async export: blocks until it settles", async () => {
      await using slowAdd = createSyncFn<typeof Fns.slowAdd>(fns, { name: "slowAdd", process });
      expect(slowAdd(20, 22)).toBe(42);
      await using echo = createSyncFn<typeof Fns.echo>(fns, { name: "echo", process });
      const v = { a: [1, "x", null], m: new Map([["k", 1n]]), bytes: new Uint8Array(100_000).fill(7) };
      expect(echo(v)).toEqual(v);
    });

    it("thrown errors and rejections are thrown with name, message, stack and own fields", async () => {
      await using fail = createSyncFn<typeof Fns.fail>(fns, { name: "fail", process });
      let e: any;
      try {
        fail("too far");
      } catch (error) {
        e = error;
      }
      expect(e.name).toBe("RangeError");
      expect(e.message).toBe("too far");
      expect(e.stack).toContain("rpc-sync-fns.mjs");
      expect(e.detail).toBe(7);
      await using failAsync = createSyncFn<typeof Fns.failAsync>(fns, { name: "failAsync", process });
      expect(() => failAsync()).toThrow(expect.objectContaining({ name: "TypeError", message: "async failure" }));
      await using bad = createSyncFn<typeof Fns.notSerializable>(fns, { name: "notSerializable", process });
      expect(() => bad()).toThrow(expect.objectContaining({ name: "CodecError" }));
      await using missing = createSyncFn(fns, { name: "nope", process });
      expect(() => missing()).toThrow(/"nope" is not a function/);
    });

    it("honours its timeout; a late reply is dropped and each call gets its own", async () => {
      await using sleep = createSyncFn<typeof Fns.sleep>(fns, { name: "sleep", timeout: 300, process });
      const answered = (ms: number) => {
        try {
          return sleep(ms);
        } catch (error) {
          if (error instanceof TimeoutError) return undefined; // a loaded machine: try again
          throw error;
        }
      };
      while (answered(1) === undefined); // the worker has loaded the module
      expect(() => sleep(60_000)).toThrow(TimeoutError);
      expect(() => sleep(400)).toThrow(TimeoutError); // its reply comes about 100 ms later
      let ok = 0;
      for (let i = 0; i < 5; i++) {
        const v = answered(100);
        if (v !== undefined) {
          expect(v).toBe(100);
          ok++;
        }
      }
      expect(ok).toBeGreaterThan(0);
    });

    it("a module that does not load fails every call with its error", async () => {
      await using broken = createSyncFn(new URL("../fixtures/rpc-sync-broken.mjs", import.meta.url), { process });
      expect(() => broken()).toThrow(expect.objectContaining({ name: "SyntaxError", message: expect.stringContaining("does not load") }));
      expect(() => broken()).toThrow(/does not load/);
    });

    for (const ending of process ? ["crash", "exitClean", "kill9"] : ["crash", "exitClean"]) {
      it(`a ${mode} that ends mid-call (${ending}) fails the call with PeerGoneError`, async () => {
        const f = createSyncFn(fns, { name: ending, process });
        expect(() => f()).toThrow(PeerGoneError);
        expect(() => f()).toThrow(PeerGoneError);
        await f.close();
      });
    }
  });
}

describe("syncFunction / serveSync on a link", () => {
  it("serves an object's functions in this thread's event loop to a caller in a worker", async () => {
    const region = Region.create({ size: 1 << 20 });
    const { port1, port2 } = createLink(region);
    const served = serveSync({ twice: (x: number) => x * 2 }, port1);
    const { Worker } = await import("node:worker_threads");
    const code = `
      const { workerData, parentPort } = require("node:worker_threads");
      import("sabre/node").then(async ({ Channel, syncFunction }) => {
        const end = { tx: Channel.from(workerData.tx), rx: Channel.from(workerData.rx) };
        const twice = syncFunction(end, "twice");
        let sum = 0;
        for (let i = 0; i < 100; i++) sum += twice(i);
        end.tx.close();
        parentPort.postMessage(sum);
      });`;
    const w = new Worker(code, { eval: true, workerData: { tx: port2.tx.handle, rx: port2.rx.handle } });
    const sum = await new Promise((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
    expect(sum).toBe(9900);
    await served; // the caller closed its tx: the server ends
    await w.terminate();
  });

  it("refuses bad input with named errors", () => {
    const region = Region.create({ size: 1 << 20 });
    const { port1 } = createLink(region);
    expect(() => syncFunction(port1, "f", { timeot: 1 } as never)).toThrow(/unknown option "timeot"/);
    expect(() => syncFunction(port1, "f", { spinMicros: -1 })).toThrow(InvalidArgumentError);
    expect(() => syncFunction({} as never)).toThrow(InvalidArgumentError);
    expect(() => createSyncFn("./relative.mjs")).toThrow(/absolute path/);
    expect(() => createSyncFn(fns, { proces: true } as never)).toThrow(/unknown option "proces"/);
    expect(BlockingNotAllowedError).toBeDefined();
  });
});
