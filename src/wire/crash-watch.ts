// wire/crash-watch.ts — the one crash rule of sabre's worker hosts (spawnWorker for worker
// threads and for Web Workers, spawnProcess for processes; platform-neutral): how a host's
// `exited` promise settles when its agent ends, and how the end is reported to the regions
// (README, "When a party dies").
//
//   clean end (exit code 0, no error)   report it ended cleanly, resolve (channels stay open;
//                                       locks it held are recovered by their next locker)
//   terminate() was called              report it died, resolve
//   anything else (a crash)             report it died, run onCrash(error) once, reject
//
// `report(crashed)` is reportPartyEnd for the agent's parties (region.ts): its locks are taken
// over by their next locker, its mailboxes are reader-gone, and the waits on its channels fail
// with PeerGoneError only where no one is left on their other side. A host terminates its agent
// with hostTerminate: stop it, await `exited` without its rejection; idempotent. The end is
// reported once the agent has stopped (never before: a running holder is never taken over).
import { registerAttached, type PeerEndpoint } from "./revive";
import type { Region } from "../region/region";

export interface ExitState {
  /** terminate() was called before the end. */
  terminating: boolean;
  /** An error the agent reported (its 'error' event), if any. */
  failure?: Error;
}

/** Settles a host's `exited` by the rule above; `crash()` makes the error of an unexplained end. */
export function settleExit(
  clean: boolean, state: ExitState, report: (crashed: boolean) => void, onCrash: ((error: Error) => void) | undefined,
  crash: () => Error, resolve: () => void, reject: (error: Error) => void,
): void {
  const crashed = !clean || state.failure !== undefined;
  report(crashed);
  if (!crashed) return resolve();
  if (state.terminating && !state.failure) return resolve();
  const error = state.failure ?? crash();
  try {
    onCrash?.(error);
  } finally {
    reject(error);
  }
}

/**
 * A host's terminate(): unless the agent has ended or terminate() already ran, calls `stop`;
 * then awaits `exited`, never rejecting.
 */
export function hostTerminate(
  state: ExitState, hasEnded: () => boolean, stop: () => unknown, exited: Promise<void>,
): () => Promise<void> {
  return async () => {
    if (!hasEnded() && !state.terminating) {
      state.terminating = true;
      await stop();
    }
    await exited.catch(() => {});
  };
}

/**
 * Records the agent (process `pid`, thread `thread`, process start `start`) as a party of every
 * channel and mailbox in `endpoints`, in their regions, before it starts: so that its death
 * counts for their side rules even if it dies before attaching them itself.
 */
export function preRegister(endpoints: readonly PeerEndpoint[], pid: number, thread: number, start: number): void {
  const agents = new Map<Region, number>();
  for (const endpoint of endpoints) {
    registerAttached(endpoint, (region) => {
      let agent = agents.get(region);
      if (agent === undefined) {
        agent = region.core.party_join(pid, thread, start);
        agents.set(region, agent);
      }
      return agent;
    });
  }
}
