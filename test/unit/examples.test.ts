// examples.test.ts — the README's examples run as written: each examples/*.mjs is executed with
// the current Node and its printed result checked, so the docs cannot drift from the API.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const run = (name: string) =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`../../examples/${name}`, import.meta.url))], {
    encoding: "utf8",
    timeout: 30_000,
  });

describe("examples", () => {
  it("two-threads.mjs: a mutex and a ring between two threads", () => {
    expect(run("two-threads.mjs").trim()).toBe("sum=500500 counter=2000");
  });
  it("channel.mjs: structured values and a fragmented blob through a Channel", () => {
    expect(run("channel.mjs").trim()).toBe("total=5050000000000000 blobBytes=100000");
  });
  it("workers.mjs: spawnWorker with live objects; a crashing worker wakes a blocked recv with PeerGoneError", () => {
    expect(run("workers.mjs").trim()).toBe("sum=5050 crash=PeerGoneError");
  });

  it("processes.mjs: spawnProcess with two children, a SIGKILLed child fails the wait with PeerGoneError, a named region attached by an unrelated node", () => {
    expect(run("processes.mjs").trim()).toBe("sum=338350 count=100 crash=PeerGoneError byName=true");
  });

  it("select.mjs: select over two channels until both are closed", () => {
    expect(run("select.mjs").trim()).toBe("sum=55 text=ceelst");
  });
  it("mailbox.mjs: request/reply and a RemoteError between the main thread and a worker", () => {
    expect(run("mailbox.mjs").trim()).toBe("six=6 sq=49 sum=3 failed=RemoteError(RangeError: unknown op div)");
  });
});
