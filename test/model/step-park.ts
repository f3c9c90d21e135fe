// step-park.ts — the async "step" protocol of src/wait/step-wait.ts (stepAndPark), for model tests:
// read the park word, run the core's step export, park in JS (t.wait, standing for
// Atomics.waitAsync) while the word holds the value read before the step, step again with
// parked = 1; on a timeout run one last step, then the primitive's cancel export (which
// returns OK when the operation completed meanwhile, e.g. a barrier generation that passed).
// `mayPark(seen)`: src/wait/step-wait.ts's hook (the semaphore parks only on a count < n).
// Shared by the semaphore, barrier and rwlock model tests (not a test file itself).
import * as L from "../../assembly/layout";
import type { VThread } from "./harness";

type Gen = Generator<unknown, number, unknown>;

export function* stepAndPark(
  t: VThread,
  parkPtr: number,
  step: (parked: number) => Gen,
  cancel: () => Gen,
  timeoutMs = -1,
  mayPark?: (seen: number) => boolean,
): Gen {
  let parked = 0;
  for (;;) {
    yield* t.pause("read park word");
    const seen = t.i32[parkPtr >> 2]; // Atomics.load in src/wait/step-wait.ts
    const status = yield* step(parked);
    if (status !== L.WOULD_BLOCK) return status;
    parked = 1;
    if (mayPark && !mayPark(seen)) continue;
    const woke = yield* t.wait(parkPtr, seen, timeoutMs);
    if (woke === L.WAIT_TIMED_OUT) {
      const last = yield* step(1);
      if (last !== L.WOULD_BLOCK) return last;
      return (yield* cancel()) === L.OK ? L.OK : L.TIMED_OUT;
    }
  }
}
