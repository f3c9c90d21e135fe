// node/liveness.ts — watching peer processes, so that a peer's death fails the waits of the
// others (PeerGoneError) instead of hanging them.
//
// A watch is (pid, start time, endpoints): the start time (native processStart) pins the pid
// to one process, so a recycled pid never passes for the peer. A watched process is gone when
// /proc has no such pid, its start time differs, or it is a zombie whose wait status is not a
// clean exit (status 0). Then its endpoints are marked peer-gone (markAllPeerGone: the blocked
// operations on them fail with PeerGoneError) and the watch ends.
//
// Checks run (1) every LIVENESS_INTERVAL_MS on an unref'd timer while any watch exists (for
// async waiters: the event loop runs), and (2) from the futex parker between the slices of a
// blocking wait (FutexParker.wait parks at most LIVENESS_INTERVAL_MS at a time while watches
// exist): a thread blocked in recv runs no timer, yet learns of a dead peer within one
// interval. A clean exit (status 0) marks nothing: channels stay open (Go's semantics).
import { markAllPeerGone, type PeerEndpoint } from "../wire/revive";
import { nativeAddon, type NativeAddon } from "./native";

/** How often watched peers are checked, and the longest a blocking futex park lasts between checks (ms). */
export const LIVENESS_INTERVAL_MS = 100;

interface Watch {
  readonly pid: number;
  readonly start: number;
  readonly endpoints: readonly PeerEndpoint[];
  readonly onGone?: () => void;
}

const watches = new Set<Watch>();
let timer: ReturnType<typeof setInterval> | undefined;

/** Whether any peer is watched (the futex parker slices its blocking waits only then). */
export function watchingPeers(): boolean {
  return watches.size > 0;
}

/** Whether process `pid` that started at `start` (processStart) still runs, or exited cleanly. */
function gone(addon: NativeAddon, w: Watch): boolean {
  const now = addon.processStart(w.pid);
  if (!now || now.start !== w.start) return true;
  return now.state === "Z" || now.state === "X" ? now.exitStatus !== 0 : false;
}

/** Checks every watch now; marks the endpoints of the dead. */
export function checkPeers(): void {
  if (watches.size === 0) return;
  const addon = nativeAddon("liveness checks");
  for (const w of [...watches]) {
    if (!gone(addon, w)) continue;
    watches.delete(w);
    markAllPeerGone(w.endpoints);
    try {
      w.onGone?.();
    } catch {
      // a watcher's callback must not stop the others being marked
    }
  }
  if (watches.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Watches process `pid` (start time `start`, or read now); when it dies, `endpoints` are marked
 * peer-gone and `onGone` runs. Returns a function that ends the watch.
 */
export function watchPeer(pid: number, endpoints: readonly PeerEndpoint[], onGone?: () => void, start?: number): () => void {
  const addon = nativeAddon("watching a peer process");
  const begun = start ?? addon.processStart(pid)?.start;
  if (begun === undefined) {
    markAllPeerGone(endpoints);
    onGone?.();
    return () => {};
  }
  const w: Watch = { pid, start: begun, endpoints, onGone };
  watches.add(w);
  if (!timer) {
    timer = setInterval(checkPeers, LIVENESS_INTERVAL_MS);
    timer.unref();
  }
  return () => {
    watches.delete(w);
    if (watches.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
