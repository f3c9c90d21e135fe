// batch.mjs — times a body that runs `ops` operations and reports the mean per operation.
//
// An uncontended lock+unlock takes tens of nanoseconds, less than a timer read, so one
// tinybench sample is the mean of a batch of `ops` operations (overriddenDuration), and the
// time budget is charged the batch's real cost (overriddenIterationCost). Percentiles of such
// samples describe batch means, not single operations.
export function perOpTask(ops, body) {
  return () => {
    const t0 = performance.now();
    body(ops);
    const dt = performance.now() - t0;
    return { overriddenDuration: dt / ops, overriddenIterationCost: dt };
  };
}
