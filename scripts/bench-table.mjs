// bench-table.mjs — prints the ratios of a bench results file as a Markdown table, for
// BENCHMARKS.md: `node scripts/bench-table.mjs [bench/results/latest.json]`.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? new URL("../bench/results/latest.json", import.meta.url);
const run = JSON.parse(readFileSync(file, "utf8"));
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + "x";

console.log(`Run of ${run.date} (${run.mode} mode, ${run.durationSeconds?.toFixed?.(0) ?? "?"} s), ` +
  `commit ${run.git?.commit?.slice?.(0, 7) ?? "?"}, ${run.runtime?.node ?? ""}, load average at start ${run.loadAverage?.start?.map?.((l) => l.toFixed(2)).join(" ") ?? "?"}`);
console.log("");
console.log("| scenario | sabre task | vs baseline | speedup (by) | range over rounds | target |");
console.log("|---|---|---|---|---|---|");
for (const s of run.scenarios) {
  if (s.skipped?.length) {
    console.log(`| ${s.scenario} | skipped: ${s.skipped.map((k) => k.reason ?? k).join("; ")} | | | | |`);
    continue;
  }
  for (const r of s.ratios ?? []) {
    const target = r.target ? `${r.target.text}: ${r.target.met ? "met" : "**missed**"}` : "";
    const range = r.speedupRange ? `${fmt(r.speedupRange[0])}–${fmt(r.speedupRange[1])}` : "";
    console.log(`| ${s.scenario} | ${r.sabre} | ${r.baseline} | **${fmt(r.speedup)}** (${r.by}) | ${range} | ${target} |`);
  }
}
