// report.mjs — turns one benchmark run (the JSON that bench/run.mjs and bench/browser/run.mjs
// save) into charts and a self-contained HTML report.
//
// Contract:
// - `ratioChart(scenario)` -> an SVG string (or undefined when the scenario has no ratios): one
//   row per ratio of a sabre task to a baseline, on a log axis: a bar from 1x to the median
//   speedup over rounds, a whisker over the range over rounds, a dot per round, the target
//   (where the project set one) as a tick; > 1x means sabre is faster.
// - `latencyChart(scenario)` -> an SVG string (or undefined): for a scenario whose sample is
//   one operation (`latencies: true`, or older results whose ratios are by p50), one row per
//   task on a log time axis: a histogram strip of the pooled samples, a box from p25 to p75,
//   whiskers from p1 to p99 and the median; results saved without `latency.distribution`
//   show what they have (min, p50, mean, p99).
// - `renderReport(result)` -> an HTML page with the run's header, and per scenario its notes,
//   both charts and the figures and ratios tables. Everything is inline (styles, SVG): no
//   script, no font, no network.
// - `writeReport(result, dir, { name, chartsDir })` writes `<name>.html` into `dir` and each
//   chart as `<chartsDir>/<scenario>-ratios.svg` / `-latency.svg`; returns the paths written.
// Pure functions of their input (no clock, no randomness), so a test can check them on a
// fixture and the same JSON always renders the same bytes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fmtNs, fmtRate, fmtX } from "./format.mjs";

const FONT = "font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const COLORS = { faster: "#2f7d32", slower: "#c25e00", range: "#455a64", target: "#b71c1c", grid: "#d0d7de", text: "#1f2328", muted: "#57606a" };
const ROLE_COLORS = { sabre: "#1565c0", baseline: "#6d4c41", diagnostic: "#7b1fa2" };

/** Escapes text for SVG/HTML content and attribute values. */
export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const num = (v) => (Math.round(v * 10) / 10).toString();

/** Cuts `text` to at most `max` characters (the charts' labels have a fixed column). */
function clip(text, max) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A log10 axis over [lo, hi] mapped onto [x0, x1]: whole decades when the data spans more
 * than two of them (ticks at each decade), otherwise widened to 1-2-5 steps (a tick at each).
 */
function logAxis(lo, hi, x0, x1) {
  const clean = (v) => Number(v.toPrecision(6));
  let min;
  let max;
  let ticks = [];
  if (Math.log10(hi) - Math.log10(lo) > 2) {
    min = clean(10 ** Math.floor(Math.log10(lo)));
    max = clean(10 ** Math.ceil(Math.log10(hi)));
    for (let d = min; d <= max * 1.0001; d = clean(d * 10)) ticks.push(d);
  } else {
    const steps = [];
    for (let d = clean(10 ** Math.floor(Math.log10(lo))); d <= hi * 10; d = clean(d * 10)) {
      for (const m of [1, 2, 5]) steps.push(clean(d * m));
    }
    min = [...steps].reverse().find((s) => s <= lo) ?? lo;
    max = steps.find((s) => s >= hi) ?? hi;
    ticks = steps.filter((s) => s >= min && s <= max);
  }
  const span = Math.log10(max) - Math.log10(min) || 1;
  const x = (v) => x0 + ((Math.log10(Math.min(Math.max(v, min), max)) - Math.log10(min)) / span) * (x1 - x0);
  return { min, max, x, ticks };
}

/** Axis labels: "0.5x", "10x"; "50 ns", "2 µs", "10 ms". */
const tickX = (v) => `${v}x`;
const tickNs = (v) =>
  v >= 1e9 ? `${clean3(v / 1e9)} s` : v >= 1e6 ? `${clean3(v / 1e6)} ms` : v >= 1e3 ? `${clean3(v / 1e3)} µs` : `${clean3(v)} ns`;
const clean3 = (v) => Number(v.toPrecision(3));

function svgOpen(width, height, title) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}" style="${FONT}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
}

function axisLines(axis, top, bottom, fmt) {
  const out = [];
  for (const t of axis.ticks) {
    const x = num(axis.x(t));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    out.push(`<text x="${x}" y="${bottom + 14}" font-size="11" fill="${COLORS.muted}" text-anchor="middle">${esc(fmt(t))}</text>`);
  }
  return out;
}

const LABEL_W = 330;
const PLOT_W = 470;
const ROW_H = 34;

