/**
 * PressRelay itself, started the way users and tests start it (packages/server/test/harness.ts), pinned
 * to the server CPU. Heap comes from its Prometheus `/metrics` (prom-client default metrics).
 */
import { existsSync } from 'node:fs';
import { CLI_PATH, startServer } from '../../packages/server/test/harness.js';
import { pin, track } from '../lib/processes.js';
import type { Target, TargetHandle } from './types.js';

/** Reads one sample of a Prometheus text exposition. */
export function metricValue(text: string, name: string): number | null {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

/** One sample from the server's `/metrics`, or null if it cannot be read. */
async function readMetric(serverUrl: string, name: string): Promise<number | null> {
  const res = await fetch(`${serverUrl}/metrics`).catch(() => null);
  if (!res?.ok) return null;
  return metricValue(await res.text(), name);
}

export function pressRelayTarget(
  serverCpus: string | null,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Target {
  return {
    name: 'pressrelay',
    unavailable: () =>
      existsSync(CLI_PATH) ? null : `not built: ${CLI_PATH} is missing (server not on this branch yet?)`,
    async start(): Promise<TargetHandle> {
      const server = await startServer({ env, nodeArgs, startTimeoutMs: 20000 });
      track(server.process); // killed with the runner, like every other bench process
      const pid = server.process.pid;
      if (pid === undefined) throw new Error('pressrelay: no pid');
      if (serverCpus) pin(pid, serverCpus);
      return {
        name: 'pressrelay',
        pid,
        httpUrl: server.url,
        wsUrl: server.wsUrl,
        app: server.app,
        heapUsedBytes: () => readMetric(server.url, 'nodejs_heap_size_used_bytes'),
        async eventLoopMaxDelayMs() {
          const seconds = await readMetric(server.url, 'nodejs_eventloop_lag_max_seconds');
          return seconds === null ? null : seconds * 1000;
        },
        async stop() {
          await server.stop();
        },
      };
    },
  };
}
