// rpc.test.ts — sabre's RPC in headless Chromium (the server and browser of spawn.test.ts):
// comlink over sabre between the page and a Web Worker (get, apply, a thrown error with name
// and stack, a proxy() callback and `new` through the side channel posted via the Worker),
// the blocking forms refusing on the page's main thread, and a Web Worker calling functions
// the page serves, synchronously.
import { describe, expect, it } from "vitest";
import { usePage } from "./browser-page";

const { run } = usePage("/test/browser/pages/rpc.html");

describe("in Chromium, sabre's RPC", () => {
  it("comlink over sabre with a Web Worker: get, apply, errors, proxy() callbacks, new", async () => {
    const r = await run<any>("comlink");
    expect(r.value).toBe(42);
    expect(r.sum).toBe(42);
    expect(r.error).toEqual({ name: "RangeError", message: "bad range", stack: "string" });
    expect(r.called).toBe(41);
    expect(r.inc).toBe(2);
  });

  it("the page's main thread may not block: syncFunction and wrapSync refuse", async () => {
    const r = await run<any>("refusals");
    expect(r.syncFunction.name).toBe("BlockingNotAllowedError");
    expect(r.wrapSync.name).toBe("BlockingNotAllowedError");
  });

  it("a Web Worker calls functions the page serves, synchronously", async () => {
    const r = await run<any>("syncFromWorker");
    expect(r.sum).toBe(9900);
    expect(r.error).toEqual({ name: "RangeError", message: "no" });
  });
});
