/**
 * How a baseline talks to the runner: the same "listening" JSON line the PressRelay server prints
 * (see packages/server/test/harness.ts), and heap figures on request over the IPC channel, since
 * V8's heap cannot be read from /proc.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function reportListening(server: Server): void {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
}

export interface MemoryReply {
  type: 'memory';
  rss: number;
  heapUsed: number;
}

export function answerMemoryRequests(): void {
  if (!process.send) return;
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'memory') return;
    const { rss, heapUsed } = process.memoryUsage();
    const reply: MemoryReply = { type: 'memory', rss, heapUsed };
    process.send?.(reply);
  });
  // The runner owns this process: leave with it.
  process.on('disconnect', () => process.exit(0));
}
