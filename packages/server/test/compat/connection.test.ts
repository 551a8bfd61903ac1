/**
 * The WebSocket connection: handshake, socket ids, ping/pong both ways, idle timeouts, protocol versions, and
 * every connection-level refusal (unknown key, disabled app, quota, origin, path), plus frames that must never
 * crash anything (garbage, binary, oversized, unknown events).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  cleanup,
  connectedClient,
  dataOf,
  nextEvent,
  pusherClient,
  RawClient,
  type ServerHandle,
  sleep,
  startTestServer,
  testApp,
  waitForState,
  within,
} from './helpers.js';

const main = testApp('main');
const quota = testApp('quota', { maxConnections: 2 });
const disabled = testApp('disabled', { enabled: false });
const origins = testApp('origins', { allowedOrigins: ['https://good.test', 'https://*.example.com'] });
const fast = testApp('fast', { activityTimeoutSeconds: 1, pongTimeoutSeconds: 1 });

let server: ServerHandle;

before(async () => {
  server = await startTestServer({ config: { apps: [main, quota, disabled, origins, fast] } });
});
after(cleanup);

/** Opens a raw socket and expects the server to refuse it: `pusher:error` with the code, then a close with it. */
async function expectRefusal(options: Parameters<typeof RawClient.open>[1], code: number, message: RegExp) {
  const client = RawClient.open(server, options);
  const error = await client.next('pusher:error');
  assert.deepEqual(Object.keys(error).sort(), ['data', 'event']);
  const data = dataOf<{ code: number; message: string }>(error);
  assert.equal(data.code, code);
  assert.match(data.message, message);
  const closed = await client.waitClose();
  assert.equal(closed.code, code);
  assert.equal(client.all('pusher:connection_established').length, 0);
}

describe('handshake', () => {
  it('pusher-js connects and gets a socket id of two integers', async () => {
    const pusher = await connectedClient(server);
    assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);
  });

  it('sends connection_established first, with data as a JSON string, a unique socket id and the activity timeout', async () => {
    const ids = new Set<string>();
    for (let index = 0; index < 20; index++) {
      const client = RawClient.open(server);
      const first = await client.next('pusher:connection_established');
      assert.equal(client.frames[0], first, 'the first frame');
      assert.equal(typeof first.data, 'string');
      const data = dataOf<{ socket_id: string; activity_timeout: number }>(first);
      assert.match(data.socket_id, /^\d+\.\d+$/);
      assert.equal(data.activity_timeout, 120);
      ids.add(data.socket_id);
      client.terminate();
    }
    assert.equal(ids.size, 20);
  });

  it("uses the app's activity timeout", async () => {
    const { activityTimeout } = await RawClient.connect(server, { key: fast.key });
    assert.equal(activityTimeout, 1);
  });

  it('accepts protocol versions 4 to 7 and the query pusher-js sends', async () => {
    for (const query of [
      'protocol=7&client=js&version=8.6.0&flash=false',
      'protocol=4',
      'protocol=6&client=php',
    ]) {
      const { socketId } = await RawClient.connect(server, { query });
      assert.match(socketId, /^\d+\.\d+$/);
    }
    // A trailing slash after the key, as some clients send.
    await RawClient.connect(server, { path: `/app/${main.key}/` });
  });

  it('refuses a missing protocol with 4008', () =>
    expectRefusal({ query: 'client=js&version=8.6.0' }, 4008, /No protocol version supplied/));

  it('refuses a non-integer protocol with 4006', () =>
    expectRefusal({ query: 'protocol=seven' }, 4006, /Invalid version/));

  it('refuses protocols 1-3 and unknown future versions with 4007', async () => {
    await expectRefusal({ query: 'protocol=3' }, 4007, /Unsupported protocol version/);
    await expectRefusal({ query: 'protocol=1' }, 4007, /Unsupported protocol version/);
    await expectRefusal({ query: 'protocol=8' }, 4007, /Unsupported protocol version/);
  });
});

