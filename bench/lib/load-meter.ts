/**
 * How much CPU something other than the bench used during a measurement. The machine may be shared
 * (other test suites, builds); every phase reports this so a noisy figure can be told from a slow
 * server. Foreign = machine busy time − CPU of the server, the load generators and the runner.
 */

import { trackedPids } from './processes.js';
import { cpuSeconds, machineCpuSeconds } from './procfs.js';

export interface LoadSample {
  /** Average cores used by other processes during the interval. */
  foreignCores: number;
  /** Average cores stolen by the hypervisor. */
  stealCores: number;
}

function ownCpu(serverPid: number): number {
  let total = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  for (const pid of new Set([serverPid, ...trackedPids()])) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // exited during the interval: its time is lost to both sides of the subtraction
    }
  }
  return total;
}

export function startLoadMeter(serverPid: number): () => LoadSample {
  const machine0 = machineCpuSeconds();
  const own0 = ownCpu(serverPid);
  const t0 = performance.now();
  return () => {
    const machine1 = machineCpuSeconds();
    const own1 = ownCpu(serverPid);
    const seconds = (performance.now() - t0) / 1000;
    const foreign = machine1.busy - machine0.busy - (own1 - own0);
    return {
      foreignCores: Math.max(0, foreign / seconds),
      stealCores: (machine1.steal - machine0.steal) / seconds,
    };
  };
}

/**
 * Waits (at most `maxMs`) until the machine has been nearly idle for one second, so a run does not
 * start in the middle of someone else's build. Returns the load seen last, in cores.
 */
export async function waitForQuiet(maxMs: number, thresholdCores = 0.25): Promise<number> {
  const until = performance.now() + maxMs;
  let load = 0;
  do {
    const before = machineCpuSeconds().busy;
    await new Promise((done) => setTimeout(done, 1000));
    load = machineCpuSeconds().busy - before;
    if (load <= thresholdCores) return load;
  } while (performance.now() < until);
  return load;
}
