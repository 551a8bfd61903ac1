/**
 * Running the server as a user does: health, readiness and Prometheus metrics, structured logs, configuration by
 * environment and by file (a bad file stops the start naming the field), the `pressrelay` CLI (`trigger`,
 * `--help`), SIGTERM (4200 to every client, webhooks flushed, exit 0 in bounded time), a mount prefix, and slow
 * consumers (4100).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { CLI_PATH } from '../harness.js';
import {
  cleanup,
  connectedClient,
  dataOf,
  nextEvent,
  pusherClient,
  RawClient,
  sdkFor,
  signedFetch,
  startServer,
  startTestServer,
  subscribed,
  testApp,
  WebhookReceiver,
  waitFor,
  waitForState,
  within,
} from './helpers.js';

after(cleanup);

/** Runs the CLI to completion. */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return within(
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI_PATH, ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    }),
    `pressrelay ${args.join(' ')}`,
    10_000,
  );
}

describe('health, readiness, metrics and logs', () => {
  it('answers /health and /ready while running', async () => {
    const server = await startTestServer();
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true });
  });

  it('exports Prometheus metrics for connections, subscriptions, channels, messages, HTTP API and webhooks', async () => {
    const receiver = await WebhookReceiver.start();
    const server = await startTestServer({ env: { PRESSRELAY_WEBHOOK_URL: receiver.url } });
    const pusher = await connectedClient(server);
    await subscribed(pusher, 'metrics-a');
    const channel = await subscribed(pusher, 'metrics-b');
    const received = nextEvent(channel, 'counted');
    await sdkFor(server).trigger(['metrics-a', 'metrics-b'], 'counted', {});
    await received;
    await signedFetch(server, 'GET', '/channels', {
      tamper: (query) => query.replace('auth_signature=', 'auth_signature=0'),
    });
    await waitFor(() => receiver.received.length > 0, 'a webhook delivery');

    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    const value = (pattern: RegExp) => {
      const match = pattern.exec(text);
      assert.ok(match, `metric ${pattern}`);
      return Number(match[1]);
    };
    assert.equal(value(/^pressrelay_connections (\d+)$/m), 1);
    assert.equal(value(/^pressrelay_subscriptions (\d+)$/m), 2);
    assert.equal(value(/^pressrelay_channels (\d+)$/m), 2);
    assert.equal(value(/^pressrelay_messages_in_total\{source="http"\} (\d+)$/m), 2);
    assert.ok(value(/^pressrelay_messages_in_total\{source="ws"\} (\d+)$/m) >= 2);
    assert.equal(value(/^pressrelay_messages_out_total (\d+)$/m), 2);
    assert.equal(value(/^pressrelay_http_api_requests_total\{route="events",status="200"\} (\d+)$/m), 1);
    assert.equal(value(/^pressrelay_http_api_requests_total\{route="channels",status="401"\} (\d+)$/m), 1);
    assert.ok(value(/^pressrelay_webhook_deliveries_total (\d+)$/m) >= 1);
    assert.match(text, /^# TYPE pressrelay_webhook_failures_total counter$/m);
    assert.match(text, /^pressrelay_connections_opened_total\{transport="ws"\} 1$/m);
  });

  it('logs structured JSON lines (pino)', async () => {
    const server = await startTestServer();
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    assert.ok(lines.length > 0);
    const listening = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'listening');
    assert.ok(listening);
    assert.equal(listening.port, server.port);
    assert.equal(typeof listening.level, 'number');
    assert.equal(typeof listening.time, 'number');
    assert.equal(listening.service, 'pressrelay');
  });
});

