/**
 * The composition root: config → adapter → hub → protocol handler → transports → HTTP. The only module that
 * knows every part.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AppsApi } from './api/apps-api.js';
import { sendJson } from './api/http.js';
import { health, metrics as metricsEndpoint, ready } from './api/ops.js';
import { AppRegistry } from './apps/registry.js';
import type { ServerConfig } from './apps/schema.js';
import { Hub } from './channels/hub.js';
import type { Adapter } from './cluster/adapter.js';
import { createAdapter } from './cluster/create.js';
import { BurstScheduler } from './connections/burst-scheduler.js';
import {
  announceMemberLeft,
  announceVacated,
  resetChannel,
  resetConnections,
} from './connections/cluster-events.js';
import { configureBackpressure } from './connections/connection.js';
import { ConnectionHandler } from './connections/handler.js';
import { startLiveness } from './connections/liveness.js';
import { refuse, type Services } from './connections/services.js';
import { notifyWatchers, terminateLocal } from './connections/users.js';
import { Metrics } from './metrics/metrics.js';
import { ConnectionErrors } from './protocol/errors.js';
import { SessionRegistry } from './transports/http-common.js';
import { HttpTransports } from './transports/http-routes.js';
import { WebSocketEndpoint } from './transports/websocket.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

/**
 * Connections the kernel may hold completed but not yet accepted (capped by `net.core.somaxconn`). The libuv in
 * Node 20 accepts one connection per event-loop iteration, so while turns are busy a reconnect storm queues up:
 * 230 of 1,000 reconnecting clients waited at once in the recovery bench (docs/benchmarks.md). Past Node's default
 * of 511 the kernel drops handshakes, and each dropped client waits a SYN retransmission (1 s, then 3 s).
 */
const LISTEN_BACKLOG = 4096;

export interface Address {
  host: string;
  port: number;
}

export class PressRelayServer {
  readonly apps: AppRegistry;
  readonly hub: Hub;
  readonly metrics: Metrics;
  readonly adapter: Adapter;
  private readonly services: Services;
  private readonly http: Server;
  private readonly websocket: WebSocketEndpoint;
  private readonly api: AppsApi;
  private readonly httpTransports: HttpTransports;
  private shuttingDown = false;
  private stopLiveness: (() => void) | null = null;

  constructor(
    readonly config: ServerConfig,
    logger: Logger,
  ) {
    this.apps = new AppRegistry(config.apps);
    this.adapter = createAdapter(config, logger, (appId) => this.apps.findById(appId));
    this.hub = new Hub((count) => this.metrics.messagesOut.inc(count));
    this.metrics = new Metrics({
      connections: () => this.hub.stats().connections,
      subscriptions: () => this.hub.stats().subscriptions,
      channels: () => this.hub.stats().channels,
      historyBytes: () => 0,
    });
    const webhooks = new WebhookDispatcher({
      batchMs: config.webhookBatchMs,
      leaveDelayMs: config.webhookLeaveDelayMs,
      retryForMs: config.webhookRetryForMs,
      logger: logger.child({ component: 'webhooks' }),
      metrics: this.metrics,
    });
    this.services = {
      hub: this.hub,
      adapter: this.adapter,
      webhooks,
      metrics: this.metrics,
      logger,
      bursts: new BurstScheduler(),
    };
    const handler = new ConnectionHandler(this.services);
    configureBackpressure(config.maxBufferedBytes, (connection) =>
      refuse(this.services, connection, ConnectionErrors.SLOW_CONSUMER),
    );
    this.websocket = new WebSocketEndpoint({
      apps: this.apps,
      hub: this.hub,
      handler,
      isShuttingDown: () => this.shuttingDown,
    });
    this.httpTransports = new HttpTransports({
      apps: this.apps,
      hub: this.hub,
      handler,
      sessions: new SessionRegistry(),
      isShuttingDown: () => this.shuttingDown,
    });
    this.api = new AppsApi({
      apps: this.apps,
      adapter: this.adapter,
      metrics: this.metrics,
      logger,
      maxRequestBytes: config.maxRequestBytes,
    });
    this.http = createHttpServer({ keepAliveTimeout: 65_000 }, (request, response) => {
      this.onRequest(request, response).catch((error: unknown) => {
        logger.error({ err: error, url: request.url }, 'request failed');
        if (!response.headersSent) sendJson(response, 500, { error: 'internal error; see the server log' });
        else response.destroy();
      });
    });
    this.http.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
  }

