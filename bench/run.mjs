// run.mjs — the benchmark harness (`npm run bench`): runs each scenario in bench/scenarios/
// beside its baselines, prints a table of figures and of sabre-to-baseline ratios per
// scenario, and saves everything as JSON in bench/results/<date-time>.json and latest.json,
// with an HTML report beside each (<date-time>.html, latest.html: inline SVG charts, no
// network) and the charts as SVG files in bench/results/charts/ (BENCHMARKS.md shows them).
//
// Each scenario runs its tasks for `rounds` rounds (tinybench, one Bench per round, the task
// order reversed every other round); samples are pooled over the rounds and every ratio is
// computed per round and summarised by its median, so slow drift on a shared machine shows as
// a range instead of silently biasing one side. See BENCHMARKS.md for how to read the output.
import { Bench } from "tinybench";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readOptions } from "./lib/options.mjs";
import { loadAverage, resultHeader } from "./lib/machine.mjs";
import { Progress } from "./lib/progress.mjs";
import { ratioOf, taskFigures } from "./lib/stats.mjs";
import { formatScenario, wrapText, REPORT_WIDTH } from "./lib/format.mjs";
import { writeReport } from "./lib/report.mjs";

const here = dirname(fileURLToPath(import.meta.url));
/** Scenario files in bench/scenarios/, in run order. */
const SCENARIOS = ["mutex", "ringcalls", "ring", "pingpong", "channel", "channelrtt", "process", "pool", "rpc", "pool-process", "mailbox"];

const options = readOptions();
if (options.list) {
  for (const name of SCENARIOS) {
    const mod = await import(`./scenarios/${name}.mjs`);
    console.log(`${name.padEnd(10)} ${mod.title}`);
  }
  process.exit(0);
}
const selected = options.filters.length
  ? SCENARIOS.filter((name) => options.filters.some((f) => name.includes(f)))
  : SCENARIOS;
if (selected.length === 0) {
  console.error(`bench: no scenario matches ${options.filters.join(", ")}; scenarios: ${SCENARIOS.join(", ")}`);
  process.exit(2);
}

const startedAt = new Date();
const result = resultHeader(options, startedAt);

console.log(
  [
    ...wrapText(`sabre benchmarks — mode ${options.mode}, ${options.budget.rounds} rounds, ${selected.join(", ")}`, REPORT_WIDTH),
    ...wrapText(
      `${result.machine.cpuModel}, ${result.machine.cores} cores, ${(result.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
        `${result.machine.os}, Node ${result.runtime.node}, load average ${result.loadAverage.start.join(" ")}`,
      REPORT_WIDTH,
    ),
  ].join("\n"),
);

const progress = new Progress(process.stderr, { enabled: !options.quiet });
progress.start();
let failed = false;
for (const [i, name] of selected.entries()) {
  progress.set({ scenario: name, index: i + 1, total: selected.length, round: 0, rounds: options.budget.rounds, phase: "setup", task: "" });
  const entry = await runScenario(name);
  result.scenarios.push(entry);
  progress.clear();
  console.log(`\n${formatScenario(entry)}`);
  if (entry.error || entry.failed.length) failed = true;
}
progress.stop();
result.loadAverage.end = loadAverage();
result.durationSeconds = Math.round((performance.now() - progress.t0) / 100) / 10;
console.log(`\nfinished in ${result.durationSeconds}s; load average at the end ${result.loadAverage.end.join(" ")}`);

if (options.save) {
  const dir = join(here, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const dated = join(dir, `${stamp}.json`);
  writeFileSync(dated, text);
  writeFileSync(join(dir, "latest.json"), text);
  writeReport(result, dir, { name: stamp });
  writeReport(result, dir, { name: "latest", chartsDir: join(dir, "charts") });
  const rel = (f) => relative(process.cwd(), join(dir, f));
  console.log(`saved ${rel(`${stamp}.json`)} and ${rel("latest.json")}`);
  console.log(`report ${rel("latest.html")} (and ${rel(`${stamp}.html`)}), charts in ${rel("charts")}/`);
}
// exit explicitly: a worker or waitAsync left behind by a failed scenario must not hang the run
process.exit(failed ? 1 : 0);

async function runScenario(name) {
  const mod = await import(`./scenarios/${name}.mjs`);
  const entry = {
    scenario: name, title: mod.title, description: mod.description,
    notes: [], skipped: [], failed: [], figures: [], ratios: [], error: undefined,
    loadAverage: { start: loadAverage(), end: undefined },
  };
  let def;
  try {
    def = await mod.define({ mode: options.mode, budget: options.budget });
    entry.notes.push(...(def.notes ?? []));
    entry.skipped.push(...(def.skipped ?? []));
    entry.unit = def.unit ?? "items/s";
    entry.benchOptions = def.benchOptions;
    if (def.latencies) entry.latencies = true; // one sample = one operation: keep its distribution
    const scale = def.timeScale ?? 1;
    const samples = new Map(def.tasks.map((t) => [t.name, []]));
    // A task that throws (a worker crashed, an API mismatch) is reported and dropped; the
    // scenario's other tasks keep running.
    let alive = [...def.tasks];
    for (let round = 1; round <= options.budget.rounds && alive.length > 0; round++) {
      const tasks = round % 2 === 1 ? alive : [...alive].reverse();
      const bench = new Bench({
        name,
        time: options.budget.time * scale,
        warmupTime: options.budget.warmupTime * scale,
        iterations: options.budget.iterations,
        warmupIterations: options.budget.warmupIterations,
        retainSamples: true,
        throws: false,
        ...def.benchOptions,
      });
      for (const t of tasks) {
        bench.add(t.name, t.fn, { async: t.async ?? false, beforeAll: t.beforeAll, afterAll: t.afterAll });
        const task = bench.getTask(t.name);
        task.addEventListener("warmup", () => progress.set({ round, phase: "warmup", task: t.name }));
        task.addEventListener("start", () => progress.set({ round, phase: "run", task: t.name }));
      }
      await bench.run();
      if (bench.timerOverhead !== undefined) entry.timerOverheadNs = bench.timerOverhead * 1e6;
      for (const t of tasks) {
        const r = bench.getTask(t.name).result;
        if (r.state === "completed") {
          samples.get(t.name).push({ samples: Float64Array.from(r.latency.samples) });
        } else {
          entry.failed.push({ task: t.name, round, state: r.state, error: String(r.error?.stack ?? r.error?.message ?? "") });
          alive = alive.filter((a) => a !== t);
          await t.onFailed?.(); // e.g. stop its workers so they cannot load the machine further
        }
      }
    }
    const figures = new Map();
    for (const t of alive) {
      const f = taskFigures(t, samples.get(t.name), { distribution: Boolean(def.latencies) });
      figures.set(t.name, f);
      entry.figures.push({ scenario: name, ...f });
    }
    for (const spec of def.ratios ?? []) {
      const s = figures.get(spec.sabre);
      const b = figures.get(spec.baseline);
      if (s && b) entry.ratios.push({ scenario: name, ...ratioOf(spec, s, b) });
    }
  } catch (error) {
    entry.error = String(error?.stack ?? error);
  } finally {
    entry.loadAverage.end = loadAverage();
    try {
      await def?.teardown?.();
    } catch (error) {
      entry.notes.push(`teardown failed: ${error?.message ?? error}`);
    }
  }
  return entry;
}
