/** Prometheus metrics (prom-client), one registry per server so several servers can share a process in tests. */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface GaugeSource {
  connections(): number;
  subscriptions(): number;
  channels(): number;
  historyBytes(): number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly messagesIn = new Counter({
    name: 'pressrelay_messages_in_total',
    help: 'Messages received: HTTP-published events per channel, and client frames by transport',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly messagesOut = new Counter({
    name: 'pressrelay_messages_out_total',
    help: 'Channel messages delivered to connections',
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'pressrelay_http_api_requests_total',
    help: 'HTTP API requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'pressrelay_webhook_deliveries_total',
    help: 'Webhook requests that a receiver accepted',
    registers: [this.registry],
  });
  readonly webhookFailures = new Counter({
    name: 'pressrelay_webhook_failures_total',
    help: 'Webhook attempts that failed (retried), and batches given up (reason="dropped")',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectionsOpened = new Counter({
    name: 'pressrelay_connections_opened_total',
    help: 'Connections accepted, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly connectionsClosed = new Counter({
    name: 'pressrelay_connections_closed_total',
    help: 'Connections closed, by close code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'pressrelay_refusals_total',
    help: 'Protocol refusals sent to clients, by error',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });

  constructor(source: GaugeSource) {
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('pressrelay_connections', 'Open connections on this node', () => source.connections());
    gauge('pressrelay_subscriptions', 'Channel subscriptions on this node', () => source.subscriptions());
    gauge('pressrelay_channels', 'Channels with at least one subscriber on this node', () =>
      source.channels(),
    );
    gauge('pressrelay_history_bytes', 'Estimated memory held by channel history', () =>
      source.historyBytes(),
    );
  }
}
