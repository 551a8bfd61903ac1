/**
 * What the HTTP transports (SSE, long-poll, pusher-js xhr) share: app lookup and admission checks, CORS, the
 * session-token registry, and opening a connection with its URL channels subscribed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AppRegistry, originAllowed } from '../apps/registry.js';
import type { AppConfig } from '../apps/schema.js';
import type { Hub } from '../channels/hub.js';
import { Connection, type Transport } from '../connections/connection.js';
import type { ConnectionHandler } from '../connections/handler.js';
import { newSessionToken, newSocketId } from '../connections/socket-id.js';
import { channelNameProblem, channelType } from '../protocol/channels.js';
import { HttpError } from '../protocol/errors.js';
import { decodeStreamId, formatPosition, type Position } from '../protocol/positions.js';

export interface HttpTransportContext {
  apps: AppRegistry;
  hub: Hub;
  handler: ConnectionHandler;
  sessions: SessionRegistry;
  isShuttingDown: () => boolean;
}

/** Session token → connection, for the upstream `POST /app/{key}/send` of SSE and long-poll connections. */
export class SessionRegistry {
  private readonly connections = new Map<string, Connection>();

  add(token: string, connection: Connection): void {
    this.connections.set(token, connection);
  }

  get(token: string): Connection | undefined {
    return this.connections.get(token);
  }

  delete(token: string): void {
    this.connections.delete(token);
  }
}

/** Finds the app for a key and checks it may take a connection from this origin. */
export function admit(context: HttpTransportContext, key: string, request: IncomingMessage): AppConfig {
  if (context.isShuttingDown()) {
    throw new HttpError(503, 'SHUTTING_DOWN', 'Server closed. Please reconnect shortly.', {
      'Retry-After': '1',
    });
  }
  const app = context.apps.findByKey(key);
  if (!app) throw new HttpError(404, 'APP_NOT_FOUND', 'Application does not exist');
  if (!app.enabled) throw new HttpError(403, 'APP_DISABLED', 'Application is disabled');
  if (!originAllowed(request.headers.origin, app.allowedOrigins)) {
    throw new HttpError(403, 'ORIGIN_NOT_ALLOWED', 'Origin not allowed');
  }
  return app;
}

/**
 * CORS for browser clients on other origins. Returns the headers to send; the origin was already checked by
 * `admit` where an app is known.
 */
export function corsHeaders(request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin;
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Last-Event-ID',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

export function preflight(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(204, corsHeaders(request));
  response.end();
}

/** The `channel` query parameters: valid names of channels that need no auth. */
export function urlChannels(app: AppConfig, search: URLSearchParams): string[] {
  const channels = [...new Set(search.getAll('channel'))];
  if (channels.length > app.limits.maxSubscriptionsPerConnection) {
    throw new HttpError(
      400,
      'TOO_MANY_CHANNELS',
      `at most ${app.limits.maxSubscriptionsPerConnection} channels`,
    );
  }
  for (const channel of channels) {
    const problem = channelNameProblem(channel, app.limits.maxChannelNameLength);
    if (problem) throw new HttpError(400, 'INVALID_CHANNEL', `${JSON.stringify(channel)}: ${problem}`);
    const type = channelType(channel);
    if (type.requiresAuth || type.kind === 'user') {
      throw new HttpError(
        400,
        'AUTH_REQUIRED',
        `${channel} needs auth: subscribe to it with pusher:subscribe through POST /app/{key}/send`,
      );
    }
  }
  return channels;
}

/** Resume positions for the URL channels: the `Last-Event-ID` header wins over the `last_event_id` parameter. */
export function resumePositions(request: IncomingMessage, search: URLSearchParams, count: number) {
  const header = request.headers['last-event-id'];
  const id = (Array.isArray(header) ? header[0] : header) ?? search.get('last_event_id');
  return id ? decodeStreamId(id, count) : new Array<Position | null>(count).fill(null);
}

export interface SessionOptions<T extends Transport> {
  app: AppConfig;
  channels: readonly string[];
  resume: ReadonlyArray<Position | null>;
  /** Builds the transport; it must call `onEnd` once, when the connection is over. */
  transport: (token: string, onEnd: (code: number) => void) => T;
  /** Keep the token this long after the end, so a client can still collect what was queued. */
  keepTokenMs?: number;
  /** Called before admission starts (e.g. to hand the transport its first request). */
  beforeOpen?: (transport: T) => void;
}

/**
 * Opens a connection for an HTTP transport: a session token for the upstream, admission through the protocol
 * handler (with the token in `connection_established`), then the URL channels subscribed where they resume.
 */
export function openSession<T extends Transport>(
  context: HttpTransportContext,
  options: SessionOptions<T>,
): T {
  const token = newSessionToken();
  let connection: Connection | null = null;
  const transport = options.transport(token, (code) => {
    if (options.keepTokenMs) setTimeout(() => context.sessions.delete(token), options.keepTokenMs).unref();
    else context.sessions.delete(token);
    if (connection) context.handler.closed(connection, code);
  });
  const opened = new Connection(newSocketId(context.hub, options.app.id), options.app, transport, Date.now());
  connection = opened;
  context.sessions.add(token, opened);
  options.beforeOpen?.(transport);
  void context.handler.open(opened, { session: token }).then((admitted) => {
    if (admitted) subscribeUrlChannels(context.handler, opened, options.channels, options.resume);
  });
  return transport;
}

/** Subscribes the URL channels through the normal protocol path, each resuming where the client left off. */
export function subscribeUrlChannels(
  handler: ConnectionHandler,
  connection: Connection,
  channels: readonly string[],
  resume: ReadonlyArray<Position | null>,
): void {
  channels.forEach((channel, index) => {
    const position = resume[index];
    const data = position ? { channel, resume_from: formatPosition(position) } : { channel };
    handler.receive(connection, JSON.stringify({ event: 'pusher:subscribe', data }));
  });
}
