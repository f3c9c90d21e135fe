// spawn.test.ts — spawnWorker from 'sabre' with real Web Workers, in headless Chromium (the
// same server and browser as browser.test.ts: scripts/serve.mjs with the isolation headers,
// scripts/chromium.mjs through playwright-core). The page (pages/spawn.js) passes live
// regions, channels and a mutex to a module worker (pages/spawn-worker.js), which gets them
// back attached with attachWorkerData; a worker that throws makes the page's recvAsync on a
// channel passed to it fail with PeerGoneError instead of waiting forever; a worker that ends
// with self.close() is seen (exited resolves, a mutex it held is taken over). spawnWorker also
// takes a Worker, or a function returning one, and a script that cannot load is reported as
// WorkerLoadError (the page's 404 for it is the one console error expected).
import { describe, expect, it } from "vitest";
import { usePage } from "./browser-page";

const { run, expectError } = usePage("/test/browser/pages/spawn.html");

describe("in Chromium, spawnWorker from 'sabre' (Web Workers)", () => {
  it("revives a Region, Channels and a Mutex nested in objects, arrays and a Map; the worker uses them", async () => {
    const r = await run<any>("data");
    expect(r.workerIsWeb).toBe(true);
    expect(r.result).toEqual({ region: true, lock: true, channels: true, ownMessages: 0 });
    expect(r.counter).toBe(r.expected);
  });

  it("a worker that throws: the page's recvAsync gets PeerGoneError, exited rejects, onCrash runs once", async () => {
    const r = await run<any>("crash");
    expect(r.recv.name).toBe("PeerGoneError");
    expect(r.exited.name).toBe("WorkerCrashError");
    expect(r.exited.message).toContain("boom from the web worker");
    expect(r.crashes).toHaveLength(1);
    expect(r.crashes[0].name).toBe("WorkerCrashError");
  });

  it("a worker that ends with self.close() holding a mutex: exited resolves, the next locker gets OwnerDeadError", async () => {
    const r = await run<any>("cleanEnd");
    expect(r.exited).toEqual({ name: "no error" });
    expect(r.locked).toEqual({ name: "OwnerDeadError", ownerDead: true });
    expect(r.again).toBe(true);
  });

  it("takes a fresh Worker, or a function returning one, instead of a URL", async () => {
    const r = await run<any>("workerForms");
    for (const form of [r.instance, r.factory]) {
      expect(form.result).toEqual({ region: true, lock: true, channels: true, ownMessages: 0 });
      expect(form.counter).toBe(form.expected);
    }
    expect(r.made).toEqual([true]); // the function was called once
  });

  it("refuses a first argument that is not a URL or a Worker, and new Worker's options beside a Worker", async () => {
    const r = await run<any>("badArguments");
    for (const key of ["number", "plainObject", "notAWorker", "typeWithWorker", "credentialsWithFactory", "misspeltOption"]) {
      expect(r[key].name, key).toBe("TypeError");
    }
    expect(r.number.message).toContain("a URL, a string, a Worker or a function returning a Worker");
    expect(r.notAWorker.message).toContain("must return a new Worker");
    expect(r.typeWithWorker.message).toContain("new Worker(url, { type, credentials })");
    expect(r.misspeltOption.message).toContain('unknown option "dta"');
    expect(r.calls).toBe(0); // bad options start no worker
  });

  it("a worker script that fails to load: exited rejects with WorkerLoadError, the page's recvAsync is woken", async () => {
    expectError(/404|no-such-worker/);
    const r = await run<any>("loadFailure").finally(() => expectError());
    expect(r.exited.name).toBe("WorkerLoadError");
    expect(r.exited.message).toContain("failed to load");
    expect(r.exited.message).toContain("no-such-worker.js");
    expect(r.exited.message).not.toContain("data: URL");
    expect(r.crashes).toEqual([{ name: "WorkerLoadError", isCrash: true }]);
    expect(r.recv.name).toBe("PeerGoneError");
  });
});