describe('SIGTERM', () => {
  it('reports not ready, closes clients with 4200, flushes webhooks and exits 0 in bounded time', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.delayMs = 300;
    const server = await startTestServer({ env: { PRESSRELAY_WEBHOOK_URL: receiver.url } });
    const pusher = pusherClient(server);
    await waitForState(pusher, 'connected');
    await subscribed(pusher, 'shutdown-room');
    const raw = await RawClient.connect(server);
    await raw.client.subscribe('shutdown-room');
    await receiver.waitForEvent((event) => event.name === 'channel_occupied', 'channel_occupied');
    const reconnecting = new Promise<string>((resolve) =>
      pusher.connection.bind('state_change', (change: { current: string }) => {
        if (change.current !== 'connected') resolve(change.current);
      }),
    );

    const stopped = Date.now();
    const exit = server.stop('SIGTERM');
    const closed = await raw.client.waitClose();
    assert.equal(closed.code, 4200);
    assert.deepEqual(dataOf(await raw.client.next('pusher:error')), {
      code: 4200,
      message: 'Server closed. Please reconnect shortly.',
    });
    // pusher-js treats 4200 as "reconnect now".
    assert.equal(await within(reconnecting, 'pusher-js leaving "connected"'), 'connecting');

    // Readiness is false while webhooks are flushed; new clients are turned away with 4200 meanwhile.
    const ready = await fetch(`${server.url}/ready`).catch(() => null);
    if (ready) {
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { ready: boolean }).ready, false);
      const late = RawClient.open(server);
      const refusal = await late.nextOf(['pusher:error', 'pusher:connection_established']);
      assert.deepEqual(dataOf(refusal), { code: 4200, message: 'Server closed. Please reconnect shortly.' });
    }
    assert.ok(ready, '/ready answered during shutdown');

    assert.equal(await within(exit, 'exit', 12_000), 0);
    assert.ok(Date.now() - stopped < 10_000, 'bounded');
    // The vacated webhook (normally delayed 3 s) was flushed before the exit.
    assert.ok(
      receiver
        .events()
        .some(({ event }) => event.name === 'channel_vacated' && event.channel === 'shutdown-room'),
    );
    pusher.disconnect();
  });

  it('exits 0 promptly with no clients', async () => {
    const server = await startTestServer();
    const started = Date.now();
    assert.equal(await within(server.stop('SIGTERM'), 'exit', 5_000), 0);
    assert.ok(Date.now() - started < 3_000);
  });
});

