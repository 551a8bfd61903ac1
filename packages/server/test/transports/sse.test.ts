import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { type ServerHandle, startServer } from '../harness.js';
import { publish, sdkFor } from '../support/publisher.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';

interface Received {
  id: string;
  envelope: { event: string; channel: string; data: string; position?: string };
}

function collect(source: EventSource, event: string, into: Received[]): void {
  source.addEventListener(event, (message) => {
    into.push({ id: message.lastEventId, envelope: JSON.parse(message.data) });
  });
}

async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Server-Sent Events', () => {
  let server: ServerHandle;
  let proxy: TcpProxy;
  let sdk: ReturnType<typeof sdkFor>;

  before(async () => {
    server = await startServer();
    proxy = await startProxy(server.port);
    sdk = sdkFor(server);
  });
  after(async () => {
    await proxy.close();
    await server.stop();
  });

  it('works with a bare EventSource: event name, Pusher envelope, and the positions of every URL channel as id', async () => {
    const source = new EventSource(`${server.url}/app/${server.app.key}/sse?channel=alpha&channel=beta`);
    const received: Received[] = [];
    const subscribed: Received[] = [];
    collect(source, 'headline', received);
    collect(source, 'pusher_internal:subscription_succeeded', subscribed);
    try {
      await until(() => subscribed.length === 2, 5000, 'subscriptions');
      await publish(sdk, 'alpha', 'headline', { n: 1 });
      await publish(sdk, 'beta', 'headline', { n: 2 });
      await until(() => received.length === 2);
      const [first, second] = received;
      assert.equal(first!.envelope.channel, 'alpha');
      assert.equal(first!.envelope.data, '{"n":1}');
      const [alphaAfterFirst, betaAfterFirst] = first!.id.split(',');
      assert.equal(alphaAfterFirst, first!.envelope.position);
      assert.match(betaAfterFirst!, /:0$/);
      assert.deepEqual(second!.id.split(','), [first!.envelope.position, second!.envelope.position]);
    } finally {
      source.close();
    }
  });

  it('resumes every channel from Last-Event-ID after the connection drops: no loss, no duplicate', async () => {
    const source = new EventSource(
      `http://127.0.0.1:${proxy.port}/app/${server.app.key}/sse?channel=one&channel=two`,
    );
    const received: Received[] = [];
    const subscribed: Received[] = [];
    collect(source, 'tick', received);
    collect(source, 'pusher_internal:subscription_succeeded', subscribed);
    try {
      await until(() => subscribed.length === 2, 5000, 'subscriptions');
      for (let n = 1; n <= 3; n++) await publish(sdk, n % 2 ? 'one' : 'two', 'tick', { n });
      await until(() => received.length === 3);
      proxy.refuse(true);
      proxy.drop();
      for (let n = 4; n <= 9; n++) await publish(sdk, n % 2 ? 'one' : 'two', 'tick', { n });
      proxy.refuse(false);
      await until(() => received.length >= 9, 10_000, 'the missed events after reconnecting');
      await publish(sdk, 'one', 'tick', { n: 10 });
      await until(() => received.length >= 10);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Order is per channel (each channel is its own stream); recovery replays one channel after the other.
      const numbers = (channel: string) =>
        received.filter((r) => r.envelope.channel === channel).map((r) => JSON.parse(r.envelope.data).n);
      assert.deepEqual(numbers('one'), [1, 3, 5, 7, 9, 10]);
      assert.deepEqual(numbers('two'), [2, 4, 6, 8]);
      const resumed = subscribed.slice(2).map((r) => JSON.parse(r.envelope.data as string));
      assert.equal(resumed.length, 2, 'both channels were subscribed again');
      for (const reply of resumed) assert.equal(reply.recovered, true);
    } finally {
      source.close();
    }
  });

  it('refuses unknown keys, bad channel names and channels that need auth with JSON errors', async () => {
    const unknown = await fetch(`${server.url}/app/nope/sse?channel=a`);
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).error, /does not exist/);
    const bad = await fetch(
      `${server.url}/app/${server.app.key}/sse?channel=${encodeURIComponent('bad name')}`,
    );
    assert.equal(bad.status, 400);
    const auth = await fetch(`${server.url}/app/${server.app.key}/sse?channel=private-x`);
    assert.equal(auth.status, 400);
    assert.match((await auth.json()).error, /needs auth/);
  });

  it('takes private subscriptions upstream by session token, never by socket id', async () => {
    const source = new EventSource(`${server.url}/app/${server.app.key}/sse`);
    const established: Received[] = [];
    const received: Received[] = [];
    const errors: Received[] = [];
    collect(source, 'pusher:connection_established', established);
    collect(source, 'secret', received);
    collect(source, 'pusher:subscription_error', errors);
    try {
      await until(() => established.length === 1);
      const { socket_id: socketId, session } = JSON.parse(established[0]!.envelope.data) as {
        socket_id: string;
        session: string;
      };
      assert.match(session, /^[A-Za-z0-9_-]{22}$/);
      const send = (body: unknown) =>
        fetch(`${server.url}/app/${server.app.key}/send`, { method: 'POST', body: JSON.stringify(body) });
      const { auth } = sdk.authorizeChannel(socketId, 'private-orders');
      const bySocketId = await send({
        session: socketId,
        messages: [{ event: 'pusher:subscribe', data: { channel: 'private-orders', auth } }],
      });
      assert.equal(bySocketId.status, 404, 'a socket id is not a session token');
      const forged = await send({
        session,
        messages: [
          {
            event: 'pusher:subscribe',
            data: { channel: 'private-orders', auth: `${server.app.key}:${'0'.repeat(64)}` },
          },
        ],
      });
      assert.equal(forged.status, 200);
      await until(() => errors.length === 1, 5000, 'the auth refusal');
      const ok = await send({
        session,
        messages: [{ event: 'pusher:subscribe', data: { channel: 'private-orders', auth } }],
      });
      assert.equal(ok.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await publish(sdk, 'private-orders', 'secret', { order: 7 });
      await until(() => received.length === 1);
      assert.equal(received[0]!.envelope.data, '{"order":7}');
      const malformed = await fetch(`${server.url}/app/${server.app.key}/send`, {
        method: 'POST',
        body: '{oops',
      });
      assert.equal(malformed.status, 400);
    } finally {
      source.close();
    }
  });
});
