/**
 * Shared pieces of the compatibility suite: real clients (pusher-js's Node build, laravel-echo, the `pusher` SDK),
 * a raw `ws` client for protocol-level checks, and a webhook receiver. Everything binds 127.0.0.1 on a free port,
 * every wait is bounded, and everything started here is stopped by `cleanup()` (register it with `after`).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Pusher from 'pusher';
import { type ServerHandle, type StartOptions, startServer, type TestApp } from '../harness.js';
import { DEFAULT_TIMEOUT_MS, onCleanup, waitFor, within } from '../support/async.js';
import { sdkFor } from '../support/publisher.js';
import { Pusher as PusherJs, type PusherOptions } from '../support/pusher-js.js';

export { cleanup, DEFAULT_TIMEOUT_MS, onCleanup, sleep, waitFor, within } from '../support/async.js';
export { MASTER_KEY_BASE64, sdkFor } from '../support/publisher.js';
export { dataOf, type Frame, RawClient } from '../support/raw-client.js';
export { type ServerHandle, startServer, type TestApp };

/** Starts a server (the real CLI) that `cleanup()` stops. */
export async function startTestServer(options: StartOptions = {}): Promise<ServerHandle> {
  const server = await startServer(options);
  onCleanup(() => server.stop());
  return server;
}

/** A config file app with defaults filled in for tests. */
export function testApp(
  id: string,
  settings: Record<string, unknown> = {},
): TestApp & Record<string, unknown> {
  return { id, key: `${id}-key`, secret: `${id}-secret`, ...settings };
}

// ---- pusher-js --------------------------------------------------------------------------------------------

/*
 * Test-process hygiene, not a behaviour change: when a server closes a connection with a "refused" code
 * (4001–4099), pusher-js closes its transport again from inside the close handler, and the bundled
 * faye-websocket then arms a 30 s close timer on the already-closed socket that nothing ever clears. In a browser
 * that is harmless; here it would keep each test process alive for 30 s. Closing a closed socket does nothing.
 */
{
  const runtime = (
    PusherJs as unknown as { Runtime: { getWebSocketAPI(): { prototype: Record<string, unknown> } } }
  ).Runtime;
  const prototype = runtime.getWebSocketAPI().prototype as {
    readyState?: number;
    close: (this: { readyState?: number }, ...args: unknown[]) => unknown;
  };
  const close = prototype.close;
  prototype.close = function closeOnce(this: { readyState?: number }, ...args: unknown[]) {
    if (this.readyState === 3) return undefined;
    return close.apply(this, args);
  };
}

export interface ClientOptions {
  app?: TestApp;
  /** Presence data the auth handler signs for presence channels. */
  presence?: { user_id: string | number; user_info?: unknown };
  /** User data the sign-in handler signs. */
  user?: { id: string; user_info?: unknown; watchlist?: string[] };
  /** Replaces the SDK-backed channel authorizer (to forge or refuse auth). */
  authorize?: (socketId: string, channel: string) => { auth: string; channel_data?: string };
  /** Extra pusher-js options. */
  options?: Record<string, unknown>;
}

/** A pusher-js client (Node build) pointed at the server, authorizing through the `pusher` SDK. */
export function pusherClient(server: ServerHandle, client: ClientOptions = {}): PusherJs {
  const app = client.app ?? server.app;
  const sdk = sdkFor(server, app);
  const pusher = new PusherJs(app.key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          if (client.authorize) return callback(null, client.authorize(socketId, channelName));
          const data = channelName.startsWith('presence-') ? client.presence : undefined;
          callback(null, sdk.authorizeChannel(socketId, channelName, data as Pusher.PresenceChannelData));
        } catch (error) {
          callback(error as Error, null);
        }
      },
    },
    userAuthentication: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId }, callback) => {
        try {
          callback(null, sdk.authenticateUser(socketId, client.user as Pusher.UserChannelData));
        } catch (error) {
          callback(error as Error, null);
        }
      },
    },
    ...client.options,
  } as PusherOptions);
  onCleanup(() => pusher.disconnect());
  return pusher;
}

/** A pusher-js client that has connected (resolves once `state` is `connected`). */
export async function connectedClient(server: ServerHandle, client: ClientOptions = {}): Promise<PusherJs> {
  const pusher = pusherClient(server, client);
  await waitForState(pusher, 'connected');
  return pusher;
}

export function waitForState(pusher: PusherJs, state: string, ms = DEFAULT_TIMEOUT_MS): Promise<void> {
  if (pusher.connection.state === state) return Promise.resolve();
  return within(
    new Promise<void>((resolve) => {
      const listener = (change: { current: string }) => {
        if (change.current !== state) return;
        pusher.connection.unbind('state_change', listener);
        resolve();
      };
      pusher.connection.bind('state_change', listener);
    }),
    `pusher-js state "${state}" (now "${pusher.connection.state}")`,
    ms,
  );
}

