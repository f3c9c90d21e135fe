// machine.mjs — describes the machine and runtime a run was made on (saved in every result).
import os from "node:os";

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
