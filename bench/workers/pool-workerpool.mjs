// pool-workerpool.mjs — workerpool's worker entry for the "pool" scenario: the same task
// functions (pool-tasks.mjs), registered by name.
import workerpool from "workerpool";
import { cpu1ms, inc } from "./pool-tasks.mjs";

workerpool.worker({ inc, cpu1ms });
