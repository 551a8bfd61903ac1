/**
 * Runner-side handle on a set of subscriber processes: spreads connections over them (and over
 * source addresses), resets and collects their counters, and sums their progress for the
 * publisher's delivery window.
 */
import type { ChildProcess } from 'node:child_process';
import { Histogram } from '../lib/histogram.js';
import { request, send } from '../lib/ipc.js';
import { forkTs, stopChild } from '../lib/processes.js';
import { cpuSeconds } from '../lib/procfs.js';
import type {
  ChannelSpread,
  ConnectCommand,
  ConnectedReport,
  ProgressReport,
  SubscriberReport,
  Transport,
} from './protocol.js';

export interface PoolOptions {
  transport: Transport;
  /** One server, or several (a cluster's nodes): worker i connects to `baseUrl[i % length]`. */
  baseUrl: string | readonly string[];
  appKey: string;
  /** Total connections, split evenly over `workers` processes. */
  count: number;
  workers: number;
  subscribe: boolean;
  channels: ChannelSpread;
  /** One list of source addresses per worker. */
  addresses: string[][];
  concurrency?: number;
  timeoutMs?: number;
  path?: string;
}

export interface PoolConnected {
  opened: number;
  subscribed: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  status?: number;
}

export interface PoolReport {
  received: number;
  other: number;
  latency: Histogram;
  firstAt: number | null;
  lastAt: number | null;
  dropped: number;
  maxGapMs: number;
}

const WORKER = {
  ws: new URL('./subscriber-worker.ts', import.meta.url),
  sse: new URL('./stream-worker.ts', import.meta.url),
  poll: new URL('./stream-worker.ts', import.meta.url),
};

export class SubscriberPool {
  private progress: number[];
  private constructor(
    private readonly children: ChildProcess[],
    readonly connected: PoolConnected,
  ) {
    this.progress = children.map(() => 0);
    children.forEach((child, i) => {
      child.on('message', (message: ProgressReport) => {
        if (message.type === 'progress') {
          this.progress[i] = message.received;
          this.onProgress?.(this.received());
        }
      });
    });
  }

  /** Called with the total received so far whenever a worker reports progress. */
  onProgress: ((received: number) => void) | undefined;

  static async start(options: PoolOptions): Promise<SubscriberPool> {
    const children = Array.from({ length: options.workers }, () =>
      forkTs(WORKER[options.transport], [options.transport]),
    );
    const base = Math.floor(options.count / options.workers);
    const timeoutMs = options.timeoutMs ?? 60000;
    let offset = 0;
    const reports = await Promise.all(
      children.map((child, i) => {
        const count = base + (i < options.count % options.workers ? 1 : 0);
        const command: ConnectCommand = {
          type: 'connect',
          transport: options.transport,
          baseUrl:
            typeof options.baseUrl === 'string'
              ? options.baseUrl
              : options.baseUrl[i % options.baseUrl.length]!,
          appKey: options.appKey,
          count,
          subscribe: options.subscribe,
          channels: { ...options.channels, offset: options.channels.offset + offset },
          localAddresses: options.addresses[i % options.addresses.length]!,
          concurrency: options.concurrency ?? 64,
          timeoutMs,
          path: options.path,
        };
        offset += count;
        return request<ConnectedReport>(child, command, 'connected', timeoutMs + 15000);
      }),
    );
    const connected: PoolConnected = {
      opened: sum(reports.map((r) => r.opened)),
      subscribed: sum(reports.map((r) => r.subscribed)),
      failed: sum(reports.map((r) => r.failed)),
      errors: [...new Set(reports.flatMap((r) => r.errors))].slice(0, 8),
      elapsedMs: Math.max(...reports.map((r) => r.elapsedMs)),
      status: reports.find((r) => r.status !== undefined)?.status,
    };
    return new SubscriberPool(children, connected);
  }

  received(): number {
    return sum(this.progress);
  }

  async reset(): Promise<void> {
    this.progress = this.progress.map(() => 0);
    await Promise.all(this.children.map((child) => request(child, { type: 'reset' }, 'reset', 10000)));
  }

  async report(): Promise<PoolReport> {
    const reports = await Promise.all(
      this.children.map((child) => request<SubscriberReport>(child, { type: 'report' }, 'report', 10000)),
    );
    const latency = new Histogram();
    for (const r of reports) latency.merge(r.latency);
    const firsts = reports.map((r) => r.firstAt).filter((t): t is number => t !== null);
    const lasts = reports.map((r) => r.lastAt).filter((t): t is number => t !== null);
    return {
      received: sum(reports.map((r) => r.received)),
      other: sum(reports.map((r) => r.other)),
      latency,
      firstAt: firsts.length ? Math.min(...firsts) : null,
      lastAt: lasts.length ? Math.max(...lasts) : null,
      dropped: sum(reports.map((r) => r.dropped)),
      maxGapMs: Math.max(0, ...reports.map((r) => r.maxGapMs)),
    };
  }

  /** CPU seconds used so far by the load-generator processes (to show what the clients cost). */
  cpuSeconds(): number {
    return sum(this.children.map((c) => (c.pid && c.exitCode === null ? safeCpu(c.pid) : 0)));
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        send(child, { type: 'close' });
        await stopChild(child, 3000);
      }),
    );
  }
}

function safeCpu(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

export function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
