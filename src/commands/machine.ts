// The machine a run was made on, for the report (process.version lives at the process boundary).
import os from 'node:os';
import type { Machine } from '../results/report.js';

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
  };
}
