// node/liveness.ts — watching peer processes, so that a peer's death fails the waits of the
// others (PeerGoneError) instead of hanging them, and frees the locks it held.
//
// Two kinds of checks share one interval:
//   - the party sweep (sweepParties): every file-backed region attached in this process keeps a
//     party table (assembly/party.ts) naming the process (pid + start time) of every thread
//     that attached it. A LIVE party of another process that is no longer running is reported
//     ended (reportPartyEnd: DIED, or EXITED when its wait status says a clean exit): its locks
//     are recovered by their next locker and its channels and mailboxes follow the side rules
//     (README, "When a party dies"). This is how a process learns of the death of a process it
//     did not start (an unrelated process attached by name, a sibling child).
//   - watches (watchPeer), used by spawnProcess between a parent and its child:
//     a watch is (pid, start time, onGone): the start time (native processStart) pins the pid
//     to one process, so a recycled pid never passes for the peer. A watched process is gone
//     when /proc has no such pid, its start time differs, or it is a zombie whose wait status
//     is not a clean exit (status 0). Then its parties are reported (as by the sweep, at once),
//     `onGone` runs, and the watch ends.
//
// Checks run (1) every LIVENESS_INTERVAL_MS on an unref'd timer while any watch or file-backed
// region exists (for async waiters: the event loop runs), and (2) from the futex parker between
// the slices of a blocking wait (FutexParker.wait parks at most LIVENESS_INTERVAL_MS at a time
// then): a thread blocked in recv runs no timer, yet learns of a dead peer within one
// interval. So a process's death is acted on within LIVENESS_INTERVAL_MS + ROBUST_SLICE_MS (a
// lock waiter's slice) by every process that has the region attached and runs. A clean exit
// (status 0) frees the locks it held and fails no wait: channels stay open (Go's semantics).
import * as L from "../../assembly/layout";
import { attachedRegions, reportPartyEnd } from "../region/region";
import { nativeAddon, type NativeAddon } from "./native";

/** How often watched peers are checked, and the longest a blocking futex park lasts between checks (ms). */
export const LIVENESS_INTERVAL_MS = 100;

interface Watch {
  readonly pid: number;
  readonly start: number;
  readonly onGone?: () => void;
}

const watches = new Set<Watch>();
let timer: ReturnType<typeof setInterval> | undefined;

/** File-backed regions attached in this process that the sweep covers (weakly held). */
let sweeping = 0;

/** Whether any peer is watched or any file-backed region swept (the futex parker slices its
 *  blocking waits only then). */
export function watchingPeers(): boolean {
  return watches.size > 0 || sweeping > 0;
}

/** How process `pid` started at `start` (0: unknown) ended: "alive", "clean" (status 0, not
 *  reaped yet) or "crashed" (killed, a non-zero status, or gone: a reaped status is unknown). */
function fate(addon: NativeAddon, pid: number, start: number): "alive" | "clean" | "crashed" {
  const now = addon.processStart(pid);
  if (!now || (start !== 0 && now.start !== start)) return "crashed";
  if (now.state === "Z" || now.state === "X") return now.exitStatus === 0 ? "clean" : "crashed";
  return "alive";
}

/** @internal Starts the party sweep for a file-backed region (file-region.ts). */
export function sweepRegion(): void {
  sweeping++;
  ensureTimer();
}

/** Reports every LIVE party of another process that no longer runs, in every file-backed region. */
function sweepParties(addon: NativeAddon): void {
  const seen = new Set<string>();
  for (const region of attachedRegions()) {
    if (region.parker.kind !== "futex") continue;
    const { core } = region;
    for (let slot = 1; slot < L.PARTY_SLOTS; slot++) {
      if (core.party_state(slot) !== L.PARTY_LIVE) continue;
      const pid = core.party_pid(slot);
      if (pid === 0 || pid === process.pid) continue;
      const start = core.party_start(slot);
      const key = `${pid}:${start}`;
      if (seen.has(key)) continue;
      const how = fate(addon, pid, start);
      if (how === "alive") {
        seen.add(key);
        continue;
      }
      core.party_report(slot, how === "crashed" ? 1 : 0, 1);
    }
  }
}

/** Checks every watch and sweeps the file-backed regions' parties now. */
export function checkPeers(): void {
  if ((watches.size === 0 && sweeping === 0) || checking) return;
  checking = true; // a report's walk may park (the heap lock) and so come back here: once at a time
  try {
    checkNow(nativeAddon("liveness checks"));
  } finally {
    checking = false;
  }
}

let checking = false;
let lastCheck = 0;

/** checkPeers, unless it ran less than LIVENESS_INTERVAL_MS ago (the futex parker's slices). */
export function checkPeersDue(): void {
  const now = performance.now();
  if (now - lastCheck < LIVENESS_INTERVAL_MS) return;
  lastCheck = now;
  checkPeers();
}

function checkNow(addon: NativeAddon): void {
  sweepParties(addon);
  for (const w of [...watches]) {
    const how = fate(addon, w.pid, w.start);
    if (how === "alive") continue;
    watches.delete(w);
    reportPartyEnd(w.pid, undefined, how === "crashed");
    try {
      w.onGone?.();
    } catch {
      // a watcher's callback must not stop the others being marked
    }
  }
  if (watches.size === 0 && sweeping === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

function ensureTimer(): void {
  if (!timer) {
    timer = setInterval(checkPeers, LIVENESS_INTERVAL_MS);
    timer.unref();
  }
}

/**
 * Watches process `pid` (start time `start`, or read now); when it ends, its parties are
 * reported in every region attached here (reportPartyEnd) and `onGone` runs. Returns a function
 * that ends the watch.
 */
export function watchPeer(pid: number, onGone?: () => void, start?: number): () => void {
  const addon = nativeAddon("watching a peer process");
  const begun = start ?? addon.processStart(pid)?.start;
  if (begun === undefined) {
    reportPartyEnd(pid, undefined, true);
    onGone?.();
    return () => {};
  }
  const w: Watch = { pid, start: begun, onGone };
  watches.add(w);
  ensureTimer();
  return () => {
    watches.delete(w);
    if (watches.size === 0 && sweeping === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
