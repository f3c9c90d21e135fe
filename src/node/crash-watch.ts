// node/crash-watch.ts — the one crash rule of sabre's worker hosts (spawnWorker for threads,
// spawnProcess for processes): how a host's `exited` promise settles when its agent ends.
//
//   clean end (exit code 0, no error)   resolve; nothing is marked (channels stay open)
//   terminate() was called              mark the endpoints peer-gone, resolve
//   anything else (a crash)             mark the endpoints peer-gone, run onCrash(error) once,
//                                       reject with the error
//
// and how a host terminates its agent (hostTerminate): mark the endpoints at once (the agent
// may stop mid-message), stop it, await `exited` without its rejection; idempotent.
import { markAllPeerGone, type PeerEndpoint } from "../wire/revive";

export interface ExitState {
  /** terminate() was called before the end. */
  terminating: boolean;
  /** An error the agent reported (its 'error' event), if any. */
  failure?: Error;
}

/** Settles a host's `exited` by the rule above; `crash()` makes the error of an unexplained end. */
export function settleExit(
  clean: boolean, state: ExitState, endpoints: readonly PeerEndpoint[], onCrash: ((error: Error) => void) | undefined,
  crash: () => Error, resolve: () => void, reject: (error: Error) => void,
): void {
  if (clean && !state.failure) return resolve();
  markAllPeerGone(endpoints);
  if (state.terminating && !state.failure) return resolve();
  const error = state.failure ?? crash();
  try {
    onCrash?.(error);
  } finally {
    reject(error);
  }
}

/**
 * A host's terminate(): unless the agent has ended or terminate() already ran, marks the
 * endpoints peer-gone and calls `stop`; then awaits `exited`, never rejecting.
 */
export function hostTerminate(
  state: ExitState, endpoints: readonly PeerEndpoint[], hasEnded: () => boolean, stop: () => unknown, exited: Promise<void>,
): () => Promise<void> {
  return async () => {
    if (!hasEnded() && !state.terminating) {
      state.terminating = true;
      markAllPeerGone(endpoints);
      await stop();
    }
    await exited.catch(() => {});
  };
}
