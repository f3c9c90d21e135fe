// process-parker.test.ts — FutexParker through the Parker contract: not-equal and timeout codes,
// a blocking wait in a worker thread woken through the futex, waitAsync woken, timed out, and
// cancelled by its AbortSignal (WAIT_ABORTED) without losing a later wake-up of another waiter.
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { FutexParker } from "sabre/node";

const WOKEN = 0, NOT_EQUAL = 1, TIMED_OUT = 2, ABORTED = 3;
const forever = { left: () => Infinity, forever: true } as never;
const after = (ms: number) => { const at = performance.now() + ms; return { left: () => Math.max(0, at - performance.now()) } as never; };

describe("FutexParker", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const words = new Int32Array(memory.buffer);
  const parker = new FutexParker(memory);

  it("returns NOT_EQUAL for a changed word and TIMED_OUT at the deadline", async () => {
    words[10] = 1;
    expect(parker.kind).toBe("futex");
    expect(parker.wait(40, 0, forever)).toBe(NOT_EQUAL);
    expect(parker.wait(40, 1, after(5))).toBe(TIMED_OUT);
    expect(await parker.waitAsync(40, 0, forever)).toBe(NOT_EQUAL);
    expect(await parker.waitAsync(40, 1, after(5))).toBe(TIMED_OUT);
  });

  it("a blocking wait in a worker thread is woken through the futex", async () => {
    const w = new Worker(`
      const { workerData, parentPort } = require("node:worker_threads");
      import(workerData.url).then(({ FutexParker }) => {
        const p = new FutexParker(workerData.memory);
        const words = new Int32Array(workerData.memory.buffer);
        Atomics.store(words, 21, 1);
        const r = p.wait(80, 0, { left: () => Infinity, forever: true });
        parentPort.postMessage([r, Atomics.load(words, 20)]);
      });
    `, { eval: true, workerData: { memory, url: import.meta.resolve("sabre/node") } });
    const got = new Promise((resolve) => w.once("message", resolve));
    while (Atomics.load(words, 21) === 0) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 20)); // let it pass its spin and park
    Atomics.store(words, 20, 5);
    parker.wake(80, 1);
    const [code, value] = (await got) as number[];
    expect([WOKEN, NOT_EQUAL]).toContain(code);
    expect(value).toBe(5);
    await w.terminate();
  });

  it("waitAsync is woken; an aborted waitAsync resolves ABORTED, and the other waiter still gets the wake-up", async () => {
    let settled = false;
    const woken = parker.waitAsync(120, 0, forever).then((code) => { settled = true; return code; });
    const ac = new AbortController();
    const aborted = parker.waitAsync(124, 0, forever, ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    expect(await aborted).toBe(ABORTED);
    // the word never changes: only a wake that finds the waiter parked ends its wait
    while (!settled) {
      parker.wake(120, 1);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await woken).toBe(WOKEN);
    expect(await parker.waitAsync(124, 0, forever, AbortSignal.abort())).toBe(ABORTED);
  });
});
