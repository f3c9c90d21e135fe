// report.mjs — re-renders the HTML report and the SVG charts of a saved benchmark run:
//
//   node bench/report.mjs [results.json] [--out=dir] [--charts=dir]
//
// Defaults: bench/results/latest.json -> bench/results/latest.html and the charts in
// bench/results/charts/ (what BENCHMARKS.md shows); for a browser run
// (browser-latest.json) the report is browser-latest.html and the charts are prefixed
// "browser-". `npm run bench` writes the same files itself; this script is for re-rendering a
// run after a change to bench/lib/report.mjs, or an older run's JSON, without measuring again.
import { readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeReport } from "./lib/report.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({
  options: { out: { type: "string" }, charts: { type: "string" } },
  allowPositionals: true,
});
const file = resolve(positionals[0] ?? join(here, "results", "latest.json"));
const result = JSON.parse(readFileSync(file, "utf8"));
const name = basename(file).replace(/\.json$/, "");
const browser = name.startsWith("browser-");
const written = writeReport(result, values.out ?? dirname(file), {
  name,
  chartsDir: values.charts ?? join(dirname(file), "charts"),
  prefix: browser ? "browser-" : "",
});
for (const w of written) console.log(`wrote ${relative(process.cwd(), w)}`);
