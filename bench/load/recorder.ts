/**
 * Per-worker delivery bookkeeping shared by the WebSocket, SSE and long-poll subscribers: counts,
 * latency histogram, first/last delivery time and the largest gap between deliveries on one
 * connection (which shows a server blocking live delivery).
 */
import { monoMs } from '../lib/clock.js';
import { Histogram } from '../lib/histogram.js';
import type { SubscriberReport } from './protocol.js';

/** Per-connection state the recorder updates (a plain object: one property write per delivery). */
export interface Delivered {
  phase: number;
  lastAt: number;
}

export function delivered(): Delivered {
  return { phase: -1, lastAt: 0 };
}

export class Recorder {
  received = 0;
  other = 0;
  private latency = new Histogram();
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private phase = 0;
  private maxGapMs = 0;

  /** One delivered bench event, sent at `sentAt` (ms on the shared monotonic clock). */
  deliver(sentAt: number, connection: Delivered): void {
    const now = monoMs();
    this.received += 1;
    this.latency.record(now - sentAt);
    if (this.firstAt === null) this.firstAt = now;
    this.lastAt = now;
    if (connection.phase === this.phase && now - connection.lastAt > this.maxGapMs) {
      this.maxGapMs = now - connection.lastAt;
    }
    connection.phase = this.phase;
    connection.lastAt = now;
  }

  reset(): void {
    this.received = 0;
    this.other = 0;
    this.latency.reset();
    this.firstAt = null;
    this.lastAt = null;
    this.phase += 1; // invalidates every connection's lastAt without visiting them
    this.maxGapMs = 0;
  }

  snapshot(): Omit<SubscriberReport, 'type' | 'dropped'> {
    return {
      received: this.received,
      other: this.other,
      latency: this.latency.toJSON(),
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      maxGapMs: this.maxGapMs,
    };
  }
}