/** The SVG chart of a scenario's ratios (see the contract above), or undefined. */
export function ratioChart(scenario) {
  const ratios = scenario.ratios ?? [];
  if (ratios.length === 0) return undefined;
  const values = ratios.flatMap((r) => [r.speedup, ...(r.speedupRange ?? []), ...(r.speedupPerRound ?? []), r.target?.minSpeedup ?? 1, 1]);
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const axis = logAxis(Math.min(...finite), Math.max(...finite), LABEL_W + 10, LABEL_W + PLOT_W);
  const top = 60;
  const bottom = top + ratios.length * ROW_H;
  const width = LABEL_W + PLOT_W + 40;
  const height = bottom + 44;
  const title = `${scenario.scenario}: sabre ÷ baseline speedup (median over rounds, range, rounds)`;
  const out = svgOpen(width, height, title);
  out.push(`<text x="10" y="18" font-size="14" font-weight="600" fill="${COLORS.text}">${esc(clip(`${scenario.scenario} — ${scenario.title ?? ""}`, 88))}</text>`);
  out.push(`<text x="10" y="35" font-size="11" fill="${COLORS.muted}">speedup = baseline time per item ÷ sabre's, log scale: right of 1x, sabre is faster.</text>`);
  out.push(`<text x="10" y="49" font-size="11" fill="${COLORS.muted}">Bar: median over rounds; whisker: range over rounds; dots: single rounds; red tick: target (✓ met, ✗ missed).</text>`);
  out.push(...axisLines(axis, top, bottom, tickX));
  const one = num(axis.x(1));
  out.push(`<line x1="${one}" y1="${top - 4}" x2="${one}" y2="${bottom}" stroke="${COLORS.text}" stroke-width="1.5"/>`);
  ratios.forEach((r, i) => {
    const y = top + i * ROW_H;
    const mid = y + ROW_H / 2;
    const faster = r.speedup >= 1;
    const sabreLabel = r.context ? `(context) ${r.sabre}` : r.sabre;
    out.push(`<g><title>${esc(`${sabreLabel} vs ${r.baseline}: ${fmtX(r.speedup)} by ${r.by} (range ${fmtX(r.speedupRange?.[0])}–${fmtX(r.speedupRange?.[1])})`)}</title>`);
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${width}" height="${ROW_H}" fill="#f6f8fa"/>`);
    out.push(`<text x="10" y="${mid - 3}" font-size="12" fill="${r.context ? COLORS.muted : COLORS.text}">${esc(clip(sabreLabel, 52))}</text>`);
    out.push(`<text x="10" y="${mid + 11}" font-size="11" fill="${COLORS.muted}">${esc(clip(`vs ${r.baseline} (by ${r.by})`, 58))}</text>`);
    const xs = axis.x(r.speedup);
    const color = r.context ? COLORS.muted : faster ? COLORS.faster : COLORS.slower;
    out.push(`<rect x="${num(Math.min(xs, axis.x(1)))}" y="${mid - 7}" width="${num(Math.max(Math.abs(xs - axis.x(1)), 1.5))}" height="14" fill="${color}" fill-opacity="0.75"/>`);
    if (r.speedupRange) {
      const [a, b] = r.speedupRange.map((v) => num(axis.x(v)));
      out.push(`<line x1="${a}" y1="${mid}" x2="${b}" y2="${mid}" stroke="${COLORS.range}" stroke-width="1.5"/>`);
      out.push(`<line x1="${a}" y1="${mid - 5}" x2="${a}" y2="${mid + 5}" stroke="${COLORS.range}" stroke-width="1.5"/>`);
      out.push(`<line x1="${b}" y1="${mid - 5}" x2="${b}" y2="${mid + 5}" stroke="${COLORS.range}" stroke-width="1.5"/>`);
    }
    for (const v of r.speedupPerRound ?? []) {
      out.push(`<circle cx="${num(axis.x(v))}" cy="${mid}" r="2.2" fill="#ffffff" stroke="${COLORS.range}" stroke-width="1"/>`);
    }
    if (r.target) {
      const xt = num(axis.x(r.target.minSpeedup));
      out.push(`<line x1="${xt}" y1="${mid - 11}" x2="${xt}" y2="${mid + 11}" stroke="${COLORS.target}" stroke-width="2"/>`);
    }
    const label = `${fmtX(r.speedup)}${r.target ? (r.target.met ? " ✓" : " ✗") : ""}`;
    // the value sits beside the bar's far end, outside the whisker, on the side with room
    const [lo, hi] = (r.speedupRange ?? [r.speedup, r.speedup]).map((v) => axis.x(v));
    const leftSide = faster ? hi > LABEL_W + PLOT_W - 45 : lo - 45 > LABEL_W + 10;
    const lx = leftSide ? Math.min(xs, lo) - 5 : Math.max(xs, hi) + 5;
    out.push(`<text x="${num(lx)}" y="${mid + 4}" font-size="11" font-weight="600" fill="${COLORS.text}" text-anchor="${leftSide ? "end" : "start"}">${esc(label)}</text>`);
    out.push("</g>");
  });
  out.push(`<text x="${LABEL_W + 10 + PLOT_W / 2}" y="${bottom + 32}" font-size="11" fill="${COLORS.muted}" text-anchor="middle">speedup (×), log scale</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** Whether a scenario's samples are single operations whose distribution is worth a chart. */
export function recordsLatencies(scenario) {
  if (scenario.latencies) return true;
  if ((scenario.figures ?? []).some((f) => f.latency?.distribution)) return true;
  return (scenario.ratios ?? []).length > 0 && scenario.ratios.every((r) => r.by === "p50");
}

/** The figure's quantile q in ns, from its distribution or (older results) its summary. */
function q(f, p) {
  const d = f.latency?.distribution?.quantiles;
  if (d) return d.find(([k]) => k === p)?.[1];
  return { 0.5: f.latency?.p50, 0.99: f.latency?.p99 }[p];
}

/** The SVG chart of a latency scenario's per-task distributions (see the contract), or undefined. */
export function latencyChart(scenario) {
  const figures = (scenario.figures ?? []).filter((f) => f.latency && Number.isFinite(f.latency.p50));
  if (!recordsLatencies(scenario) || figures.length === 0) return undefined;
  const values = figures.flatMap((f) => {
    const d = f.latency.distribution;
    if (d) return [d.histogram.edgesNs[0], d.histogram.edgesNs.at(-1), q(f, 0.01), q(f, 0.99)];
    return [f.latency.min, f.latency.p50, f.latency.mean, f.latency.p99];
  });
  // 1 ns floor: samples with the timer overhead subtracted can be 0 or below; they are drawn at the axis's start
  const finite = values.filter((v) => Number.isFinite(v) && v >= 1);
  const axis = logAxis(Math.min(...finite), Math.max(...finite), LABEL_W + 10, LABEL_W + PLOT_W);
  const rowH = 40;
  const top = 60;
  const bottom = top + figures.length * rowH;
  const width = LABEL_W + PLOT_W + 40;
  const height = bottom + 44;
  const full = figures.some((f) => f.latency.distribution);
  const title = `${scenario.scenario}: latency of ${figures[0].sampleIs ?? "one sample"} per task`;
  const out = svgOpen(width, height, title);
  out.push(`<text x="10" y="18" font-size="14" font-weight="600" fill="${COLORS.text}">${esc(clip(`${scenario.scenario} — latency distribution (${figures[0].sampleIs ?? "one sample"})`, 105))}</text>`);
  out.push(
    `<text x="10" y="35" font-size="11" fill="${COLORS.muted}">${esc(
      full
        ? "Log scale, samples pooled over rounds. Shaded: histogram (p0.1–p99.9); box: p25–p75; whiskers: p1–p99; bar: median. Floor 1 ns."
        : "Log scale, pooled over rounds (this run saved no histogram). Whisker: min–p99; bar: median; ◆: mean.",
    )}</text>`,
  );
  out.push(...axisLines(axis, top, bottom, tickNs));
  figures.forEach((f, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const color = ROLE_COLORS[f.role] ?? COLORS.range;
    out.push(`<g><title>${esc(`${f.task} (${f.role}): median ${fmtNs(f.latency.p50)}, p99 ${fmtNs(f.latency.p99)}, mean ${fmtNs(f.latency.mean)}, ${f.samples} samples`)}</title>`);
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${width}" height="${rowH}" fill="#f6f8fa"/>`);
    out.push(`<text x="10" y="${mid - 3}" font-size="12" fill="${COLORS.text}">${esc(clip(f.task, 52))}</text>`);
    out.push(`<text x="10" y="${mid + 11}" font-size="11" fill="${color}">${esc(`${f.role} · median ${fmtNs(f.latency.p50)} · p99 ${fmtNs(f.latency.p99)}`)}</text>`);
    const d = f.latency.distribution;
    if (d) {
      const { edgesNs, counts } = d.histogram;
      const peak = Math.max(...counts, 1);
      counts.forEach((c, k) => {
        if (c === 0) return;
        const x0 = axis.x(edgesNs[k]);
        const x1 = axis.x(edgesNs[k + 1]);
        const h = Math.max(1, (c / peak) * (rowH - 8));
        out.push(`<rect x="${num(x0)}" y="${num(y + rowH - 4 - h)}" width="${num(Math.max(x1 - x0, 0.5))}" height="${num(h)}" fill="${color}" fill-opacity="0.3"/>`);
      });
      const [p1, p25, p50, p75, p99] = [0.01, 0.25, 0.5, 0.75, 0.99].map((p) => axis.x(q(f, p)));
      out.push(`<line x1="${num(p1)}" y1="${mid}" x2="${num(p99)}" y2="${mid}" stroke="${color}" stroke-width="1.5"/>`);
      for (const x of [p1, p99]) out.push(`<line x1="${num(x)}" y1="${mid - 5}" x2="${num(x)}" y2="${mid + 5}" stroke="${color}" stroke-width="1.5"/>`);
      out.push(`<rect x="${num(p25)}" y="${mid - 7}" width="${num(Math.max(p75 - p25, 1))}" height="14" fill="#ffffff" fill-opacity="0.6" stroke="${color}" stroke-width="1.5"/>`);
      out.push(`<line x1="${num(p50)}" y1="${mid - 9}" x2="${num(p50)}" y2="${mid + 9}" stroke="${color}" stroke-width="3"/>`);
    } else {
      const [lo, p50, mean, p99] = [f.latency.min, f.latency.p50, f.latency.mean, f.latency.p99].map((v) => axis.x(v));
      out.push(`<line x1="${num(lo)}" y1="${mid}" x2="${num(p99)}" y2="${mid}" stroke="${color}" stroke-width="1.5"/>`);
      for (const x of [lo, p99]) out.push(`<line x1="${num(x)}" y1="${mid - 5}" x2="${num(x)}" y2="${mid + 5}" stroke="${color}" stroke-width="1.5"/>`);
      out.push(`<line x1="${num(p50)}" y1="${mid - 9}" x2="${num(p50)}" y2="${mid + 9}" stroke="${color}" stroke-width="3"/>`);
      out.push(`<path d="M${num(mean)} ${mid - 5} l5 5 l-5 5 l-5 -5 z" fill="${color}"/>`);
    }
    out.push("</g>");
  });
  out.push(`<text x="${LABEL_W + 10 + PLOT_W / 2}" y="${bottom + 32}" font-size="11" fill="${COLORS.muted}" text-anchor="middle">time per ${esc(figures[0].sampleIs ?? "sample")}, log scale</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function htmlTable(headers, rows, numeric = []) {
  const th = headers.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ""}>${esc(h)}</th>`).join("");
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ""}>${c}</td>`).join("")}</tr>`);
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs.join("\n")}\n</tbody></table>`;
}

function scenarioSection(s) {
  const parts = [`<section id="${esc(s.scenario)}">`, `<h2>${esc(s.scenario)} <small>${esc(s.title ?? "")}</small></h2>`];
  if (s.description) parts.push(`<p>${esc(s.description)}</p>`);
  for (const n of s.notes ?? []) parts.push(`<p class="note">note: ${esc(n)}</p>`);
  for (const k of s.skipped ?? []) parts.push(`<p class="bad">skipped ${esc(k.task)}: ${esc(k.reason)}</p>`);
  for (const f of s.failed ?? []) parts.push(`<p class="bad">failed ${esc(f.task)} (round ${esc(f.round)}): ${esc(String(f.error).split("\n")[0])}</p>`);
  if (s.error) parts.push(`<p class="bad">error: ${esc(String(s.error).split("\n")[0])}</p>`);
  const ratios = ratioChart(s);
  if (ratios) parts.push(`<figure>${ratios}</figure>`);
  const latency = latencyChart(s);
  if (latency) parts.push(`<figure>${latency}</figure>`);
  if (s.figures?.length) {
    parts.push(
      htmlTable(
        ["task", "role", s.unit ?? "items/s", "mean", "median", "p99", "sample =", "ns/item", "±rme", "samples"],
        s.figures.map((f) => [
          esc(f.task), esc(f.role), esc(fmtRate(f.throughput.mean)), esc(fmtNs(f.latency.mean)), esc(fmtNs(f.latency.p50)),
          esc(fmtNs(f.latency.p99)), esc(f.sampleIs ?? ""), esc(f.nsPerItem.toFixed(1)), esc(`${f.latency.rme.toFixed(1)}%`), esc(f.samples),
        ]),
        [2, 3, 4, 5, 7, 8, 9],
      ),
    );
  }
  if (s.ratios?.length) {
    parts.push(
      htmlTable(
        ["sabre task", "vs baseline", "by", "speedup", "range over rounds", "per round", "target"],
        s.ratios.map((r) => [
          esc(r.context ? `(context) ${r.sabre}` : r.sabre), esc(r.baseline), esc(r.by), `<b>${esc(fmtX(r.speedup))}</b>`,
          esc(`${fmtX(r.speedupRange?.[0])}–${fmtX(r.speedupRange?.[1])}`), esc((r.speedupPerRound ?? []).map(fmtX).join(" ")),
          r.target ? `${esc(r.target.text)}: ${r.target.met ? '<span class="good">met</span>' : '<span class="bad">missed</span>'}` : "",
        ]),
        [3, 4, 5],
      ),
    );
  }
  parts.push("</section>");
  return parts.join("\n");
}

/** The self-contained HTML report of one run (see the contract above). */
export function renderReport(result) {
  const m = result.machine ?? {};
  const rt = result.runtime ?? {};
  const where = rt.browser ? `Chromium ${rt.browser}` : `Node ${rt.node ?? "?"}`;
  const title = `sabre benchmarks — ${result.date ?? ""}`;
  const facts = [
    ["date", result.date],
    ["mode", `${result.mode} (${result.budget?.rounds ?? "?"} rounds, ${result.budget?.time ?? "?"} ms per task per round)`],
    ["filters", (result.filters ?? []).length ? result.filters.join(", ") : "all scenarios"],
    ["runtime", `${where}${rt.v8 ? `, V8 ${rt.v8}` : ""}`],
    ["machine", `${m.cpuModel ?? "?"}, ${m.cores ?? "?"} cores, ${m.memoryBytes ? (m.memoryBytes / 2 ** 30).toFixed(1) : "?"} GiB, ${m.os ?? ""}`],
    ["commit", result.git ? `${String(result.git.commit ?? "").slice(0, 12)} (${result.git.branch ?? "?"})${result.git.dirtySources ? ", with uncommitted changes in src/ or assembly/" : ""}` : "unknown"],
    ["load average", `${(result.loadAverage?.start ?? []).join(" ")} at the start, ${(result.loadAverage?.end ?? []).join(" ")} at the end`],
    ["duration", `${result.durationSeconds ?? "?"} s`],
  ];
  const toc = (result.scenarios ?? []).map((s) => `<a href="#${esc(s.scenario)}">${esc(s.scenario)}</a>`).join(" · ");
  return `<!doctype html>
