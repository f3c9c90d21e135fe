// run.mjs — the browser benchmark (`npm run bench:browser`): serves bench/browser/ on
// 127.0.0.1 with the cross-origin isolation headers, runs its scenarios in headless Chromium
// (scripts/chromium.mjs), and saves the results in the same JSON shape as Node's harness
// (bench/run.mjs) to bench/results/browser-latest.json (and a dated browser-<time>.json).
// The page returns raw samples; figures and ratios are computed here by bench/lib/stats.mjs,
// exactly as for Node, and printed with bench/lib/format.mjs. Options as for `npm run bench`
// (bench/lib/options.mjs): scenario filters, --long, --rounds=N, --quiet, --no-save. A saved
// run also gets its HTML report (browser-latest.html) and charts (bench/results/charts/browser-*.svg).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readOptions } from "../lib/options.mjs";
import { loadAverage, resultHeader, runtimeInfo } from "../lib/machine.mjs";
import { ratioOf, taskFigures } from "../lib/stats.mjs";
import { formatScenario } from "../lib/format.mjs";
import { writeReport } from "../lib/report.mjs";
import { startServer } from "../../scripts/serve.mjs";
import { launchChromium, resolveChromium } from "../../scripts/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
/** Per-task time budgets are this multiple of the mode's (Node's ring scenario uses 2.5). */
const TIME_SCALE = 1.5;

const options = readOptions();
const startedAt = new Date();
const server = await startServer();
const browser = await launchChromium();
const page = await browser.newPage();
page.on("console", (m) => {
  const text = m.text();
  if (text.startsWith("progress: ")) {
    if (!options.quiet) process.stderr.write(`\r\x1b[K${text.slice(10)}`);
  }
  else if (m.type() === "error") console.error(`\n[page] ${text}`);
});
page.on("pageerror", (e) => console.error(`\n[page error] ${e.message}`));

const result = resultHeader(options, startedAt, { ...runtimeInfo(), browser: browser.version(), browserPath: (await resolveChromium()).path });
console.log(
  `sabre browser benchmarks — Chromium ${browser.version()}, mode ${options.mode}, ${options.budget.rounds} rounds, ` +
    `${result.machine.cores} cores, load average ${result.loadAverage.start.join(" ")}`,
);

let failed = false;
try {
  await page.goto(`${server.url}/bench/browser/index.html`);
  await page.waitForFunction("window.benchReady", null, { timeout: 15_000 });
  const raw = await page.evaluate((o) => window.runBench(o), { budget: options.budget, timeScale: TIME_SCALE, filters: options.filters });
  if (!options.quiet) process.stderr.write("\r\x1b[K");
  result.runtime.userAgent = raw.userAgent;
  result.runtime.hardwareConcurrency = raw.hardwareConcurrency;
  if (!raw.crossOriginIsolated) throw new Error("the benchmark page was not cross-origin isolated");
  for (const s of raw.scenarios) {
    const entry = {
      scenario: s.scenario, title: s.title, description: s.description,
      notes: [...(s.notes ?? []), `Chromium ${browser.version()}, Web Workers; per-task time budget ${TIME_SCALE}x the mode's`],
      skipped: [], failed: s.failed, figures: [], ratios: [], error: s.error,
      loadAverage: { start: result.loadAverage.start, end: loadAverage() }, unit: "items/s",
    };
    const figures = new Map();
    for (const t of s.tasks ?? []) {
      const f = taskFigures(t, t.rounds.map((r) => ({ samples: Float64Array.from(r) })));
      figures.set(t.name, f);
      entry.figures.push({ scenario: s.scenario, ...f });
    }
    for (const spec of s.ratios ?? []) {
      const a = figures.get(spec.sabre);
      const b = figures.get(spec.baseline);
      if (a && b) entry.ratios.push({ scenario: s.scenario, ...ratioOf(spec, a, b) });
    }
    if (entry.error || entry.failed.length) failed = true;
    result.scenarios.push(entry);
    console.log(`\n${formatScenario(entry)}`);
  }
} finally {
  await browser.close();
  await server.close();
}
result.loadAverage.end = loadAverage();
result.durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 100) / 10;
console.log(`\nfinished in ${result.durationSeconds}s; load average at the end ${result.loadAverage.end.join(" ")}`);

if (options.save) {
  const dir = join(here, "..", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const dated = join(dir, `browser-${stamp}.json`);
  writeFileSync(dated, text);
  writeFileSync(join(dir, "browser-latest.json"), text);
  writeReport(result, dir, { name: `browser-${stamp}` });
  writeReport(result, dir, { name: "browser-latest", chartsDir: join(dir, "charts"), prefix: "browser-" });
  console.log(`saved ${relative(process.cwd(), dated)} and ${relative(process.cwd(), join(dir, "browser-latest.json"))}`);
}
process.exit(failed ? 1 : 0);