describe('configuration', () => {
  it('configures one app from PRESSRELAY_APP_* with client messages off by default', async () => {
    const server = await startTestServer({
      env: {
        PRESSRELAY_APP_ID: 'env-id',
        PRESSRELAY_APP_KEY: 'env-key',
        PRESSRELAY_APP_SECRET: 'env-secret',
      },
    });
    assert.equal(server.app.key, 'env-key');
    const { client, socketId } = await RawClient.connect(server, { key: 'env-key' });
    await client.subscribe('private-env', sdkFor(server).authorizeChannel(socketId, 'private-env'));
    client.send({ event: 'client-x', channel: 'private-env', data: {} });
    assert.match(
      dataOf<{ message: string }>(await client.next('pusher:error')).message,
      /enable this feature/,
    );
    assert.equal((await sdkFor(server).trigger('env', 'e', {})).status, 200);
  });

  it('reads PRESSRELAY_ENABLE_CLIENT_MESSAGES and sends webhooks to every PRESSRELAY_WEBHOOK_URL', async () => {
    const [one, two] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
    const server = await startTestServer({
      env: { PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'true', PRESSRELAY_WEBHOOK_URL: `${one.url},${two.url}` },
    });
    const sender = await connectedClient(server);
    const receiver = await connectedClient(server);
    const senderChannel = await subscribed(sender, 'private-env-chat');
    const received = nextEvent(await subscribed(receiver, 'private-env-chat'), 'client-hi');
    senderChannel.trigger('client-hi', { ok: true });
    assert.deepEqual(await received, { ok: true });
    for (const hook of [one, two]) {
      await hook.waitForEvent((event) => event.name === 'client_event', 'client_event');
    }
  });

  it('serves several apps from a PRESSRELAY_CONFIG file, each with its own settings', async () => {
    const first = testApp('file-one');
    const second = testApp('file-two', { enableClientMessages: true });
    const server = await startTestServer({ config: { apps: [first, second] } });
    for (const app of [first, second]) {
      const { client } = await RawClient.connect(server, { key: app.key });
      await client.subscribe(`shared-${app.id}`);
      await sdkFor(server, app).trigger(`shared-${app.id}`, 'hello', {});
      await client.next('hello');
    }
    // Apps are isolated: the same channel name in two apps is two channels.
    const { client } = await RawClient.connect(server, { key: first.key });
    await client.subscribe('same-name');
    await sdkFor(server, second).trigger('same-name', 'other-app', {});
    await sdkFor(server, first).trigger('same-name', 'this-app', {});
    await client.next('this-app');
    assert.equal(client.all('other-app').length, 0);
    // Credentials of one app do not work for the other.
    await assert.rejects(sdkFor(server, { ...second, secret: first.secret }).trigger('x', 'e', {}), {
      status: 401,
    });
  });

  it('refuses to start with an invalid config file, naming the file and the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ apps: [{ id: 'a', key: 'k' }] }, /apps\[0\]\.secret: Required/],
      [
        { apps: [{ id: 'a', key: 'k', secret: 's', limits: { maxPayloadBytes: -5 } }] },
        /apps\[0\]\.limits\.maxPayloadBytes/,
      ],
      [
        { apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'nope' }] }] },
        /apps\[0\]\.webhooks\[0\]\.url/,
      ],
      [{ apps: [], webhookLeaveDelayMs: 'soon' }, /webhookLeaveDelayMs/],
    ];
    for (const [config, field] of cases) {
      await assert.rejects(startServer({ config, startTimeoutMs: 5_000 }), (error: Error) => {
        assert.match(error.message, /exited with 2 before listening/);
        assert.match(error.message, /configuration error/);
        assert.match(error.message, /config\.json/);
        assert.match(error.message, field);
        return true;
      });
    }
  });

  it('refuses to start with invalid environment values, naming the variable', async () => {
    for (const [env, name] of [
      [{ PRESSRELAY_PORT: 'eighty' }, /PRESSRELAY_PORT/],
      [{ PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'perhaps' }, /PRESSRELAY_ENABLE_CLIENT_MESSAGES/],
      [{ PRESSRELAY_WEBHOOK_URL: 'not a url' }, /webhooks\[0\]\.url/],
      [{ PRESSRELAY_CONFIG: '/nonexistent/pressrelay.json' }, /PRESSRELAY_CONFIG: cannot read/],
    ] as const) {
      const result = await cli(['start'], { PRESSRELAY_PORT: '0', ...(env as Record<string, string>) });
      assert.equal(result.code, 2, JSON.stringify(env));
      assert.match(result.stderr, name);
    }
  });

  it('serves everything under PRESSRELAY_PATH_PREFIX, signatures over the unprefixed path', async () => {
    const server = await startTestServer({ env: { PRESSRELAY_PATH_PREFIX: '/realtime' } });
    const pusher = pusherClient(server, { options: { wsPath: '/realtime' } });
    await waitForState(pusher, 'connected');
    const channel = await subscribed(pusher, 'prefixed');
    const received = nextEvent(channel, 'through-prefix');
    const body = JSON.stringify({ name: 'through-prefix', channels: ['prefixed'], data: '{}' });
    const path = `/apps/${server.app.id}/events`;
    const query = sdkFor(server).createSignedQueryString({ method: 'POST', path, body });
    const response = await fetch(`${server.url}/realtime${path}?${query}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(response.status, 200);
    await received;
    assert.equal((await fetch(`${server.url}/realtime/health`)).status, 200);
    assert.equal((await fetch(`${server.url}${path}?${query}`, { method: 'POST', body })).status, 404);
  });
});

describe('the pressrelay CLI', () => {
  it('trigger publishes through the signed HTTP API', async () => {
    const server = await startTestServer();
    const { client } = await RawClient.connect(server);
    await client.subscribe('cli-news');
    await client.subscribe('cli-other');
    const flags = [
      '--url',
      server.url,
      '--app-id',
      server.app.id,
      '--app-key',
      server.app.key,
      '--app-secret',
      server.app.secret,
    ];
    const result = await cli([
      'trigger',
      'cli-news,cli-other',
      'headline',
      '{"title":"From the CLI"}',
      ...flags,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '{}');
    for (const channel of ['cli-news', 'cli-other']) {
      const frame = await client.next('headline', { channel });
      assert.equal(frame.data, '{"title":"From the CLI"}');
    }
    const withInfo = await cli([
      'trigger',
      'cli-news',
      'again',
      '{}',
      '--info',
      'subscription_count',
      ...flags,
    ]);
    assert.deepEqual(JSON.parse(withInfo.stdout), { channels: { 'cli-news': { subscription_count: 1 } } });
    const excluded = await cli(['trigger', 'cli-news', 'not-for-me', '{}', '--socket-id', '1.1', ...flags]);
    assert.equal(excluded.code, 0);

    // Environment variables work as well as flags.
    const viaEnv = await cli(['trigger', 'cli-news', 'from-env', '{}'], {
      PRESSRELAY_URL: server.url,
      PRESSRELAY_APP_ID: server.app.id,
      PRESSRELAY_APP_KEY: server.app.key,
      PRESSRELAY_APP_SECRET: server.app.secret,
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    await client.next('from-env');
  });

  it('trigger fails clearly on invalid JSON, a refused request and an unreachable server', async () => {
    const server = await startTestServer();
    const flags = ['--url', server.url, '--app-id', server.app.id, '--app-key', server.app.key];
    const badJson = await cli(['trigger', 'c', 'e', '{oops', ...flags, '--app-secret', server.app.secret]);
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /not valid JSON/);
    const refused = await cli(['trigger', 'c', 'e', '{}', ...flags, '--app-secret', 'wrong']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HTTP 401/);
    const unreachable = await cli(['trigger', 'c', 'e', '{}', '--url', 'http://127.0.0.1:9']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach/);
  });

  it('--help documents every flag and the environment variable behind it', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /start/);
    assert.match(top.stdout, /trigger/);
    const start = await cli(['start', '--help']);
    const documented: Array<[string, string]> = [
      ['--host', 'PRESSRELAY_HOST'],
      ['--port', 'PRESSRELAY_PORT'],
      ['--config', 'PRESSRELAY_CONFIG'],
      ['--app-id', 'PRESSRELAY_APP_ID'],
      ['--app-key', 'PRESSRELAY_APP_KEY'],
      ['--app-secret', 'PRESSRELAY_APP_SECRET'],
      ['--enable-client-messages', 'PRESSRELAY_ENABLE_CLIENT_MESSAGES'],
      ['--webhook-url', 'PRESSRELAY_WEBHOOK_URL'],
      ['--log-level', 'PRESSRELAY_LOG_LEVEL'],
    ];
    for (const [flag, env] of documented) {
      assert.ok(start.stdout.includes(flag), `start --help lacks ${flag}`);
      assert.ok(start.stdout.replace(/\s+/g, ' ').includes(env), `start --help lacks ${env}`);
    }
    const trigger = await cli(['trigger', '--help']);
    for (const flag of [
      '--url',
      '--app-id',
      '--app-key',
      '--app-secret',
      '--socket-id',
      '--info',
      '<channel>',
      '<event>',
      '[json]',
    ]) {
      assert.ok(trigger.stdout.includes(flag), `trigger --help lacks ${flag}`);
    }
  });
});

describe('slow consumers', () => {
  it('closes a connection whose unsent output passes the limit with 4100, and nobody else', async () => {
    const app = testApp('slow', { limits: { maxPayloadBytes: 900_000 } });
    const server = await startTestServer({ config: { maxBufferedBytes: 256 * 1024, apps: [app] } });
    const slow = await RawClient.connect(server, { key: app.key });
    const healthy = await RawClient.connect(server, { key: app.key });
    await slow.client.subscribe('firehose');
    await healthy.client.subscribe('firehose');
    // Stop reading: the kernel buffers fill, then the server's outbound buffer grows.
    (slow.client.ws as WebSocket & { _socket: { pause(): void; resume(): void } })._socket.pause();
    const payload = 'x'.repeat(800_000);
    const sdk = sdkFor(server, app);
    for (let index = 0; index < 40; index++) {
      await sdk.trigger('firehose', 'chunk', payload);
      await healthy.client.next('chunk');
    }
    (slow.client.ws as WebSocket & { _socket: { pause(): void; resume(): void } })._socket.resume();
    const closed = await slow.client.waitClose(10_000);
    assert.equal(closed.code, 4100);
    const error = slow.client.all('pusher:error')[0];
    assert.ok(error, 'a pusher:error before the close');
    assert.deepEqual(dataOf(error), {
      code: 4100,
      message: 'Client too slow: outbound buffer limit exceeded',
    });
    assert.ok(slow.client.all('chunk').length < 40, 'the slow client did not get everything');
    await healthy.client.roundTrip();
    assert.equal(healthy.client.isClosed, false);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /pressrelay_connections_closed_total\{code="4100"\} 1/);
  });
});
