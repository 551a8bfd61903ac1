/** What the results were measured on, recorded with every run. */
import { cpus, release, totalmem } from 'node:os';
import { openFileLimit } from './procfs.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  openFileLimit: number | null;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    openFileLimit: openFileLimit(process.pid),
  };
}
