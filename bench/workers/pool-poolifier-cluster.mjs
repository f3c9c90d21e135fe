// pool-poolifier-cluster.mjs — poolifier's cluster (process) worker entry for the
// "pool-process" scenario: the same task functions (pool-tasks.mjs), registered by name.
import { ClusterWorker } from "poolifier";
import { cpu1ms, inc } from "./pool-tasks.mjs";

export default new ClusterWorker({ inc, cpu1ms });
