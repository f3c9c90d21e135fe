// node/thread-exit.ts — reports the end of a worker thread to thread-end.ts ('sabre/node').
// At load in a worker thread (not on the main thread, whose end nobody waits on): the
// thread's `exit` event, with any exit code, runs the thread-end hooks (crashed when the code
// is not 0): every mailbox the thread reads is marked reader-gone, so requests to a server
// that ended fail with PeerGoneError at once. One of the two files of the package that act on
// load (package.json "sideEffects"); node/index.ts imports it.
import { isMainThread } from "node:worker_threads";
import { threadEnded } from "../wire/thread-end";

if (!isMainThread) process.on("exit", (code) => threadEnded(code !== 0));
