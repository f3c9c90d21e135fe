// format.mjs — human-readable numbers and plain-text tables for the terminal report.
//
// Contract: every line `formatScenario` and `table` produce fits in `width` columns (120 by
// default, counted in characters): a table that would be wider wraps its text columns (task
// names, targets) onto continuation lines, at spaces where it can; numeric columns are never
// wrapped. Node's bench/run.mjs and the browser's bench/browser/run.mjs print through it.

/** The widest line the terminal report prints. */
export const REPORT_WIDTH = 120;

export function fmtRate(v) {
  if (!Number.isFinite(v)) return "n/a";
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(1);
}

export function fmtNs(ns) {
  if (!Number.isFinite(ns)) return "n/a";
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

export function fmtX(v) {
  if (!Number.isFinite(v)) return "n/a";
  if (v >= 100) return `${v.toFixed(0)}x`;
  if (v >= 10) return `${v.toFixed(1)}x`;
  if (v < 0.1) return `${v.toPrecision(2)}x`;
  return `${v.toFixed(2)}x`;
}

/** Splits `text` into lines of at most `width` characters, at spaces where possible. */
export function wrapText(text, width) {
  const out = [];
  for (const paragraph of String(text).split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      let w = word;
      while (w.length > width) {
        // a word longer than the column: fill the current line, then cut the word hard
        const room = line ? width - line.length - 1 : width;
        if (room > 0 && line) {
          out.push(`${line} ${w.slice(0, room)}`);
          w = w.slice(room);
        } else {
          if (line) out.push(line);
          out.push(w.slice(0, width));
          w = w.slice(width);
        }
        line = "";
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

/** A cell that reads as a number (a figure, a ratio, a range, "n/a"): right-aligned, never wrapped. */
const NUMERIC = /^(?:[<>~≈-]?\d|n\/a$)/;

/** Columns narrower than this are never wrapped further. */
const MIN_WRAP = 12;

/**
 * A plain box-free table: header, rule, rows; numeric-looking columns right-aligned. If the
 * table is wider than `width` (including `indent` spaces before each line), the widest text
 * column is narrowed, one character at a time, and its cells wrapped, until it fits.
 */
export function table(headers, rows, { width = Infinity, indent = 0 } = {}) {
  const cell = (r, i) => String(r[i] ?? "");
  const natural = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => cell(r, i).length)));
  const right = headers.map((_, i) => rows.every((r) => NUMERIC.test(cell(r, i)) || cell(r, i) === ""));
  const widths = [...natural];
  const total = () => indent + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (!right[i] && widths[i] > MIN_WRAP && (widest < 0 || widths[i] > widths[widest])) widest = i;
    }
    if (widest < 0) break; // nothing left to narrow: print as wide as it must be
    widths[widest]--;
  }
  const pad = " ".repeat(indent);
  const render = (cells) => {
    const parts = cells.map((c, i) => (right[i] ? [String(c ?? "")] : wrapText(String(c ?? ""), widths[i])));
    const height = Math.max(...parts.map((p) => p.length));
    const lines = [];
    for (let k = 0; k < height; k++) {
      const text = parts
        .map((p, i) => (right[i] ? (p[k] ?? "").padStart(widths[i]) : (p[k] ?? "").padEnd(widths[i])))
        .join("  ");
      lines.push(`${pad}${text}`.trimEnd());
    }
    return lines;
  };
  return [...render(headers), pad + widths.map((w) => "-".repeat(w)).join("  "), ...rows.flatMap(render)].join("\n");
}

/** `label` then `text` wrapped to `width`, continuation lines indented under the text. */
function labelled(label, text, width) {
  const lead = `   ${label}`;
  return wrapText(text, width - lead.length)
    .map((line, i) => (i === 0 ? lead : " ".repeat(lead.length)) + line)
    .join("\n");
}

/**
 * One scenario of a run (an entry of `result.scenarios`) as terminal text: title, notes,
 * skipped and failed tasks, the figures table and the ratios table.
 */
export function formatScenario(entry, { width = REPORT_WIDTH } = {}) {
  const out = [];
  out.push(...wrapText(`== ${entry.scenario}: ${entry.title}`, width));
  for (const n of entry.notes ?? []) out.push(labelled("note: ", n, width));
  for (const s of entry.skipped ?? []) out.push(labelled("SKIPPED ", `${s.task}: ${s.reason}`, width));
  for (const f of entry.failed ?? []) {
    out.push(labelled("FAILED ", `${f.task} (round ${f.round}, dropped): ${String(f.error).split("\n")[0]}`, width));
  }
  if (entry.error) {
    out.push(labelled("ERROR: ", String(entry.error).split("\n")[0], width));
    return out.join("\n");
  }
  out.push("");
  out.push(
    table(
      ["task", "role", entry.unit ?? "items/s", "mean", "median", "p99", "sample =", "ns/item", "±rme", "samples"],
      entry.figures.map((f) => [
        f.task, f.role, fmtRate(f.throughput.mean), fmtNs(f.latency.mean), fmtNs(f.latency.p50), fmtNs(f.latency.p99),
        f.sampleIs, f.nsPerItem.toFixed(1), `${f.latency.rme.toFixed(1)}%`, f.samples,
      ]),
      { width, indent: 3 },
    ),
  );
  if (entry.ratios?.length) {
    const latency = entry.ratios.some((r) => r.speedupP50 !== undefined);
    const headers = ["sabre task", "vs baseline", "by", "speedup", "range over rounds"];
    if (latency) headers.push("pooled p50", "pooled p99");
    headers.push("target");
    out.push("");
    out.push(
      table(
        headers,
        entry.ratios.map((r) => [
          r.context ? `(context) ${r.sabre}` : r.sabre, r.baseline, r.by, fmtX(r.speedup),
          `${fmtX(r.speedupRange[0])}..${fmtX(r.speedupRange[1])}`,
          ...(latency ? [r.speedupP50 !== undefined ? fmtX(r.speedupP50) : "", r.speedupP99 !== undefined ? fmtX(r.speedupP99) : ""] : []),
          r.target ? `${r.target.text}: ${r.target.met ? "met" : "MISSED"}` : "",
        ]),
        { width, indent: 3 },
      ),
    );
    out.push(
      ...wrapText(
        'speedup = baseline time per item ÷ sabre\'s (= sabre items/s ÷ baseline items/s) by the statistic in "by", ' +
          "median over rounds; > 1x means sabre is faster. (sabre's time ÷ the baseline's = 1 ÷ speedup: timeRatio in the JSON)." +
          (latency ? " pooled p50/p99: the same ratio of all rounds' pooled percentiles." : ""),
        width - 3,
      ).map((l) => `   ${l}`),
    );
  }
  return out.join("\n");
}
