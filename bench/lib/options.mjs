// options.mjs — reads the harness's options from argv and the environment.
//
//   node bench/run.mjs [filter ...] [--filter=a,b] [--long] [--rounds=N] [--quiet] [--no-save]
//   BENCH_MODE=long | BENCH_FILTER=mutex,ring | BENCH_ROUNDS=N
//
// A filter is a substring of a scenario name; several filters select the union. The mode sets
// the time budgets (see MODES): "default" keeps the whole run to about two minutes on a 2-core
// machine, "long" runs about four times longer for tighter figures.

/** Per-mode budgets. `time`/`warmupTime` are ms per task per round; a scenario scales them. */
export const MODES = {
  default: { rounds: 4, time: 1000, warmupTime: 150, iterations: 8, warmupIterations: 2 },
  long: { rounds: 8, time: 2500, warmupTime: 400, iterations: 16, warmupIterations: 4 },
};

const USAGE = `usage: node bench/run.mjs [scenario ...] [--filter=a,b] [--long] [--rounds=N] [--no-save] [--list]
  scenario / --filter   substring(s) of scenario names to run (default: all)
  --long                longer budgets for tighter figures (or BENCH_MODE=long)
  --rounds=N            repeat each scenario's tasks N times, interleaved (or BENCH_ROUNDS)
  --no-save             print only; write nothing under bench/results/
  --list                list the scenarios and exit`;

export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  const filters = [];
  let mode = env.BENCH_MODE || "default";
  let rounds = env.BENCH_ROUNDS ? Number(env.BENCH_ROUNDS) : undefined;
  let save = true;
  let list = false;
  if (env.BENCH_FILTER) filters.push(...env.BENCH_FILTER.split(",").filter(Boolean));
  for (const arg of argv) {
    if (arg === "--long") mode = "long";
    else if (arg === "--no-save") save = false;
    else if (arg === "--list") list = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("--filter=")) filters.push(...arg.slice(9).split(",").filter(Boolean));
    else if (arg.startsWith("--mode=")) mode = arg.slice(7);
    else if (arg.startsWith("--rounds=")) rounds = Number(arg.slice(9));
    else if (arg.startsWith("-")) {
      console.error(`bench: unknown option ${arg}\n${USAGE}`);
      process.exit(2);
    } else filters.push(arg);
  }
  if (!(mode in MODES)) {
    console.error(`bench: unknown mode "${mode}" (BENCH_MODE / --mode): use one of ${Object.keys(MODES).join(", ")}`);
    process.exit(2);
  }
  const budget = { ...MODES[mode] };
  if (rounds !== undefined) {
    if (!Number.isInteger(rounds) || rounds < 1) {
      console.error(`bench: --rounds / BENCH_ROUNDS must be a positive integer, got ${rounds}`);
      process.exit(2);
    }
    budget.rounds = rounds;
  }
  return { mode, budget, filters, save, list };
}
