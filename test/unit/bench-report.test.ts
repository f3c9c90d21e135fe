// bench-report.test.ts — the benchmark harness's report generator (bench/lib/report.mjs),
// terminal formatting (bench/lib/format.mjs), latency distributions (bench/lib/stats.mjs) and
// option parsing (bench/lib/options.mjs), checked on a saved run without measuring anything.
// Fixture: test/fixtures/bench-results.json, a copy of bench/results/latest.json from the run
// of 2026-11-23 (written before distributions were recorded, so it also covers older files).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain .mjs harness modules without type declarations
import { BenchUsageError, MODES, parseOptions } from "../../bench/lib/options.mjs";
// @ts-expect-error -- see above
import { formatScenario, REPORT_WIDTH, table, wrapText } from "../../bench/lib/format.mjs";
// @ts-expect-error -- see above
import { latencyChart, ratioChart, recordsLatencies, renderReport, writeReport } from "../../bench/lib/report.mjs";
// @ts-expect-error -- see above
import { distributionOf, taskFigures } from "../../bench/lib/stats.mjs";
// @ts-expect-error -- see above
import { Progress } from "../../bench/lib/progress.mjs";

type Any = any; // the results JSON is untyped: these tests read it as the harness writes it
const fixture: Any = JSON.parse(readFileSync(new URL("../fixtures/bench-results.json", import.meta.url), "utf8"));
const scenario = (name: string): Any => fixture.scenarios.find((s: Any) => s.scenario === name);
const chars = (line: string) => [...line].length;

/** A deterministic, skewed set of round-trip samples in ms (0.2 µs .. ~50 µs). */
function syntheticRounds(rounds: number, n: number) {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: rounds }, () => ({
    samples: Float64Array.from({ length: n }, () => 0.0002 * Math.exp(next() * 5.5)),
  }));
}

describe("bench options (node:util parseArgs)", () => {
  it("defaults: every scenario, default mode, saved, with progress", () => {
    const o = parseOptions([], {});
    expect(o).toEqual({ mode: "default", budget: MODES.default, filters: [], save: true, list: false, quiet: false, help: false });
  });

  it("reads filters from positionals, --filter (repeatable, comma lists) and BENCH_FILTER", () => {
    const o = parseOptions(["ring", "--filter=mutex,chan", "--filter", "ping"], { BENCH_FILTER: "select" });
    expect(o.filters).toEqual(["select", "mutex", "chan", "ping", "ring"]);
  });

  it("--quiet (or -q), --no-save, --list, --long, --rounds", () => {
    const o = parseOptions(["--quiet", "--no-save", "--list", "--long", "--rounds=3"], {});
    expect(o.quiet).toBe(true);
    expect(o.save).toBe(false);
    expect(o.list).toBe(true);
    expect(o.mode).toBe("long");
    expect(o.budget).toEqual({ ...MODES.long, rounds: 3 });
    expect(parseOptions(["-q"], {}).quiet).toBe(true);
  });

  it("the environment sets mode and rounds; the command line wins", () => {
    expect(parseOptions([], { BENCH_MODE: "long", BENCH_ROUNDS: "2" }).budget).toEqual({ ...MODES.long, rounds: 2 });
    expect(parseOptions(["--rounds", "5", "--mode=default"], { BENCH_MODE: "long", BENCH_ROUNDS: "2" }).budget).toEqual({
      ...MODES.default,
      rounds: 5,
    });
  });

  it("refuses an unknown option (no longer taken for a filter), naming it", () => {
    expect(() => parseOptions(["--qiet"], {})).toThrow(BenchUsageError);
    expect(() => parseOptions(["--qiet"], {})).toThrow(/--qiet/);
    try {
      parseOptions(["--nosave"], {});
      expect.unreachable("parseOptions accepted --nosave");
    } catch (error: Any) {
      expect(error.name).toBe("BenchUsageError");
      expect(error.usage).toContain("--quiet");
    }
  });

  it("refuses a bad round count or mode, and a flag given a value", () => {
    expect(() => parseOptions(["--rounds=0"], {})).toThrow(/positive integer, got "0"/);
    expect(() => parseOptions(["--rounds=two"], {})).toThrow(/positive integer/);
    expect(() => parseOptions([], { BENCH_ROUNDS: "1.5" })).toThrow(/positive integer/);
    expect(() => parseOptions(["--mode=fast"], {})).toThrow(/unknown mode "fast".*default, long/);
    expect(() => parseOptions([], { BENCH_MODE: "toString" })).toThrow(/unknown mode/);
    expect(() => parseOptions(["--quiet=yes"], {})).toThrow(BenchUsageError);
  });

  it("--help is reported, not acted on", () => {
    expect(parseOptions(["-h"], {}).help).toBe(true);
  });
});

