// request.test.ts — the mailbox request machine (src/mailbox/request.ts, requestSteps: the
// protocol both Mailbox.request and requestAsync run) under every schedule of what its driver
// can report, up to SLICES waits: the slice in which the reply arrives (or never), in which the
// server's mailbox is marked peer-gone (or never) and whether a reply sent before the mark is
// there at the last look, in which the deadline passes (or never), and in which an abort is
// thrown in (or never). Each schedule runs the shipped machine with a scripted driver and its
// result is checked against the specification below (the header of request.ts):
//   - the request is sent once, before any wait;
//   - a reply that arrives is returned, whatever else happened in its slice;
//   - otherwise, once the mailbox is peer-gone: the reply sent before the mark if there is
//     one, else PeerGoneError; never PeerGoneError while the mailbox is not peer-gone;
//   - otherwise, once the deadline passed: TimeoutError; never before;
//   - an abort propagates as thrown, and nothing is returned after it;
//   - with none of these, the machine keeps waiting (slice after slice).
// The machine's only shared state is behind its driver (the channel send and the inbox), so
// the driver's reports are the whole schedule space; the core operations under them are model
// tested on their own (channel.test.ts, select.test.ts).
import { describe, expect, it } from "vitest";
import { AbortError, PeerGoneError, TimeoutError } from "../../src/errors";
import { requestSteps, type RequestStep } from "../../src/mailbox/request";

const SLICES = 4;
const NEVER = Infinity;
const times = [NEVER, ...Array.from({ length: SLICES }, (_, i) => i)];

interface Schedule {
  reply: number; // the wait that resumes with the reply
  gone: number; // the wait during which the mailbox is marked peer-gone
  late: boolean; // a reply sent before the mark is there at the last look
  deadline: number; // the wait during which the deadline passes
  abort: number; // the wait at which an abort is thrown in
}

type Result = "reply" | "gone" | "timeout" | "abort" | "waiting";

/** The specification: what the request must end with under `s`. */
function expected(s: Schedule): Result {
  for (let i = 0; i < SLICES; i++) {
    if (s.abort === i) return "abort";
    if (s.reply === i) return "reply";
    if (s.gone <= i) return s.late ? "reply" : "gone";
    if (s.deadline <= i) return "timeout";
  }
  return "waiting";
}

const REPLY = { reply: true };

/** Runs the shipped machine under `s` with a scripted driver. */
function run(s: Schedule): { result: Result; steps: string[] } {
  let slice = -1; // the wait in progress
  const server = {
    endpoint: { get peerGone() { return s.gone <= slice; } },
    goneError: (what: string) => new PeerGoneError(`${what}: gone`),
  };
  const deadline = {
    passed: () => s.deadline <= slice,
    error: (label: string) => new TimeoutError(`${label}: timed out`),
  };
  const machine = requestSteps<typeof REPLY>(server as never, deadline as never, "Mailbox.request", "Mailbox.request to m");
  const steps: string[] = [];
  let next = machine.next(undefined);
  try {
    while (!next.done) {
      const step: RequestStep = next.value;
      steps.push(step.op);
      if (step.op === "send") next = machine.next(undefined);
      else if (step.op === "last") next = machine.next(s.late ? REPLY : undefined);
      else {
        slice++;
        if (slice >= SLICES) return { result: "waiting", steps };
        next = slice === s.abort ? machine.throw(new AbortError("aborted")) : machine.next(slice === s.reply ? REPLY : undefined);
      }
    }
    expect(next.value).toBe(REPLY);
    return { result: "reply", steps };
  } catch (error) {
    if (error instanceof AbortError) return { result: "abort", steps };
    if (error instanceof PeerGoneError) return { result: "gone", steps };
    if (error instanceof TimeoutError) return { result: "timeout", steps };
    throw error;
  }
}

describe("model: the mailbox request machine (requestSteps) under every driver schedule", () => {
  it(`ends as specified in every schedule up to ${SLICES} waits`, () => {
    let schedules = 0;
    const seen = new Set<Result>();
    for (const reply of times) for (const gone of times) for (const late of [false, true]) {
      for (const deadline of times) for (const abort of times) {
        if (late && gone === NEVER) continue; // no last look without a mark
        const s: Schedule = { reply, gone, late, deadline, abort };
        const name = JSON.stringify(s, (_, v) => (v === NEVER ? "never" : v));
        const { result, steps } = run(s);
        schedules++;
        seen.add(result);
        expect(result, name).toBe(expected(s));
        // sent once, first; one last look at most, and only after a mark
        expect(steps[0], name).toBe("send");
        expect(steps.filter((x) => x === "send")).toHaveLength(1);
        expect(steps.filter((x) => x === "last").length).toBeLessThanOrEqual(gone === NEVER ? 0 : 1);
      }
    }
    expect(seen).toEqual(new Set<Result>(["reply", "gone", "timeout", "abort", "waiting"]));
    expect(schedules).toBeGreaterThan(1000);
  });
});
