/**
 * Pusher-format webhooks: batched briefly per app, signed over the exact bytes sent, filtered per target URL,
 * retried with exponential back-off while the receiver fails. `channel_vacated` and `member_removed` wait a few
 * seconds and are dropped, together with the matching `channel_occupied` / `member_added`, when the client comes
 * straight back (a page reload). Delivery never blocks the realtime path: everything here is fire-and-forget.
 */
import type { Logger } from 'pino';
import type { AppConfig, WebhookTarget } from '../apps/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import { webhookSignature } from '../protocol/signature.js';

export type WebhookEvent =
  | { name: 'channel_occupied' | 'channel_vacated' | 'cache_miss'; channel: string }
  | { name: 'member_added' | 'member_removed'; channel: string; user_id: string | number }
  | {
      name: 'client_event';
      channel: string;
      event: string;
      data: unknown;
      socket_id: string;
      user_id?: string | number;
    }
  | { name: 'subscription_count'; channel: string; subscription_count: number };

export interface WebhookOptions {
  batchMs: number;
  leaveDelayMs: number;
  retryForMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Maximum batches waiting for delivery or retry; beyond it new batches are dropped and counted. */
  maxOutstanding?: number;
  requestTimeoutMs?: number;
}

interface Pending {
  app: AppConfig;
  events: WebhookEvent[];
  timer: NodeJS.Timeout;
}

interface Delayed {
  app: AppConfig;
  event: WebhookEvent;
  timer: NodeJS.Timeout;
}

export class WebhookDispatcher {
  private readonly pending = new Map<string, Pending>();
  /** Leave events waiting out the delay, keyed by what would cancel them. */
  private readonly delayed = new Map<string, Delayed>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private outstanding = 0;
  private closing = false;

  constructor(private readonly options: WebhookOptions) {}

  emit(app: AppConfig, event: WebhookEvent): void {
    if (app.webhooks.length === 0) return;
    if (!app.webhooks.some((target) => matches(target, event))) return;
    const key = leaveKey(app, event);
    if (event.name === 'channel_vacated' || event.name === 'member_removed') {
      if (this.options.leaveDelayMs === 0 || this.closing) return this.enqueue(app, event);
      const previous = this.delayed.get(key);
      if (previous) clearTimeout(previous.timer);
      const timer = setTimeout(() => {
        this.delayed.delete(key);
        this.enqueue(app, event);
      }, this.options.leaveDelayMs);
      timer.unref();
      this.delayed.set(key, { app, event, timer });
      return;
    }
    if (event.name === 'channel_occupied' || event.name === 'member_added') {
      const leave = this.delayed.get(key);
      if (leave) {
        // The client came straight back: neither the leave nor this join is news to the app.
        clearTimeout(leave.timer);
        this.delayed.delete(key);
        return;
      }
    }
    this.enqueue(app, event);
  }

  /** Sends everything waiting (delayed leaves included) and waits for in-flight requests, up to `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    this.closing = true;
    for (const [key, delayed] of this.delayed) {
      clearTimeout(delayed.timer);
      this.delayed.delete(key);
      this.enqueue(delayed.app, delayed.event);
    }
    for (const pending of [...this.pending.values()]) {
      clearTimeout(pending.timer);
      this.send(pending);
    }
    const deadline = new Promise<void>((done) => setTimeout(done, timeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]).then(() => undefined), deadline]);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private enqueue(app: AppConfig, event: WebhookEvent): void {
    const existing = this.pending.get(app.id);
    if (existing) {
      existing.events.push(event);
      return;
    }
    const pending: Pending = {
      app,
      events: [event],
      timer: setTimeout(() => this.send(pending), this.closing ? 0 : this.options.batchMs),
    };
    this.pending.set(app.id, pending);
  }

  private send(pending: Pending): void {
    this.pending.delete(pending.app.id);
    const timeMs = Date.now();
    for (const target of pending.app.webhooks) {
      const events = pending.events.filter((event) => matches(target, event));
      if (events.length === 0) continue;
      if (this.outstanding >= (this.options.maxOutstanding ?? 10_000)) {
        this.options.metrics.webhookFailures.inc({ reason: 'dropped' });
        this.options.logger.error(
          { url: target.url, events: events.length },
          'webhook queue full; batch dropped',
        );
        continue;
      }
      const body = JSON.stringify({ time_ms: timeMs, events });
      this.outstanding++;
      this.track(this.attempt(pending.app, target, body, Date.now(), 0));
    }
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async attempt(
    app: AppConfig,
    target: WebhookTarget,
    body: string,
    firstTry: number,
    tries: number,
  ) {
    const error = await this.post(app, target, body);
    if (error === null) {
      this.outstanding--;
      this.options.metrics.webhookDeliveries.inc();
      return;
    }
    this.options.metrics.webhookFailures.inc({ reason: 'failed' });
    const delay = Math.min(60_000, 1_000 * 2 ** tries);
    if (this.closing || Date.now() + delay - firstTry > this.options.retryForMs) {
      this.outstanding--;
      this.options.metrics.webhookFailures.inc({ reason: 'dropped' });
      this.options.logger.error({ url: target.url, error, tries: tries + 1 }, 'webhook given up');
      return;
    }
    this.options.logger.warn({ url: target.url, error, retryInMs: delay }, 'webhook failed; will retry');
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.track(this.attempt(app, target, body, firstTry, tries + 1));
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** Returns null on a 2xx answer, else what went wrong. */
  private async post(app: AppConfig, target: WebhookTarget, body: string): Promise<string | null> {
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          ...target.headers,
          'Content-Type': 'application/json',
          'X-Pusher-Key': app.key,
          'X-Pusher-Signature': webhookSignature(app.secret, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

function matches(target: WebhookTarget, event: WebhookEvent): boolean {
  if (target.eventTypes && !target.eventTypes.includes(event.name)) return false;
  if (target.channelPrefix && !event.channel.startsWith(target.channelPrefix)) return false;
  if (target.channelSuffix && !event.channel.endsWith(target.channelSuffix)) return false;
  return true;
}

function leaveKey(app: AppConfig, event: WebhookEvent): string {
  if (event.name === 'member_added' || event.name === 'member_removed') {
    return `${app.id}\u0000${event.channel}\u0000m\u0000${String(event.user_id)}`;
  }
  return `${app.id}\u0000${event.channel}\u0000c`;
}
