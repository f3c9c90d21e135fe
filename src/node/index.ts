// node/index.ts — the Node-only entry ('sabre/node'): everything in 'sabre' plus helpers that
// need Node APIs (worker threads now; file-backed regions, processes, pipes later).
export * from "../index";
export { startWorker, workerInput, type StartWorkerOptions } from "./worker";
