/**
 * Shared pieces of the compatibility suite: real clients (pusher-js's Node build, laravel-echo, the `pusher` SDK),
 * a raw `ws` client for protocol-level checks, and a webhook receiver. Everything binds 127.0.0.1 on a free port,
 * every wait is bounded, and everything started here is stopped by `cleanup()` (register it with `after`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import WebSocket from 'ws';
import { type ServerHandle, type StartOptions, startServer, type TestApp } from '../harness.js';
import { Pusher as PusherJs, type PusherOptions } from '../support/pusher-js.js';

export { type ServerHandle, startServer, type TestApp };

/** A fixed 32-byte master key for encrypted channels (base64, as the SDKs take it). */
export const MASTER_KEY_BASE64 = randomBytes(32).toString('base64');

export const DEFAULT_TIMEOUT_MS = 5_000;

// ---- waiting ----------------------------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or rejects with a message naming what was awaited once `ms` have passed. */
export function within<T>(promise: Promise<T>, label: string, ms = DEFAULT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  label: string,
  ms = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await sleep(15);
  }
}

// ---- cleanup ----------------------------------------------------------------------------------------------

const cleanups: Array<() => unknown> = [];

/** Registers something to stop when the test file ends (`after(cleanup)`). */
export function onCleanup(stop: () => unknown): void {
  cleanups.push(stop);
}

/** Stops every client, receiver and server started through this module, newest first. */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const stop = cleanups.pop()!;
    try {
      await stop();
    } catch {
      // Already stopped.
    }
  }
}

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

// ---- the `pusher` Node SDK --------------------------------------------------------------------------------

export function sdkFor(server: ServerHandle, app: TestApp = server.app): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(server.port),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY_BASE64,
  });
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

// ---- raw WebSocket client ---------------------------------------------------------------------------------

export interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string | number;
  position?: string;
  [key: string]: unknown;
}

/** A bare `ws` client that records every frame, for checks below what pusher-js exposes. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Whether the socket closed (set before `closed` resolves). */
  isClosed = false;
  private cursor = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        frame = { event: '(not json)', data: isBinary ? '(binary)' : text };
      }
      this.frames.push(frame);
      this.wake();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    onCleanup(() => this.terminate());
  }

  static open(
    server: ServerHandle,
    options: { key?: string; query?: string; path?: string; origin?: string } = {},
  ) {
    const path = options.path ?? `/app/${options.key ?? server.app.key}`;
    const query = options.query ?? 'protocol=7&client=js&version=8.6.0&flash=false';
    const headers = options.origin ? { Origin: options.origin } : undefined;
    return new RawClient(new WebSocket(`${server.wsUrl}${path}${query ? `?${query}` : ''}`, { headers }));
  }

  /** Opens a connection and waits for `pusher:connection_established`; returns the client and its socket id. */
  static async connect(
    server: ServerHandle,
    options: Parameters<typeof RawClient.open>[1] = {},
  ): Promise<{ client: RawClient; socketId: string; activityTimeout: number }> {
    const client = RawClient.open(server, options);
    const frame = await client.next('pusher:connection_established');
    const data = JSON.parse(frame.data as string) as { socket_id: string; activity_timeout: number };
    return { client, socketId: data.socket_id, activityTimeout: data.activity_timeout };
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * The next frame (after those already consumed) with this event name, optionally on this channel, matching
   * `where`. Frames skipped on the way stay available to `all`, not to later `next` calls.
   */
  next(
    event: string,
    filter: { channel?: string; where?: (frame: Frame) => boolean } = {},
    ms = DEFAULT_TIMEOUT_MS,
  ): Promise<Frame> {
    const label = `"${event}" frame${filter.channel ? ` on ${filter.channel}` : ''}`;
    return this.nextMatching(
      (frame) =>
        frame.event === event &&
        (filter.channel === undefined || frame.channel === filter.channel) &&
        (!filter.where || filter.where(frame)),
      label,
      ms,
    );
  }

  /** The next frame whose event is one of `events`, optionally on `channel`. */
  nextOf(events: string[], channel?: string, ms = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return this.nextMatching(
      (frame) => events.includes(frame.event) && (channel === undefined || frame.channel === channel),
      `${events.join('|')} frame`,
      ms,
    );
  }

  /** Subscribes and returns the `subscription_succeeded` or `subscription_error` frame. */
  subscribe(channel: string, data: object = {}): Promise<Frame> {
    this.send({ event: 'pusher:subscribe', data: { channel, ...data } });
    return this.nextOf(['pusher_internal:subscription_succeeded', 'pusher:subscription_error'], channel);
  }

  private async nextMatching(matches: (frame: Frame) => boolean, label: string, ms: number): Promise<Frame> {
    const until = Date.now() + ms;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (matches(frame)) return frame;
      }
      const left = until - Date.now();
      if (left <= 0 || this.isClosed) {
        throw new Error(
          `no ${label} within ${ms} ms${this.isClosed ? ' (socket closed)' : ''}; got ${JSON.stringify(this.frames).slice(0, 2_000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames received so far with this event name. */
  all(event: string, channel?: string): Frame[] {
    return this.frames.filter(
      (frame) => frame.event === event && (channel === undefined || frame.channel === channel),
    );
  }

  /** Sends a ping and waits for the pong: proves the connection still works after whatever came before. */
  async roundTrip(): Promise<void> {
    this.send({ event: 'pusher:ping', data: {} });
    await this.next('pusher:pong');
  }

  waitClose(ms = DEFAULT_TIMEOUT_MS): Promise<{ code: number; reason: string }> {
    return within(this.closed, 'the socket to close', ms);
  }

  terminate(): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The `data` of a `pusher:*` / `pusher_internal:*` frame, which the server sends as a JSON string. */
export function dataOf<T = Record<string, unknown>>(frame: Frame): T {
  return (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data) as T;
}

// ---- webhook receiver -------------------------------------------------------------------------------------

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