<!-- A sabre benchmark report, generated by bench/lib/report.mjs from the run's JSON; self-contained (no scripts, no network). -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { ${FONT}; color: ${COLORS.text}; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid ${COLORS.grid}; } h2 small { font-weight: normal; color: ${COLORS.muted}; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; } dt { color: ${COLORS.muted}; } dd { margin: 0; }
table { border-collapse: collapse; font-size: .85rem; margin: 1rem 0; } th, td { padding: .2rem .5rem; border-bottom: 1px solid ${COLORS.grid}; text-align: left; vertical-align: top; }
.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } figure { margin: 1rem 0; overflow-x: auto; }
.note { color: ${COLORS.muted}; font-size: .9rem; margin: .2rem 0; } .bad { color: ${COLORS.target}; } .good { color: ${COLORS.faster}; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>Each scenario runs its tasks beside their baselines, in rounds; a ratio is computed within each round and summarised by its median over rounds, with the range. The machine may have been shared: read ratios, not absolute times (see BENCHMARKS.md).</p>
<dl>
${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v ?? "?")}</dd>`).join("\n")}
</dl>
<p>${toc}</p>
${(result.scenarios ?? []).map(scenarioSection).join("\n")}
</body>
</html>
`;
}

/**
 * Writes `<dir>/<name>.html` and the charts `<chartsDir>/<prefix><scenario>-ratios.svg` and
 * `-latency.svg` (chartsDir undefined: no chart files). Returns the paths written.
 */
export function writeReport(result, dir, { name = "latest", chartsDir, prefix = "" } = {}) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  const html = join(dir, `${name}.html`);
  writeFileSync(html, renderReport(result));
  written.push(html);
  if (chartsDir) {
    mkdirSync(chartsDir, { recursive: true });
    for (const s of result.scenarios ?? []) {
      for (const [kind, svg] of [["ratios", ratioChart(s)], ["latency", latencyChart(s)]]) {
        if (!svg) continue;
        const file = join(chartsDir, `${prefix}${s.scenario}-${kind}.svg`);
        writeFileSync(file, svg);
        written.push(file);
      }
    }
  }
  return written;
}
