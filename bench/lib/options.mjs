// options.mjs — reads the harness's options from argv and the environment (Node's
// bench/run.mjs and the browser's bench/browser/run.mjs share it).
//
//   node bench/run.mjs [filter ...] [--filter=a,b] [--long] [--mode=M] [--rounds=N] [--quiet]
//                      [--no-save] [--list] [--help]
//   BENCH_MODE=long | BENCH_FILTER=mutex,ring | BENCH_ROUNDS=N
//
// Contract: `parseOptions(argv, env)` is pure — it returns the options or throws
// `BenchUsageError` (a message and the usage text), and never exits or prints; `readOptions()`
// is the scripts' entry, which prints the usage and exits (0 for --help, 2 for bad input).
// Arguments are parsed by `node:util`'s parseArgs in strict mode, so an unknown or misspelled
// option is refused instead of being taken as a filter. A filter is a substring of a scenario
// name; several filters select the union. The mode sets the time budgets (see MODES): "default"
// keeps the whole run to a few minutes on a 2-core machine, "long" runs longer for tighter
// figures. Command-line values win over the environment.
import { parseArgs } from "node:util";

/** Per-mode budgets. `time`/`warmupTime` are ms per task per round; a scenario scales them. */
export const MODES = {
  default: { rounds: 4, time: 1000, warmupTime: 150, iterations: 8, warmupIterations: 2 },
  long: { rounds: 8, time: 2500, warmupTime: 400, iterations: 16, warmupIterations: 4 },
};

export const USAGE = `usage: node bench/run.mjs [scenario ...] [--filter=a,b] [--long] [--rounds=N] [--quiet] [--no-save] [--list]
  scenario / --filter   substring(s) of scenario names to run (default: all; or BENCH_FILTER)
  --long                longer budgets for tighter figures (or BENCH_MODE=long; --mode=default|long)
  --rounds=N            repeat each scenario's tasks N times, interleaved (or BENCH_ROUNDS)
  --quiet               no progress line on stderr (the results still go to stdout)
  --no-save             print only; write nothing under bench/results/
  --list                list the scenarios and exit
  --help, -h            this text`;

/** Bad command-line input or environment: `message` says what; `usage` is the help text. */
export class BenchUsageError extends Error {
  constructor(message) {
    super(message);
    this.name = "BenchUsageError";
    this.usage = USAGE;
  }
}

const SPEC = {
  filter: { type: "string", multiple: true },
  long: { type: "boolean" },
  mode: { type: "string" },
  rounds: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  "no-save": { type: "boolean" },
  list: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const splitList = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

/**
 * The options of one run: `{ mode, budget, filters, save, list, quiet, help }`.
 * Throws BenchUsageError for an unknown option, a missing value, a bad mode or round count.
 */
export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs's messages name the option ("Unknown option '--qiet'"); keep them.
    throw new BenchUsageError(`bench: ${error.message}`);
  }
  const { values, positionals } = parsed;
  const filters = [];
  if (env.BENCH_FILTER) filters.push(...splitList(env.BENCH_FILTER));
  for (const f of values.filter ?? []) filters.push(...splitList(f));
  filters.push(...positionals.filter(Boolean));

  let mode = env.BENCH_MODE || "default";
  if (values.mode !== undefined) mode = values.mode;
  if (values.long) mode = "long";
  if (!Object.hasOwn(MODES, mode)) {
    throw new BenchUsageError(`bench: unknown mode "${mode}" (BENCH_MODE / --mode): use one of ${Object.keys(MODES).join(", ")}`);
  }
  const budget = { ...MODES[mode] };
  const roundsText = values.rounds ?? env.BENCH_ROUNDS;
  if (roundsText !== undefined && roundsText !== "") {
    const rounds = Number(roundsText);
    if (!Number.isInteger(rounds) || rounds < 1) {
      throw new BenchUsageError(`bench: --rounds / BENCH_ROUNDS must be a positive integer, got "${roundsText}"`);
    }
    budget.rounds = rounds;
  }
  return {
    mode,
    budget,
    filters,
    save: !values["no-save"],
    list: Boolean(values.list),
    quiet: Boolean(values.quiet),
    help: Boolean(values.help),
  };
}

/** parseOptions for a script: prints the usage and exits on --help (0) or bad input (2). */
export function readOptions(argv = process.argv.slice(2), env = process.env) {
  let options;
  try {
    options = parseOptions(argv, env);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`${error.message}\n${error.usage}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return options;
}
