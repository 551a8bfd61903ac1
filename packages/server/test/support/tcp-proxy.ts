/**
 * A TCP proxy on 127.0.0.1 in front of a server, for tests of what the network does to connections: cut every
 * connection (a drop), cut one at random, refuse new ones (the network is down), close those whose first bytes
 * match (a proxy that blocks WebSockets), keep them open but silent (a dead path), or point at another port.
 */
import { once } from 'node:events';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Destroys every open connection (both sides see a reset). */
  drop(): void;
  /** Destroys one open connection, chosen at random; false when there is none. */
  dropRandom(random?: () => number): boolean;
  /** Connections currently open through the proxy. */
  count(): number;
  /** While true, new connections are closed at once (the network is down). */
  refuse(refusing: boolean): void;
  /**
   * Closes new connections whose first bytes match (e.g. `/Upgrade: websocket/i` blocks WebSockets the way
   * some corporate proxies do, `/^GET [^ ]*\/sse/` blocks SSE); null lets everything through again.
   */
  block(pattern: RegExp | null): void;
  /** Open connections stay open but carry nothing any more, either way (a silently dead network path). */
  blackhole(): void;
  /**
   * Resets the black-holed connections, as TCP eventually does when its retransmissions time out; returns how many.
   * A client without a heartbeat watchdog of its own (a bare `EventSource`) only notices a dead path then.
   */
  resetBlackholed(): number;
  /** Points new connections at another port (a restarted server). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const connections = new Map<[Socket, Socket], { silent: boolean }>();
  let refusing = false;
  let blocked: RegExp | null = null;
  let target = targetPort;
  const server = createTcpServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    client.once('data', (first: Buffer) => {
      if (refusing || blocked?.test(first.toString('latin1'))) {
        client.destroy();
        return;
      }
      const upstream = connect(target, '127.0.0.1');
      const pair = { silent: false };
      const ends: [Socket, Socket] = [client, upstream];
      connections.set(ends, pair);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => {
          sockets.delete(socket);
          connections.delete(ends);
          client.destroy();
          upstream.destroy();
        });
      }
      upstream.write(first);
      // Forward by hand (not pipe) so that a black-holed pair can swallow data while its sockets stay open.
      client.on('data', (chunk: Buffer) => {
        if (!pair.silent) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!pair.silent) client.write(chunk);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const drop = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    drop,
    dropRandom: (random = Math.random) => {
      const all = [...connections.keys()];
      const chosen = all[Math.floor(random() * all.length)];
      if (!chosen) return false;
      for (const socket of chosen) socket.destroy();
      return true;
    },
    count: () => connections.size,
    refuse: (value) => {
      refusing = value;
    },
    blackhole: () => {
      for (const pair of connections.values()) pair.silent = true;
    },
    resetBlackholed: () => {
      let reset = 0;
      for (const [ends, pair] of connections) {
        if (!pair.silent) continue;
        for (const socket of ends) socket.destroy();
        reset++;
      }
      return reset;
    },
    block: (pattern) => {
      blocked = pattern;
    },
    retarget: (value) => {
      target = value;
    },
    close: async () => {
      drop();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
