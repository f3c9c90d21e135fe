// format.mjs — human-readable numbers and plain-text tables for the terminal report.

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

/** A plain box-free table: header, rule, rows; numeric-looking columns right-aligned. */
export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i] ?? "").length)));
  const right = headers.map((_, i) => rows.every((r) => /^[\d.,<>~≈-]/.test(String(r[i] ?? "")) || r[i] === ""));
  const line = (cells) =>
    cells.map((c, i) => (right[i] ? String(c ?? "").padStart(widths[i]) : String(c ?? "").padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
