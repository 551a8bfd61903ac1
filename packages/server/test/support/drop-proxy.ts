/**
 * A TCP proxy on 127.0.0.1 that can cut every connection through it at once, to simulate network drops and
 * servers going away mid-stream. `block()` also refuses new connections until `unblock()`.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DropProxy {
  port: number;
  /** Connections currently open through the proxy. */
  count(): number;
  /** Cuts every open connection; `side` says which end is closed first. */
  dropAll(side?: 'server' | 'client'): number;
  /** Cuts one random open connection; returns false when there is none. */
  dropRandom(random?: () => number): boolean;
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

export async function startDropProxy(targetPort: number): Promise<DropProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const cut = ([client, upstream]: [Socket, Socket], side: 'server' | 'client') => {
    if (side === 'server') {
      upstream.destroy();
      client.destroy();
    } else {
      client.destroy();
      upstream.destroy();
    }
  };

  return {
    port,
    count: () => pairs.size,
    dropAll(side = 'server') {
      const all = [...pairs];
      for (const pair of all) cut(pair, side);
      return all.length;
    },
    dropRandom(random = Math.random) {
      const all = [...pairs];
      if (all.length === 0) return false;
      cut(all[Math.floor(random() * all.length)]!, random() < 0.5 ? 'server' : 'client');
      return true;
    },
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
    },
    async close() {
      for (const pair of [...pairs]) cut(pair, 'server');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