  async start(): Promise<Address> {
    await this.adapter.start({
      deliver: (appId, channel, message) => this.hub.deliver(appId, channel, message),
      terminateUser: (appId, userId) => terminateLocal(this.services, appId, userId),
      userPresenceChanged: (appId, userId, online) => notifyWatchers(this.services, appId, userId, online),
      memberLeft: (appId, channel, member) => {
        const app = this.apps.findById(appId);
        if (app) announceMemberLeft(this.services, app, channel, member);
      },
      channelVacated: (appId, channel) => {
        const app = this.apps.findById(appId);
        if (app) announceVacated(this.services, app, channel);
      },
      resetChannel: (appId, channel) => resetChannel(this.services, appId, channel),
      resetConnections: () => resetConnections(this.services),
    });
    this.stopLiveness = startLiveness(this.services, this.hub);
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ port: this.config.port, host: this.config.host, backlog: LISTEN_BACKLOG }, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const address = this.http.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    return { host: this.config.host, port };
  }

  /**
   * Graceful stop: report not ready, stop accepting, close every client with 4200 (reconnect now, elsewhere),
   * flush webhooks, stop the adapter. Bounded by `shutdownTimeoutMs`.
   *
   * The port stays open until the webhooks are flushed, so `/ready` can answer 503 meanwhile and new WebSocket
   * clients are turned away with 4200 (they are not accepted) instead of meeting a closed port.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    const connections = [...this.hub.allConnections()];
    for (const connection of connections) {
      refuse(this.services, connection, ConnectionErrors.SERVER_SHUTTING_DOWN);
    }
    this.stopLiveness?.();
    await waitUntil(() => this.hub.stats().connections === 0, Math.min(2_000, remaining(deadline)));
    // Each closed connection's cleanup (presence leave, counts, webhooks) must reach the adapter before it stops.
    await Promise.race([
      Promise.allSettled(connections.map((connection) => connection.inbound)),
      sleep(Math.min(2_000, remaining(deadline))),
    ]);
    await this.services.webhooks.flush(remaining(deadline));
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.adapter.stop();
    // Upgraded sockets were closed above; this ends keep-alive API connections and streams still open.
    this.http.closeAllConnections();
    await Promise.race([closed, sleep(remaining(deadline))]);
  }

  readiness(): string | null {
    if (this.shuttingDown) return 'shutting down';
    if (!this.adapter.isHealthy()) return 'adapter unavailable';
    return null;
  }

  private async onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { path, search } = this.splitUrl(request.url ?? '/');
    if (path === null) return sendJson(response, 404, { error: 'not found' });
    if (path.startsWith('/apps/')) return this.api.handle(request, response, path, search);
    if (await this.httpTransports.handle(request, response, path, search)) return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (path === '/health') return health(response);
      if (path === '/ready') return ready(response, this.readiness());
      if (path === '/metrics' && this.config.metrics) return metricsEndpoint(response, this.metrics);
      if (path === '/')
        return sendJson(response, 200, { name: 'pressrelay', ready: this.readiness() === null });
    }
    sendJson(response, 404, { error: `no route ${request.method} ${path}` });
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { path, search } = this.splitUrl(request.url ?? '/');
    if (path === null || !path.startsWith('/app/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    void this.services.bursts.run(() => this.websocket.upgrade(request, socket, head, path, search));
  }

  /** Splits a request URL and strips the mount prefix; `path` is null when the prefix does not match. */
  private splitUrl(url: string): { path: string | null; search: URLSearchParams } {
    const queryAt = url.indexOf('?');
    let path = queryAt < 0 ? url : url.slice(0, queryAt);
    const search = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1));
    const prefix = this.config.pathPrefix;
    if (prefix) {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) return { path: null, search };
      path = path.slice(prefix.length) || '/';
    }
    return { path, search };
  }
}

function remaining(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await sleep(20);
}
