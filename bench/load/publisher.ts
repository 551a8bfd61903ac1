/** Runner-side handle on the publisher process. */
import type { ChildProcess } from 'node:child_process';
import { Histogram } from '../lib/histogram.js';
import { request, send } from '../lib/ipc.js';
import { forkTs, stopChild } from '../lib/processes.js';
import type { TargetHandle } from '../targets/types.js';
import type { CreditMessage, PublishCommand, PublisherInit, PublishReport } from './protocol.js';

export interface PublishResult extends Omit<PublishReport, 'type' | 'http'> {
  http: Histogram;
}

export class Publisher {
  private constructor(private readonly child: ChildProcess) {}

  static async start(target: TargetHandle, concurrency: number, localAddress: string): Promise<Publisher> {
    const child = forkTs(new URL('./publisher-worker.ts', import.meta.url));
    const init: PublisherInit = {
      type: 'init',
      httpUrl: target.httpUrl,
      app: target.app,
      concurrency,
      localAddress,
    };
    await request(child, init, 'ready', 15000);
    return new Publisher(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async publish(command: Omit<PublishCommand, 'type'>): Promise<PublishResult> {
    const report = await request<PublishReport>(
      this.child,
      { type: 'publish', ...command },
      'published',
      command.maxMs + 30000,
    );
    return { ...report, http: Histogram.from(report.http) };
  }

  credit(delivered: number): void {
    const message: CreditMessage = { type: 'credit', delivered };
    send(this.child, message);
  }

  close(): Promise<void> {
    return stopChild(this.child, 1000);
  }
}