type Bindable = {
  bind(event: string, callback: (data: unknown, metadata?: unknown) => void): unknown;
  unbind(event: string, callback: (data: unknown, metadata?: unknown) => void): unknown;
};

/** The next `event` on a pusher-js channel, connection, user or watchlist object. */
export function nextEvent<T = unknown>(target: Bindable, event: string, ms = DEFAULT_TIMEOUT_MS): Promise<T> {
  return within(
    new Promise<T>((resolve) => {
      const listener = (data: unknown) => {
        target.unbind(event, listener);
        resolve(data as T);
      };
      target.bind(event, listener);
    }),
    `event "${event}"`,
    ms,
  );
}

/** The next event on a target with its metadata (pusher-js passes `{user_id}` for presence client events). */
export function nextEventWithMetadata<T = unknown>(
  target: Bindable,
  event: string,
  ms = DEFAULT_TIMEOUT_MS,
): Promise<{ data: T; metadata: unknown }> {
  return within(
    new Promise((resolve) => {
      const listener = (data: unknown, metadata?: unknown) => {
        target.unbind(event, listener);
        resolve({ data: data as T, metadata });
      };
      target.bind(event, listener);
    }),
    `event "${event}"`,
    ms,
  );
}

/** Collects every `event` on a target (for asserting what did *not* arrive). */
export function collect<T = unknown>(target: Bindable, event: string): T[] {
  const seen: T[] = [];
  target.bind(event, (data: unknown) => seen.push(data as T));
  return seen;
}

/** Subscribes and waits for `pusher:subscription_succeeded`; rejects on `pusher:subscription_error`. */
export async function subscribed(pusher: PusherJs, channelName: string, ms = DEFAULT_TIMEOUT_MS) {
  const channel = pusher.subscribe(channelName);
  await within(
    new Promise<void>((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', () => resolve());
      channel.bind('pusher:subscription_error', (error: unknown) =>
        reject(new Error(`subscription_error on ${channelName}: ${JSON.stringify(error)}`)),
      );
    }),
    `subscription to ${channelName}`,
    ms,
  );
  return channel;
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** Header names and values as sent (case preserved). */
  rawHeaders: string[];
  rawBody: string;
  body: { time_ms: number; events: Array<Record<string, unknown>> };
  receivedAt: number;
}

/** A local `node:http` receiver for webhooks; answers `status()` (200 by default). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Status to answer with; tests switch it to simulate a failing receiver. */
  status = 200;
  /** Milliseconds to wait before answering (a slow receiver). */
  delayMs = 0;
  requests = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/webhook'): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const self = receiver!;
        self.requests++;
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const answer = () => {
          if (self.status >= 200 && self.status < 300) {
            self.received.push({
              headers: request.headers,
              rawHeaders: request.rawHeaders,
              rawBody,
              body: JSON.parse(rawBody) as ReceivedWebhook['body'],
              receivedAt: Date.now(),
            });
          }
          response.writeHead(self.status, { 'Content-Type': 'text/plain' });
          response.end('ok');
        };
        if (self.delayMs > 0) setTimeout(answer, self.delayMs).unref();
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    onCleanup(() => receiver!.stop());
    return receiver;
  }

  /** Every event received so far, flattened, with the request it came in. */
  events(): Array<{ event: Record<string, unknown>; request: ReceivedWebhook }> {
    return this.received.flatMap((request) => request.body.events.map((event) => ({ event, request })));
  }

  /** Waits for an event matching `where`. */
  async waitForEvent(
    where: (event: Record<string, unknown>) => boolean,
    label: string,
    ms = DEFAULT_TIMEOUT_MS,
  ): Promise<{ event: Record<string, unknown>; request: ReceivedWebhook }> {
    return waitFor(() => this.events().find(({ event }) => where(event)), `webhook ${label}`, ms);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---- plain HTTP -------------------------------------------------------------------------------------------

/** A signed HTTP API request built by the `pusher` SDK's own signer, sent with fetch (for raw status checks). */
export async function signedFetch(
  server: ServerHandle,
  method: 'GET' | 'POST',
  subPath: string,
  options: {
    body?: string;
    params?: Record<string, string>;
    app?: TestApp;
    tamper?: (query: string) => string;
  } = {},
): Promise<Response> {
  const app = options.app ?? server.app;
  const sdk = sdkFor(server, app);
  const path = `/apps/${app.id}${subPath}`;
  let query = sdk.createSignedQueryString({ method, path, params: options.params ?? {}, body: options.body });
  if (options.tamper) query = options.tamper(query);
  return fetch(`${server.url}${path}?${query}`, {
    method,
    headers: options.body ? { 'Content-Type': 'application/json' } : {},
    body: options.body,
  });
}
