// node/thread-exit.ts — reports the end of a worker thread to thread-end.ts ('sabre/node').
// At load in a worker thread (not on the main thread, whose end nobody waits on): the
// thread's `exit` event, with any exit code, runs the thread-end hooks (crashed when the code
// is not 0): every mailbox the thread reads is marked reader-gone, so requests to a server
// that ended fail with PeerGoneError at once; then the thread reports its own end to the party
// tables of its regions (parties.ts: EXITED on code 0, DIED otherwise). One of the files of
// the package that act on load (package.json "sideEffects"); node/index.ts imports it.
import { isMainThread } from "node:worker_threads";
import { threadEnded } from "../wire/thread-end";
import { reportOwnEnd } from "./parties";

if (!isMainThread) {
  process.on("exit", (code) => {
    threadEnded(code !== 0);
    reportOwnEnd(code);
  });
}