describe('refusals before the connection is admitted', () => {
  it('refuses an unknown key with 4001', () =>
    expectRefusal({ key: 'no-such-key' }, 4001, /Application does not exist/));

  it('pusher-js gives up on an unknown key (4001: no reconnect) and reports the error', async () => {
    const pusher = pusherClient(server, { app: { id: 'x', key: 'no-such-key', secret: 'x' } });
    const error = await nextEvent<{ error: { data: { code: number } } }>(pusher.connection as never, 'error');
    assert.equal(error.error.data.code, 4001);
    await waitForState(pusher, 'disconnected');
    await sleep(1_200);
    assert.equal(pusher.connection.state, 'disconnected', 'no reconnect');
  });

  it('refuses a disabled app with 4003', () =>
    expectRefusal({ key: disabled.key }, 4003, /Application is disabled/));

  it('refuses origins outside the allow-list with 4009, and accepts listed and wildcard origins', async () => {
    await expectRefusal({ key: origins.key, origin: 'https://evil.test' }, 4009, /Origin not allowed/);
    await expectRefusal(
      { key: origins.key, origin: 'https://good.test.evil.test' },
      4009,
      /Origin not allowed/,
    );
    await RawClient.connect(server, { key: origins.key, origin: 'https://good.test' });
    await RawClient.connect(server, { key: origins.key, origin: 'https://shop.example.com' });
    // Other apps accept any origin by default.
    await RawClient.connect(server, { origin: 'https://evil.test' });
  });

  it('refuses connections over the app quota with 4004 and admits again once one closes', async () => {
    const first = await RawClient.connect(server, { key: quota.key });
    await RawClient.connect(server, { key: quota.key });
    await expectRefusal({ key: quota.key }, 4004, /over connection quota/);
    // pusher-js treats 4004 as refused (no reconnect loop).
    const pusher = pusherClient(server, { app: quota });
    const error = await nextEvent<{ error: { data: { code: number } } }>(pusher.connection as never, 'error');
    assert.equal(error.error.data.code, 4004);
    await waitForState(pusher, 'disconnected');
    first.client.terminate();
    await first.client.waitClose();
    // The slot is released shortly after the close.
    let admitted = false;
    for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
      const client = RawClient.open(server, { key: quota.key });
      const frame = await client.nextOf(['pusher:connection_established', 'pusher:error']);
      admitted = frame.event === 'pusher:connection_established';
      if (!admitted) await sleep(20);
    }
    assert.ok(admitted, 'a connection is admitted after one closed');
  });

  it('refuses unknown paths under /app with 4005, and answers other upgrade paths with HTTP 404', async () => {
    await expectRefusal({ path: `/app/${main.key}/extra` }, 4005, /Path not found/);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.wsUrl}/not-pusher`);
      ws.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => {});
    });
    assert.equal(status, 404);
  });
});

describe('ping, pong and idle connections', () => {
  it('answers pusher:ping with pusher:pong and empty data', async () => {
    const { client } = await RawClient.connect(server);
    client.send({ event: 'pusher:ping', data: {} });
    const pong = await client.next('pusher:pong');
    assert.deepEqual(dataOf(pong), {});
    // The data may also be a string (older clients) or absent.
    client.send('{"event":"pusher:ping"}');
    await client.next('pusher:pong');
  });

  it('pings an idle connection, and keeps it when it answers', async () => {
    const { client } = await RawClient.connect(server, { key: fast.key });
    for (let round = 0; round < 2; round++) {
      await client.next('pusher:ping', {}, 4_000);
      client.send({ event: 'pusher:pong', data: {} });
    }
    assert.equal(client.isClosed, false);
    await client.roundTrip();
  });

  it('closes a connection that does not answer the ping with 4201', async () => {
    const { client } = await RawClient.connect(server, { key: fast.key });
    await client.next('pusher:ping', {}, 4_000);
    const closed = await client.waitClose(5_000);
    assert.equal(closed.code, 4201);
    assert.equal(dataOf<{ code: number }>(await client.next('pusher:error')).code, 4201);
  });

  it('keeps a pusher-js client connected across several activity timeouts', async () => {
    const pusher = await connectedClient(server, { app: fast });
    const socketId = pusher.connection.socket_id;
    await sleep(3_500);
    assert.equal(pusher.connection.state, 'connected');
    assert.equal(pusher.connection.socket_id, socketId, 'the same connection throughout');
  });
});

describe('frames that must not crash anything', () => {
  it('answers malformed JSON and malformed envelopes with pusher:error (code null) and keeps the connection', async () => {
    const { client } = await RawClient.connect(server);
    const garbage = [
      'not json',
      '{"event":',
      '',
      'null',
      '[]',
      '{"data":{}}',
      '{"event":{"nested":true}}',
      '{"event":"pusher:subscribe","data":"{broken"}',
      '{"event":"pusher:subscribe","data":{"channel":["x"]}}',
      '\u0000\uffff',
      '{"event":"pusher:signin","data":{}}',
    ];
    for (const text of garbage) client.send(text);
    for (let index = 0; index < garbage.length; index++) {
      const error = dataOf<{ code: number | null; message: string }>(await client.next('pusher:error'));
      assert.equal(error.code, null);
      assert.match(error.message, /^Invalid message format/);
    }
    await client.roundTrip();
  });

  it('answers unknown events and server-only events with pusher:error and keeps the connection', async () => {
    const { client } = await RawClient.connect(server);
    for (const event of [
      'hello',
      'pusher:connection_established',
      'pusher_internal:member_added',
      'pusher:error',
    ]) {
      client.send({ event, data: {} });
      const error = dataOf<{ code: number | null; message: string }>(await client.next('pusher:error'));
      assert.equal(error.code, null);
      assert.match(error.message, /Unsupported event/);
    }
    await client.roundTrip();
  });

  it('refuses binary frames with pusher:error and keeps the connection', async () => {
    const { client } = await RawClient.connect(server);
    client.ws.send(Buffer.from('{"event":"pusher:ping","data":{}}'), { binary: true });
    client.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    for (let index = 0; index < 2; index++) {
      const error = dataOf<{ code: number | null; message: string }>(await client.next('pusher:error'));
      assert.equal(error.code, null);
      assert.match(error.message, /Binary frames are not supported/);
    }
    assert.equal(client.all('pusher:pong').length, 0, 'binary frames are not interpreted');
    await client.roundTrip();
  });

  it('closes a connection that sends an oversized frame with 1009, and the server carries on', async () => {
    const { client } = await RawClient.connect(server);
    client.send({ event: 'client-big', channel: 'private-x', data: 'x'.repeat(200_000) });
    const closed = await client.waitClose();
    assert.equal(closed.code, 1009);
    const other = await RawClient.connect(server);
    await other.client.roundTrip();
  });

  it('handles frames sent immediately on open, before connection_established is read', async () => {
    const ws = new WebSocket(`${server.wsUrl}/app/${main.key}?protocol=7`);
    const client = new RawClient(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{"event":"pusher:ping","data":{}}');
    ws.send('garbage');
    ws.send('{"event":"pusher:subscribe","data":{"channel":"early"}}');
    await client.next('pusher:connection_established');
    assert.equal(client.frames[0]?.event, 'pusher:connection_established', 'the handshake frame comes first');
    await client.next('pusher:pong');
    await client.next('pusher_internal:subscription_succeeded', { channel: 'early' });
  });

  it('handles a burst of subscribes up to the subscription limit (a client resubscribing after a reconnect)', async () => {
    const { client } = await RawClient.connect(server);
    const count = 1_000;
    // One synchronous burst: the frames reach the server together and are parsed in one go.
    for (let index = 0; index < count; index++) {
      client.send({ event: 'pusher:subscribe', data: { channel: `burst-${index}`, auth: '' } });
    }
    const last = await client.next(
      'pusher_internal:subscription_succeeded',
      { channel: `burst-${count - 1}` },
      10_000,
    );
    assert.ok(last);
    assert.equal(client.all('pusher_internal:subscription_succeeded').length, count);
    assert.deepEqual(client.all('pusher:error'), []);
    await client.roundTrip();
  });

  it('survives garbage before the WebSocket handshake: raw bytes, a broken upgrade, a plain GET', async () => {
    const answers: string[] = [];
    for (const request of [
      'garbage\r\n\r\n\u0000\u0001',
      `GET /app/${main.key}?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
      `GET /app/${main.key}?protocol=7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ]) {
      answers.push(
        await within(
          new Promise<string>((resolve) => {
            const socket = connect(server.port, '127.0.0.1', () => socket.end(request));
            let text = '';
            socket.on('data', (chunk) => {
              text += chunk.toString();
            });
            socket.on('error', () => resolve(text));
            socket.on('close', () => resolve(text));
          }),
          'the server to answer and hang up',
        ),
      );
    }
    assert.match(answers[0] ?? '', /^HTTP\/1\.1 400/);
    assert.match(answers[1] ?? '', /^HTTP\/1\.1 400/, 'an upgrade without Sec-WebSocket-Key is refused');
    assert.match(answers[2] ?? '', /^HTTP\/1\.1 404/);
    const { client } = await RawClient.connect(server);
    await client.roundTrip();
  });

  it('survives clients that vanish without a close frame, mid-handshake and mid-subscribe', async () => {
    for (let index = 0; index < 10; index++) {
      const ws = new WebSocket(`${server.wsUrl}/app/${main.key}?protocol=7`);
      ws.on('error', () => {});
      if (index % 2 === 0) {
        ws.once('upgrade', () => ws.terminate());
      } else {
        ws.once('open', () => {
          ws.send('{"event":"pusher:subscribe","data":{"channel":"vanish"}}');
          ws.terminate();
        });
      }
      await new Promise((resolve) => ws.once('close', resolve));
    }
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    const { client } = await RawClient.connect(server);
    await client.roundTrip();
  });
});
