/**
 * Starts a baseline server (bench/baselines/*.ts) as its own process, pinned to the server CPU.
 * Heap is asked for over IPC; CPU and RSS are read from /proc by the scenarios.
 */
import type { MemoryReply } from '../baselines/shared/lifecycle.js';
import { request } from '../lib/ipc.js';
import { forkTs, pin, stopChild } from '../lib/processes.js';
import { waitForListening } from './listening.js';
import type { Target, TargetHandle } from './types.js';

const APP = { id: 'bench-app', key: 'bench-key', secret: 'bench-secret' };

export function baselineTarget(
  name: string,
  file: string,
  serverCpus: string | null,
  args: string[] = [],
): Target {
  return {
    name,
    unavailable: () => null,
    async start(): Promise<TargetHandle> {
      const child = forkTs(new URL(`../baselines/${file}`, import.meta.url), args, 'pipe');
      if (!child.stdout || child.pid === undefined) throw new Error(`${name}: no stdout`);
      const port = await waitForListening(child.stdout, 15000);
      if (serverCpus) pin(child.pid, serverCpus);
      return {
        name,
        pid: child.pid,
        httpUrl: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}`,
        app: APP,
        async heapUsedBytes() {
          const reply = await request<MemoryReply>(child, { type: 'memory' }, 'memory', 5000);
          return reply.heapUsed;
        },
        stop: () => stopChild(child),
      };
    },
  };
}