describe("Progress", () => {
  it("writes nothing when disabled (--quiet), on a terminal or not", () => {
    for (const isTTY of [true, false]) {
      const written: string[] = [];
      const stream = { isTTY, write: (s: string) => written.push(s) };
      const p = new Progress(stream, { enabled: false });
      p.start();
      p.set({ scenario: "ring", index: 1, total: 2, round: 1, rounds: 4, phase: "run", task: "t" });
      p.clear();
      p.stop();
      expect(written).toEqual([]);
    }
  });

  it("writes one line per task when enabled and not a terminal", () => {
    const written: string[] = [];
    const p = new Progress({ isTTY: false, write: (s: string) => written.push(s) });
    p.set({ scenario: "ring", index: 1, total: 2, round: 1, rounds: 4, phase: "run", task: "a" });
    p.set({ phase: "run" });
    p.set({ task: "b" });
    expect(written.length).toBe(2);
    expect(written[0]).toMatch(/^\[1\/2 ring\] round 1\/4 run a/);
  });
});

describe("terminal report", () => {
  it(`fits every line of every scenario in ${REPORT_WIDTH} columns`, () => {
    expect(REPORT_WIDTH).toBe(120);
    for (const s of fixture.scenarios) {
      const text: string = formatScenario(s);
      for (const line of text.split("\n")) expect(chars(line), `${s.scenario}: ${line}`).toBeLessThanOrEqual(120);
      // nothing is lost to wrapping: the first column of each table, read down, holds every task name
      const lines = text.split("\n");
      const firstColumns = lines.flatMap((line, i) => {
        if (!/^ {3}-+ {2}/.test(line)) return [];
        const width = line.trim().indexOf(" ");
        const body = [];
        for (let k = i + 1; k < lines.length && lines[k].startsWith("   ") && !/^ {3}speedup =/.test(lines[k]); k++) {
          body.push(lines[k].slice(3, 3 + width));
        }
        return [body.join("").replace(/\s+/g, "")];
      });
      expect(firstColumns.length).toBe(s.ratios.length ? 2 : 1);
      for (const f of s.figures) expect(firstColumns[0]).toContain(f.task.replace(/\s+/g, ""));
      for (const r of s.ratios) expect(firstColumns[1]).toContain(`${r.context ? "(context)" : ""}${r.sabre}`.replace(/\s+/g, ""));
      for (const r of s.ratios) if (r.target) expect(text).toContain(r.target.met ? "met" : "MISSED");
    }
  });

  it("wraps text columns at spaces and leaves numeric columns whole", () => {
    const out: string = table(
      ["name", "value"],
      [["a rather long task name that will not fit", "12.5 M"], ["short", "3.1x"]],
      { width: 30 },
    );
    const lines = out.split("\n");
    for (const line of lines) expect(chars(line)).toBeLessThanOrEqual(30);
    expect(lines[0]).toMatch(/^name\s+value$/);
    expect(out).toContain("12.5 M");
    expect(lines.find((l) => l.includes("12.5 M"))).toMatch(/^a rather long\s/);
  });

  it("wrapText never exceeds the width and keeps every character", () => {
    const text = "speedup = baseline time per item ÷ sabre's averyveryverylongwordwithoutspaces end";
    const lines: string[] = wrapText(text, 16);
    for (const l of lines) expect(chars(l)).toBeLessThanOrEqual(16);
    expect(lines.join("").replace(/ /g, "")).toBe(text.replace(/ /g, ""));
  });
});

describe("latency distributions", () => {
  it("histogram counts every sample once, and quantiles rise", () => {
    const [round] = syntheticRounds(1, 5000);
    const sorted = Float64Array.from(round.samples).sort();
    const d = distributionOf(sorted);
    const { counts, edgesNs, below, above } = d.histogram;
    expect(edgesNs.length).toBe(counts.length + 1);
    expect(counts.reduce((a: number, b: number) => a + b, 0) + below + above).toBe(5000);
    for (let i = 1; i < edgesNs.length; i++) expect(edgesNs[i]).toBeGreaterThan(edgesNs[i - 1]);
    const qs = d.quantiles.map(([, v]: [number, number]) => v);
    for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeGreaterThanOrEqual(qs[i - 1]);
    expect(d.quantiles.find(([q]: [number, number]) => q === 0.5)[1]).toBeCloseTo(sorted[2500] * 1e6, -1);
  });

  it("taskFigures records a distribution only when asked", () => {
    const task = { name: "rtt", role: "sabre", sampleIs: "one round trip" };
    expect(taskFigures(task, syntheticRounds(2, 100)).latency.distribution).toBeUndefined();
    expect(taskFigures(task, syntheticRounds(2, 100), { distribution: true }).latency.distribution.histogram.counts.length).toBe(32);
  });
});

