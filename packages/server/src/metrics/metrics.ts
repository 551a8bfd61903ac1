/** Prometheus metrics (prom-client), one registry per server so several servers can share a process in tests. */
import { Counter, type CounterConfiguration, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface GaugeSource {
  connections(): number;
  subscriptions(): number;
  channels(): number;
  historyBytes(): number;
}

/**
 * A labelled counter that looks its child up by label values instead of letting prom-client validate and hash
 * the label object on every increment (measurable on the publish path). Same `inc(labels, value)` shape.
 */
export class LabelledCounter<L extends string> {
  private readonly children = new Map<string, ReturnType<Counter<L>['labels']>>();
  private readonly counter: Counter<L>;
  private readonly labelNames: readonly L[];

  constructor(configuration: CounterConfiguration<L> & { labelNames: readonly L[] }) {
    this.counter = new Counter(configuration);
    this.labelNames = configuration.labelNames;
  }

  inc(labels: Record<L, string>, value = 1): void {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    let child = this.children.get(key);
    if (!child) {
      child = this.counter.labels(...this.labelNames.map((name) => labels[name]));
      this.children.set(key, child);
    }
    child.inc(value);
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly messagesIn = new LabelledCounter({
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
  readonly httpRequests = new LabelledCounter({
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
  readonly webhookFailures = new LabelledCounter({
    name: 'pressrelay_webhook_failures_total',
    help: 'Webhook attempts that failed (retried), and batches given up (reason="dropped")',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectionsOpened = new LabelledCounter({
    name: 'pressrelay_connections_opened_total',
    help: 'Connections accepted, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly connectionsClosed = new LabelledCounter({
    name: 'pressrelay_connections_closed_total',
    help: 'Connections closed, by close code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly refusals = new LabelledCounter({
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
