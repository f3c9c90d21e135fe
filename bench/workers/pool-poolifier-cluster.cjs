// pool-poolifier-cluster.cjs — poolifier's cluster (process) worker entry for the
// "pool-process" scenario, with the task functions of pool-tasks.mjs written again in
// CommonJS: poolifier's cluster worker answers only when it is constructed while its entry
// loads, and from an ES module entry it did not answer here (Node 20, poolifier 5), so the
// entry cannot import pool-tasks.mjs first. Keep these two in step with pool-tasks.mjs.
const { ClusterWorker } = require("poolifier");

module.exports = new ClusterWorker({
  inc: (x) => x + 1,
  cpu1ms(x) {
    const end = performance.now() + 1;
    while (performance.now() < end);
    return x + 1;
  },
});
