/**
 * Two nodes behind Debian's nginx, configured by the documented `deploy/nginx/pressrelay.conf` with this test's
 * ports swapped in: WebSocket (pusher-js), SSE (a spec-following EventSource), long-poll and its upstream POST,
 * all through nginx, with events published through nginx reaching them whichever node serves them.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { EventSource } from 'eventsource';
import Pusher from 'pusher';
import type { RecoveryFailure } from '../../../client/src/index.js';
import { Clients } from '../../../client/test/helpers.js';
import { cleanup, collect, pusherClient, subscribed, waitFor } from '../compat/helpers.js';
import type { ServerHandle } from '../harness.js';
import { APP, startCluster, type TestCluster } from './support/cluster.js';
import { fresh } from './support/core-suite.js';
import { freePort } from './support/redis.js';

const pressRelayClients = new Clients();

const TEMPLATE = new URL('../../../../deploy/nginx/pressrelay.conf', import.meta.url);

interface Nginx {
  port: number;
  stop(): Promise<void>;
}

/** The documented config, with the template's node ports (6001, 6002) and `listen 80` replaced. */
export function configFor(nodes: ServerHandle[], port: number): string {
  let text = readFileSync(TEMPLATE, 'utf8');
  nodes.forEach((node, index) => {
    text = text.replaceAll(`server 127.0.0.1:${6001 + index};`, `server 127.0.0.1:${node.port};`);
  });
  assert.ok(!/server 127\.0\.0\.1:600\d;/.test(text), 'every template node was replaced');
  return text.replace(/listen 80;/, `listen 127.0.0.1:${port};`);
}

async function startNginx(nodes: ServerHandle[]): Promise<Nginx> {
  const found = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (found.error)
    throw new Error('nginx is not installed (Debian: apt-get install nginx); this test never skips');
  const dir = mkdtempSync(join(tmpdir(), 'pressrelay-nginx-'));
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) mkdirSync(join(dir, temp));
  const port = await freePort();
  writeFileSync(join(dir, 'pressrelay.conf'), configFor(nodes, port));
  const root = process.getuid?.() === 0;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${root ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/pressrelay.conf;
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    'nginx to listen',
    10_000,
  );
  return {
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let cluster: TestCluster;
let nginx: Nginx;
let sdk: Pusher;

before(async () => {
  cluster = await startCluster({ nodes: 2 });
  nginx = await startNginx(cluster.nodes);
  sdk = new Pusher({ ...APP, appId: APP.id, host: '127.0.0.1', port: String(nginx.port), useTLS: false });
});
after(async () => {
  pressRelayClients.stopAll();
  await cleanup();
  await nginx?.stop();
  await cluster?.stop();
});

const viaNginx = (): ServerHandle => ({
  ...cluster.nodes[0]!,
  port: nginx.port,
  url: `http://127.0.0.1:${nginx.port}`,
  wsUrl: `ws://127.0.0.1:${nginx.port}`,
});

it('carries WebSocket clients to every node and publishes through nginx reach them all', async () => {
  const channel = fresh('nginx-ws');
  const clients = [0, 1, 2, 3].map(() => pusherClient(viaNginx()));
  const received = await Promise.all(
    clients.map(async (client) => collect<{ n: number }>(await subscribed(client, channel), 'tick')),
  );
  const perNode = await Promise.all(
    cluster.nodes.map(async (node) => {
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      return Number(/^pressrelay_connections (\d+)/m.exec(metrics)?.[1] ?? 0);
    }),
  );
  assert.ok(
    perNode.every((count) => count >= 1),
    `least_conn spreads WebSockets over both nodes: ${perNode}`,
  );
  for (let n = 1; n <= 4; n++) await sdk.trigger(channel, 'tick', { n });
  for (const events of received) {
    await waitFor(() => events.length === 4, 'four events through nginx');
    assert.deepEqual(
      events.map((event) => event.n),
      [1, 2, 3, 4],
    );
  }
});

it('streams SSE through nginx as events happen, with resumable ids', async () => {
  const channel = fresh('nginx-sse');
  const source = new EventSource(`http://127.0.0.1:${nginx.port}/app/${APP.key}/sse?channel=${channel}`);
  const got: Array<{ id: string; data: string }> = [];
  source.addEventListener('tick', (message) => got.push({ id: message.lastEventId, data: message.data }));
  const subscribedEvent = new Promise<void>((resolve) =>
    source.addEventListener('pusher_internal:subscription_succeeded', () => resolve()),
  );
  try {
    await subscribedEvent;
    const sentAt = Date.now();
    await sdk.trigger(channel, 'tick', { n: 1 });
    await waitFor(() => got.length === 1, 'the SSE event', 2_000);
    assert.ok(Date.now() - sentAt < 1_000, 'delivered at once, not held in a proxy buffer');
    assert.match(got[0]!.id, /^[A-Za-z0-9_-]+:1$/);
    await sdk.trigger(channel, 'tick', { n: 2 });
    await waitFor(() => got.length === 2, 'a second SSE event');
  } finally {
    source.close();
  }
});

it('long-polls and posts upstream through nginx to the node holding the session', async () => {
  const base = `http://127.0.0.1:${nginx.port}/app/${APP.key}`;
  type Answer = {
    session: string;
    seq: number;
    messages: Array<{ event: string; channel?: string; data?: string }>;
  };
  const poll = async (query: string): Promise<Answer> => {
    const response = await fetch(`${base}/poll?${query}`);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Answer;
  };
  const first = fresh('nginx-poll');
  const second = fresh('nginx-poll');
  let answer = await poll(`channel=${first}`);
  const { session } = answer;
  const seen = [...answer.messages];
  while (!seen.some((message) => message.event === 'pusher_internal:subscription_succeeded')) {
    answer = await poll(`session=${session}&ack=${answer.seq}`);
    seen.push(...answer.messages);
  }
  const sent = await fetch(`${base}/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ session, messages: [{ event: 'pusher:subscribe', data: { channel: second } }] }),
  });
  assert.equal(sent.status, 200, 'the upstream POST found its session');
  while (!seen.some((m) => m.event === 'pusher_internal:subscription_succeeded' && m.channel === second)) {
    answer = await poll(`session=${session}&ack=${answer.seq}`);
    seen.push(...answer.messages);
  }
  const waiting = poll(`session=${session}&ack=${answer.seq}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await sdk.trigger([first, second], 'tick', { n: 1 });
  let latest = await waiting;
  const delivered = [...latest.messages];
  while (delivered.length < 2) {
    latest = await poll(`session=${session}&ack=${latest.seq}`);
    delivered.push(...latest.messages);
  }
  assert.deepEqual(new Set(delivered.map((message) => message.channel)), new Set([first, second]));
});

/**
 * A publish that nginx had already passed to the node that died gets 502 (nginx cannot know whether a POST was
 * processed, so it does not retry it elsewhere); the WordPress outbox retries any 5xx, and so does this.
 * The node is dead before the next publish is sent, so a retry never duplicates an event.
 */
async function publishLikeTheOutbox(channel: string, data: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sdk.trigger(channel, 'tick', data);
      return;
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      if (status < 500 || attempt >= 5) throw error;
    }
  }
}

