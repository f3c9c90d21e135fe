// stats.mjs — pools a task's samples over rounds and computes its figures and the ratios.
//
// A "sample" is one tinybench latency sample in ms; a task declares how many items one sample
// stands for (`itemsPerSample`: 1 for a round trip or a per-op batch mean, K for "move K
// items"), so throughput is always items/s = itemsPerSample / sample time. Ratios are computed
// per round (sabre and its baseline measured minutes apart on a shared machine drift; within a
// round they run back to back) and summarised by their median and range.

/** Percentile (0..1) of an ascending array, linear interpolation. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values) {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** Summary of samples in ms, reported in ns. `sorted`: the samples are already ascending. */
export function summarize(samplesMs, sorted = false) {
  // a sorted copy: callers keep their order
  const s = sorted ? samplesMs : Float64Array.from(samplesMs).sort();
  const n = s.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (s[i] - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
  const ns = (ms) => ms * 1e6;
  return {
    mean: ns(mean), p50: ns(quantile(s, 0.5)), p99: ns(quantile(s, 0.99)),
    min: ns(s[0]), max: ns(s[n - 1]), sd: ns(sd),
    rme: n > 1 && mean > 0 ? (100 * 1.96 * sd) / Math.sqrt(n) / mean : 0,
    samples: n,
  };
}

/** The quantiles a latency distribution records (pooled over rounds). */
export const DISTRIBUTION_QUANTILES = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
/** Bins of a latency histogram, log-spaced between the 0.1th and the 99.9th percentile (at least 1 ns). */
export const HISTOGRAM_BINS = 32;

/**
 * The shape of one task's latency samples (ascending, ms), in ns, for the report's charts:
 * `quantiles` ([q, ns] pairs) and a histogram over log-spaced bins (`edgesNs` has one more
 * entry than `counts`; `below`/`above` count the samples outside the first/last edge).
 */
export function distributionOf(sortedMs) {
  const n = sortedMs.length;
  const quantiles = DISTRIBUTION_QUANTILES.map((q) => [q, quantile(sortedMs, q) * 1e6]);
  // 1 ns floor: with the timer overhead subtracted (pingpong) a sample can be 0 or below
  const lo = Math.max(quantile(sortedMs, 0.001) * 1e6, 1);
  const hi = Math.max(quantile(sortedMs, 0.999) * 1e6, lo * 2);
  const edgesNs = [];
  for (let i = 0; i <= HISTOGRAM_BINS; i++) edgesNs.push(lo * (hi / lo) ** (i / HISTOGRAM_BINS));
  const counts = new Array(HISTOGRAM_BINS).fill(0);
  let below = 0;
  let above = 0;
  let bin = 0;
  for (let i = 0; i < n; i++) {
    const v = sortedMs[i] * 1e6;
    if (v < edgesNs[0]) below++;
    else if (v > edgesNs[HISTOGRAM_BINS]) above++;
    else {
      while (bin < HISTOGRAM_BINS - 1 && v >= edgesNs[bin + 1]) bin++;
      counts[bin]++;
    }
  }
  return { quantiles, histogram: { edgesNs, counts, below, above } };
}

/**
 * Figures of one task from its rounds: [{ samples: Float64Array (ms) }]. With
 * `{ distribution: true }` (scenarios whose sample is one operation, such as a round trip)
 * `latency.distribution` records the pooled samples' shape (see distributionOf).
 */
export function taskFigures(task, rounds, { distribution = false } = {}) {
  const pooled = new Float64Array(rounds.reduce((n, r) => n + r.samples.length, 0));
  const perRound = [];
  let at = 0;
  for (const r of rounds) {
    pooled.set(r.samples, at);
    at += r.samples.length;
    const st = summarize(r.samples);
    perRound.push({ meanNs: st.mean, p50Ns: st.p50, p99Ns: st.p99, samples: st.samples });
  }
  pooled.sort();
  const latency = summarize(pooled, true);
  if (distribution) latency.distribution = distributionOf(pooled);
  const k = task.itemsPerSample ?? 1;
  return {
    task: task.name,
    role: task.role,
    itemsPerSample: k,
    sampleIs: task.sampleIs,
    throughput: {
      unit: "items/s",
      mean: (k * 1e9) / latency.mean,
      p50: (k * 1e9) / latency.p50,
      perRound: perRound.map((r) => (k * 1e9) / r.meanNs),
    },
    latency: { unit: "ns", per: task.sampleIs, ...latency },
    nsPerItem: latency.mean / k,
    samples: latency.samples,
    rounds: perRound,
  };
}

/**
 * Ratio of a sabre task to a baseline: speedup > 1 means sabre moves more items per second
 * (takes less time per item); timeRatio = 1 / speedup (sabre's time ÷ the baseline's).
 * The headline `speedup` is the median over rounds of the per-round ratio of `spec.by`
 * ("mean" time per item, the default, or "p50" for latency scenarios, where rare
 * deschedulings on a shared machine dominate the mean).
 */
export function ratioOf(spec, sabre, base) {
  const by = spec.by ?? "mean";
  const key = by === "p50" ? "p50Ns" : "meanNs";
  const perRound = [];
  for (let i = 0; i < Math.min(sabre.rounds.length, base.rounds.length); i++) {
    const s = sabre.rounds[i][key] / sabre.itemsPerSample;
    const b = base.rounds[i][key] / base.itemsPerSample;
    perRound.push(b / s);
  }
  const speedup = median(perRound);
  const out = {
    sabre: sabre.task,
    baseline: base.task,
    context: spec.context ? true : undefined,
    by,
    speedup,
    timeRatio: 1 / speedup,
    speedupRange: [Math.min(...perRound), Math.max(...perRound)],
    speedupPerRound: perRound,
    speedupPooledMean: (base.latency.mean / base.itemsPerSample) / (sabre.latency.mean / sabre.itemsPerSample),
  };
  if (spec.latencyRatios) {
    out.speedupP50 = base.latency.p50 / sabre.latency.p50;
    out.speedupP99 = base.latency.p99 / sabre.latency.p99;
  }
  if (spec.target) out.target = { ...spec.target, met: speedup >= spec.target.minSpeedup };
  return out;
}
