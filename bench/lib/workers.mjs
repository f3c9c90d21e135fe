// workers.mjs — starts the worker threads of one benchmark task, waits until each says
// "ready", runs rounds through the shared-memory Controller, and makes any worker failure
// reject the running round instead of leaving the harness waiting forever.
import { Worker } from "node:worker_threads";
import { Controller, createControl } from "./control.mjs";

export class WorkerGroup {
  /** @param specs [{ file: URL, data: object, transfer?: Transferable[] }] (data gets `control`) */
  constructor(specs) {
    this.specs = specs;
    this.workers = [];
    this.controlSab = createControl();
    this.controller = new Controller(this.controlSab);
    this.stopping = false;
    this.failure = new Promise((_, reject) => {
      this.fail = reject;
    });
    this.failure.catch(() => {}); // observed by run(); never an unhandled rejection
    this.started = undefined;
  }

  /** Starts every worker once; resolves when all have posted "ready". */
  start() {
    this.started ??= Promise.all(
      this.specs.map(
        ({ file, data, transfer }) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(file, { workerData: { ...data, control: this.controlSab }, transferList: transfer });
            this.workers.push(worker);
            worker.once("message", (m) => (m === "ready" ? resolve() : reject(new Error(`unexpected first message ${m}`))));
            worker.once("error", (error) => {
              reject(error);
              this.fail(error);
            });
            worker.once("exit", (code) => {
              const error = new Error(`worker ${file.pathname.split("/").pop()} exited with code ${code} during the benchmark`);
              reject(error);
              if (!this.stopping) this.fail(error);
            });
          }),
      ),
    );
    return this.started;
  }

  /** One round of work: resolves when the finishing worker reports it done. */
  run() {
    return Promise.race([this.controller.runRound(), this.failure]);
  }

  async stop() {
    this.stopping = true;
    this.controller.stop();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

