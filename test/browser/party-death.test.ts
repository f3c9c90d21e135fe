// party-death.test.ts — README's "When a party dies" for Web Workers, in headless Chromium: a
// victim Web Worker (pages/party-death-worker.js) started by spawnWorker is terminated at a
// seeded random moment while holding a mutex, mid-send of a fragmented message, while blocked
// in recv, inside a mailbox request as a client, and as the server (the cases of
// test/fixtures/party-death-cases.mjs, shared with the Node test); and a plain `new Worker`
// holding a mutex, reported with workerDied. The page (pages/party-death.js, async forms only)
// is the survivor: done, or told PeerGoneError where the rules say so; never hung (every wait
// has a timeout, counted as hung); nothing lost; none torn. The counts are printed per case.
// Trials: a few by default, 200 per case under SABRE_STRESS=heavy (test/fixtures/stress-level.ts),
// 4 at a time (Chromium lets a terminated worker that is busy — a loop, a blocking wait — run on
// for up to 2 s, and the page reports its death only once it has stopped), 40 per page.
import { afterAll, describe, expect, it } from "vitest";
import { stressLevel, stressMultiplier } from "../fixtures/stress-level";
import { countsLine, type newCounts } from "../fixtures/party-death-cases.mjs";
import { runIn, useBrowser } from "./browser-page";

const browser = useBrowser();
const SEED = 0x0dead5;
const TRIALS = stressMultiplier() >= 10 ? 200 : stressLevel(4);
/** Trials run at once, each with its own victim and region (a terminated busy worker runs on for up to 2 s). */
const PARALLEL = 4;
/**
 * Trials per page: each chunk runs in a fresh page. A page holds at most about 125 wasm memories
 * at once, and a trial's region is collected only after the victim's and the page's waits on it
 * have ended (an aborted async wait within a second: src/wait/parker.ts); a fresh page per chunk
 * keeps the trials clear of that limit however fast they run.
 */
const PER_PAGE = 40;

type Counts = ReturnType<typeof newCounts> & { unexpected: string[] };
const report: Record<string, Counts> = {};

async function trials(name: string, scenario: string): Promise<Counts> {
  const c = (report[name] = { trials: 0, recovered: 0, hung: 0, lost: 0, torn: 0, ownerDied: 0, peerGone: 0, unexpected: [] } as Counts);
  for (let done = 0, chunk = 0; done < TRIALS; done += PER_PAGE, chunk++) {
    const { page, errors } = await browser.open("/test/browser/pages/party-death.html");
    try {
      const part = await runIn<Counts>(page, scenario, {
        trials: Math.min(PER_PAGE, TRIALS - done), seed: SEED ^ name.length ^ (chunk << 8), parallel: PARALLEL,
      });
      for (const key of Object.keys(c) as (keyof Counts)[]) {
        if (key === "unexpected") c.unexpected.push(...part.unexpected);
        else c[key] += part[key];
      }
    } finally {
      await page.close();
    }
    expect(errors).toEqual([]);
  }
  expect(c.unexpected).toEqual([]);
  expect(c.trials).toBe(TRIALS);
  expect(c.hung + c.lost + c.torn).toBe(0);
  return c;
}

afterAll(() => {
  console.log("party death (Web Workers), per case: recovered / hung / lost / torn (of trials; owner-died and PeerGoneError seen)");
  for (const [name, c] of Object.entries(report)) console.log(countsLine(name, c));
});

describe("in Chromium, a Web Worker terminated at a random moment", { timeout: 120_000 * stressMultiplier() }, () => {
  it("holding a mutex: the next locker gets it (OwnerDeadError when it died holding it), state repaired", async () => {
    const c = await trials("holding a mutex", "mutex");
    expect(c.recovered).toBe(TRIALS);
  });

  it("mid-send of a fragmented message: never delivered torn, nothing completed lost, the channel stays usable", async () => {
    const c = await trials("mid-send of a fragmented message", "send");
    expect(c.recovered).toBe(TRIALS);
  });

  it("blocked in recv: a value sent afterwards reaches the live receiver", async () => {
    const c = await trials("blocked in recv", "recv");
    expect(c.recovered).toBe(TRIALS);
  });

  it("mid-receive of a fragmented message: the live receiver gets every later message, whole, in order", async () => {
    const c = await trials("mid-receive of a fragmented message", "drain");
    expect(c.recovered).toBe(TRIALS);
  });

  it("inside a request as client: the server keeps serving, its mailbox is not poisoned", async () => {
    const c = await trials("inside a request as client", "client");
    expect(c.peerGone).toBe(0);
    expect(c.recovered).toBe(TRIALS);
  });

  it("inside a request as server: the client's request fails with PeerGoneError (or has its reply), never hangs", async () => {
    const c = await trials("inside a request as server", "server");
    expect(c.peerGone).toBe(TRIALS); // the client's loop ends only with PeerGoneError
    expect(c.recovered).toBe(TRIALS);
  });

  it("a plain new Worker holding a mutex, reported with workerDied(watchedThreadId()): the next locker gets it", async () => {
    const c = await trials("plain new Worker holding a mutex (workerDied)", "plainMutex");
    expect(c.recovered).toBe(TRIALS);
  });

  it("workerDied refuses a thread id that is not one, and a misspelt option, with named errors", async () => {
    const { page, errors } = await browser.open("/test/browser/pages/party-death.html");
    const r = await runIn<any>(page, "workerDiedInput").finally(() => page.close());
    expect(errors).toEqual([]);
    expect(r.negative.name).toBe("InvalidArgumentError");
    expect(r.negative.message).toContain("watchedThreadId()");
    expect(r.misspelt.name).toBe("InvalidArgumentError");
    expect(r.misspelt.message).toContain("crashed");
  });
});
