/**
 * Shared pieces of the client's integration tests: the real server (started as users start it), a TCP proxy
 * in front of it that can cut every connection and refuse new ones (a network drop), an app auth endpoint
 * signing with the `pusher` SDK, and a bounded wait.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import type Pusher from 'pusher';
import { WebSocket } from 'ws';
import { type ServerHandle, startServer } from '../../server/test/harness.js';
import { Client, type ClientConfig } from '../src/index.js';

export { sdkFor as publisher } from '../../server/test/support/publisher.js';
export { startProxy, type TcpProxy } from '../../server/test/support/tcp-proxy.js';
export { type ServerHandle, startServer };

/** Polls `check` every 10 ms until it returns a truthy value; fails after `timeoutMs` with `what`. */
export async function waitFor<T>(check: () => T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resume) => setTimeout(resume, 10));
  }
}

export interface AuthServer {
  url: string;
  /** Requests received, for assertions on headers and params. */
  requests: Array<{ path: string; headers: Record<string, unknown>; form: URLSearchParams }>;
  close(): Promise<void>;
}

/**
 * A tiny app auth endpoint, like the WordPress plugin's: `POST /auth` (channels) and `POST /user-auth` (signin).
 * It requires the header `X-WP-Nonce: good-nonce` and answers 403 without it. Presence users come from the
 * form param `user` (sent through the client's `auth.params`).
 */
export async function startAuthServer(pusher: Pusher): Promise<AuthServer> {
  const requests: AuthServer['requests'] = [];
  const server: Server = createHttpServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const form = new URLSearchParams(body);
    requests.push({ path: request.url ?? '', headers: request.headers, form });
    const reply = (status: number, payload: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    if (request.headers['x-wp-nonce'] !== 'good-nonce') return reply(403, { error: 'bad nonce' });
    const socketId = form.get('socket_id') ?? '';
    const user = form.get('user') ?? 'anonymous';
    if (request.url === '/user-auth') {
      return reply(200, pusher.authenticateUser(socketId, { id: user, user_info: { name: `User ${user}` } }));
    }
    const channel = form.get('channel_name') ?? '';
    if (channel.startsWith('presence-')) {
      return reply(
        200,
        pusher.authorizeChannel(socketId, channel, { user_id: user, user_info: { name: `User ${user}` } }),
      );
    }
    return reply(200, pusher.authorizeChannel(socketId, channel));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** A Node client with fast reconnects, closed by `clients.stopAll()`. */
export class Clients {
  private readonly all: Client[] = [];

  create(config: Omit<ClientConfig, 'WebSocket'> & Partial<Pick<ClientConfig, 'WebSocket'>>): Client {
    const client = new Client({ WebSocket, reconnect: { baseMs: 50, maxMs: 400 }, ...config });
    this.all.push(client);
    return client;
  }

  stopAll(): void {
    for (const client of this.all.splice(0)) client.disconnect();
  }
}

/** Resolves with the channel's next `pusher:subscription_succeeded` payload (bounded). */
export function subscribed(
  channel: { bind(event: string, callback: (data: unknown) => void): unknown },
  timeoutMs = 10_000,
) {
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no subscription_succeeded in time')), timeoutMs);
    channel.bind('pusher:subscription_succeeded', (data) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}
