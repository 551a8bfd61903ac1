/** HTTP helpers for the suite: a cookie session (log in like a browser), timing, a blackhole server. */
import { createServer, type Server, type Socket } from 'node:net';

export interface Session {
  cookie: string;
  nonce: string;
  userId: number;
}

function cookiesOf(response: Response): string[] {
  return response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
}

/** Logs in through wp-login.php and fetches a REST nonce for that session. */
export async function login(siteUrl: string, user: string, password: string): Promise<Session> {
  const form = new URLSearchParams({ log: user, pwd: password, testcookie: '1', 'wp-submit': 'Log In' });
  const response = await fetch(`${siteUrl}/wp-login.php`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  const cookies = cookiesOf(response).filter((c) => c.startsWith('wordpress_'));
  if (response.status !== 302 || cookies.length === 0)
    throw new Error(`login as ${user} failed: HTTP ${response.status}`);
  const cookie = cookies.join('; ');
  const nonceResponse = await fetch(`${siteUrl}/wp-admin/admin-ajax.php?action=rest-nonce`, {
    headers: { cookie },
    signal: AbortSignal.timeout(15_000),
  });
  const nonce = (await nonceResponse.text()).trim();
  if (!/^[0-9a-f]{10}$/.test(nonce)) throw new Error(`no REST nonce for ${user}: ${nonce.slice(0, 200)}`);
  const me = await fetch(`${siteUrl}/?rest_route=/wp/v2/users/me`, {
    headers: { cookie, 'X-WP-Nonce': nonce },
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await me.json()) as { id?: number };
  return { cookie, nonce, userId: body.id ?? 0 };
}

/** Milliseconds one request takes, until the whole body has arrived. */
export async function timeRequest(
  url: string,
  init: RequestInit = {},
): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers: an unreachable realtime server. */
export async function startBlackhole(): Promise<{
  port: number;
  connections(): number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
