// machine.mjs — describes the machine, runtime and commit a run was made on, and the header
// every results file starts with (Node's bench/run.mjs and bench/browser/run.mjs share it, so
// the two JSON shapes cannot drift apart).
import os from "node:os";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    availableParallelism: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    platform: process.platform,
    hostname: os.hostname(),
  };
}

export function runtimeInfo() {
  return { node: process.version, v8: process.versions.v8, execPath: process.execPath };
}

/** 1-minute load average, rounded: recorded at start and end to show how busy the machine was. */
export function loadAverage() {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/** The commit the run measured, and whether src/ or assembly/ had uncommitted changes. */
export function gitInfo() {
  try {
    const git = (...args) => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();
    return {
      commit: git("rev-parse", "HEAD"),
      branch: git("rev-parse", "--abbrev-ref", "HEAD"),
      dirtySources: git("status", "--porcelain", "--", "src", "assembly") !== "",
    };
  } catch {
    return undefined;
  }
}

/** The start of a results file: schema, date, options, machine, runtime, commit, load. */
export function resultHeader(options, startedAt, runtime = runtimeInfo()) {
  return {
    schema: 1,
    date: startedAt.toISOString(),
    mode: options.mode,
    budget: options.budget,
    filters: options.filters,
    machine: machineInfo(),
    runtime,
    git: gitInfo(),
    loadAverage: { start: loadAverage(), end: undefined },
    scenarios: [],
  };
}
