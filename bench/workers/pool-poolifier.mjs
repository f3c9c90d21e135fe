// pool-poolifier.mjs — poolifier's worker entry for the "pool" scenario: the same task functions
// (pool-tasks.mjs), registered by name.
import { ThreadWorker } from "poolifier";
import { cpu1ms, inc } from "./pool-tasks.mjs";

export default new ThreadWorker({ inc, cpu1ms });