describe("charts and HTML report", () => {
  it("a ratio chart has one row per ratio, a tick per target, and the medians as labels", () => {
    for (const s of fixture.scenarios) {
      const svg: string = ratioChart(s);
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
      expect(svg.match(/<g>/g)?.length).toBe(s.ratios.length);
      expect(svg.match(/stroke="#b71c1c"/g)?.length ?? 0).toBe(s.ratios.filter((r: Any) => r.target).length);
      // one dot per round of every ratio
      expect(svg.match(/<circle /g)?.length).toBe(s.ratios.reduce((n: number, r: Any) => n + r.speedupPerRound.length, 0));
    }
    const ring: string = ratioChart(scenario("ring"));
    expect(ring).toContain("24.4x ✓"); // sabre push/pop vs postMessage: target met
    expect(ring).toContain("0.95x ✗"); // vs the plain-JS ring: target missed
    expect(ratioChart({ ...scenario("ring"), ratios: [] })).toBeUndefined();
  });

  it("latency charts exist for latency scenarios only, and show a histogram when one was saved", () => {
    expect(recordsLatencies(scenario("mutex"))).toBe(false);
    expect(latencyChart(scenario("mutex"))).toBeUndefined();
    expect(recordsLatencies(scenario("pingpong"))).toBe(true);
    const old: string = latencyChart(scenario("pingpong")); // saved without distributions
    expect(old).toContain("this run saved no histogram");
    expect(old.match(/<g>/g)?.length).toBe(scenario("pingpong").figures.length);

    const tasks = [
      { name: "sabre rtt", role: "sabre", sampleIs: "one round trip" },
      { name: "postMessage rtt", role: "baseline", sampleIs: "one round trip" },
    ];
    const figures = tasks.map((t) => taskFigures(t, syntheticRounds(2, 400), { distribution: true }));
    const fresh: string = latencyChart({ scenario: "rtt", title: "t", latencies: true, figures, ratios: [] });
    expect(fresh).toContain("Shaded: histogram");
    expect(fresh.match(/<g>/g)?.length).toBe(2);
    expect(fresh.match(/fill-opacity="0.3"/g)!.length).toBeGreaterThan(10); // histogram bars
  });

  it("the HTML report is self-contained and covers every scenario", () => {
    const html: string = renderReport(fixture);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    // the only URL is the SVG namespace (an identifier, never fetched)
    expect(html.match(/https?:\/\/[^"\s]+/g)?.every((u) => u === "http://www.w3.org/2000/svg")).toBe(true);
    for (const s of fixture.scenarios) {
      expect(html).toContain(`<section id="${s.scenario}">`);
      for (const f of s.figures) expect(html).toContain(f.task.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    }
    expect(html.match(/<svg /g)?.length).toBe(fixture.scenarios.length + 2); // + pingpong, channelrtt latency
    expect(html).toContain(fixture.git.commit.slice(0, 12));
    expect(renderReport(fixture)).toBe(html); // deterministic
  });

  it("escapes text taken from the results", () => {
    const evil = { ...scenario("channelrtt"), title: "<b>&</b>" };
    const html: string = renderReport({ ...fixture, scenarios: [evil] });
    expect(html).toContain("&lt;b&gt;&amp;&lt;/b&gt;");
    expect(html).not.toContain("<b>&</b>");
  });

  it("writeReport writes the HTML and one SVG file per chart", () => {
    const dir = mkdtempSync(join(tmpdir(), "sabre-bench-report-"));
    try {
      const written: string[] = writeReport(fixture, dir, { name: "latest", chartsDir: join(dir, "charts") });
      expect(readdirSync(dir).sort()).toEqual(["charts", "latest.html"]);
      expect(readdirSync(join(dir, "charts")).sort()).toEqual([
        "channel-ratios.svg", "channelrtt-latency.svg", "channelrtt-ratios.svg", "mutex-ratios.svg",
        "pingpong-latency.svg", "pingpong-ratios.svg", "ring-ratios.svg", "ringcalls-ratios.svg",
      ]);
      expect(written.length).toBe(9);
      expect(readFileSync(join(dir, "charts", "ring-ratios.svg"), "utf8")).toBe(ratioChart(scenario("ring")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
