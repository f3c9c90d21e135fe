// stats.ts — the pool's counters and latency histograms (HdrHistogram, from hdr-histogram-js:
// the maintained JavaScript port of Gil Tene's HdrHistogram; fixed memory, 3 significant
// digits, percentiles without keeping samples).
//
// Contract: times are recorded in microseconds; `runTime` is measured by the worker around
// the task function (for a stream, until its last item was taken), `waitTime` on the caller's
// thread from run() to the task's dispatch to a worker. Utilisation is the summed run time
// over (elapsed time x live workers), integrated as workers come and go, in [0, 1] for sync
// tasks (async tasks that overlap can exceed 1 per worker).
import * as hdr from "hdr-histogram-js/dist/Int32Histogram";

// A CommonJS module (exports.default): bundlers and Node's ESM interop disagree on where the
// class lands, so take it from either place.
type Int32Histogram = InstanceType<typeof hdr.default>;
const Int32Histogram: typeof hdr.default =
  (hdr.default as unknown as { default?: typeof hdr.default }).default ?? hdr.default;

/** Percentiles of one histogram, in milliseconds. */
export interface LatencySummary {
  /** Values recorded (tasks measured). When 0, every other field is 0. */
  count: number;
  /** Smallest value, in milliseconds. */
  min: number;
  /** Mean value, in milliseconds. */
  mean: number;
  /** Median (50th percentile), in milliseconds. */
  p50: number;
  /** 90th percentile, in milliseconds. */
  p90: number;
  /** 99th percentile, in milliseconds. */
  p99: number;
  /** Largest value, in milliseconds. */
  max: number;
}

/**
 * A snapshot of a Pool's counters and latencies since it started (`pool.stats`). Latencies
 * are kept in HdrHistograms (3 significant digits, recorded in microseconds, reported in
 * milliseconds, values clamped to 1 µs .. 1 hour).
 */
export interface PoolStats {
  /** Tasks that returned (or whose stream ended) successfully. */
  completed: number;
  /** Tasks that threw, were rejected by a worker crash, or timed out in a worker. */
  failed: number;
  /** Tasks cancelled by their signal or timeout (queued or running). */
  cancelled: number;
  /** Tasks waiting in the pool's queue (not yet given to a worker), with those waiting for
   *  room in it (queueFull "wait"). */
  queueSize: number;
  /** Tasks given to workers and not yet reported back. */
  running: number;
  /** Live workers. */
  threads: number;
  /** Workers replaced after a crash or a forced termination. */
  replacedWorkers: number;
  /** Share of the workers' time spent in task functions since the pool started, 0..1. */
  utilization: number;
  /** Time tasks spent in their task function, measured by the worker (for a stream, until
   *  its last item was taken). */
  runTime: LatencySummary;
  /** Time tasks waited, measured on the caller's thread from run() until the task was given
   *  to a worker. */
  waitTime: LatencySummary;
}

const HIGHEST_MICROS = 3_600_000_000; // one hour; longer values are clamped

function histogram(): Int32Histogram {
  const h = new Int32Histogram(1, HIGHEST_MICROS, 3);
  return h;
}

function summary(h: Int32Histogram): LatencySummary {
  const ms = (us: number) => us / 1000;
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
}

const clamp = (us: number) => (us < 1 ? 1 : us > HIGHEST_MICROS ? HIGHEST_MICROS : Math.round(us));

export class StatsRecorder {
  completed = 0;
  failed = 0;
  cancelled = 0;
  replacedWorkers = 0;
  readonly #run = histogram();
  readonly #wait = histogram();
  #busyMicros = 0;
  /** Integral of live workers over time, in worker-microseconds, up to #since. */
  #capacityMicros = 0;
  #since = performance.now();
  #threads = 0;

  recordRun(us: number): void {
    this.#busyMicros += us;
    this.#run.recordValue(clamp(us));
  }

  recordWait(us: number): void {
    this.#wait.recordValue(clamp(us));
  }

  /** Call whenever the number of live workers changes. */
  setThreads(n: number): void {
    this.#advance();
    this.#threads = n;
  }

  #advance(): void {
    const now = performance.now();
    this.#capacityMicros += (now - this.#since) * 1000 * this.#threads;
    this.#since = now;
  }

  snapshot(queueSize: number, running: number, threads: number): PoolStats {
    this.#advance();
    return {
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      queueSize,
      running,
      threads,
      replacedWorkers: this.replacedWorkers,
      utilization: this.#capacityMicros > 0 ? this.#busyMicros / this.#capacityMicros : 0,
      runTime: summary(this.#run),
      waitTime: summary(this.#wait),
    };
  }
}