it('keeps PressRelay clients whole through nginx when a node is killed mid-stream', async () => {
  const channel = fresh('nginx-failover');
  const victim = cluster.nodes[1]!;
  const connectionsOn = async (node: ServerHandle) =>
    Number(
      /^pressrelay_connections (\d+)/m.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1] ?? 0,
    );
  const before = await connectionsOn(victim);
  const clients = [0, 1, 2, 3].map(() => {
    const client = pressRelayClients.create({
      key: APP.key,
      url: `http://127.0.0.1:${nginx.port}`,
      transports: ['ws'],
    });
    const handle = client.subscribe(channel);
    const ticks: number[] = [];
    const failures: RecoveryFailure[] = [];
    handle.bind('tick', (data) => ticks.push((data as { n: number }).n));
    handle.bind('recovery_failed', (failure) => failures.push(failure as RecoveryFailure));
    return { client, handle, ticks, failures };
  });
  await waitFor(() => clients.every((entry) => entry.handle.subscribed), 'PressRelay clients subscribed');
  assert.ok((await connectionsOn(victim)) > before, 'some of them are on the node about to die');

  const total = 120;
  for (let n = 1; n <= total; n++) {
    await publishLikeTheOutbox(channel, { n });
    if (n === 40) {
      const gone = new Promise((resolve) => victim.process.once('exit', resolve));
      victim.process.kill('SIGKILL');
      await gone;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  for (const entry of clients) {
    await waitFor(() => entry.ticks.length >= total, 'every event after the failover', 15_000);
    assert.deepEqual(
      entry.ticks,
      Array.from({ length: total }, (_, i) => i + 1),
      'in order, none lost or duplicated',
    );
    assert.deepEqual(entry.failures, [], 'recovered from Redis-held history, no recovery_failed');
  }
  cluster.nodes.splice(1, 1);
});
