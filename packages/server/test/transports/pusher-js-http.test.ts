import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Echo from 'laravel-echo';
import { type ServerHandle, startServer } from '../harness.js';
import { publish, sdkFor } from '../support/publisher.js';
import { Pusher } from '../support/pusher-js.js';

type Kind = 'xhr_streaming' | 'xhr_polling';

async function until(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("pusher-js's HTTP fallbacks", () => {
  let server: ServerHandle;
  let sdk: ReturnType<typeof sdkFor>;

  before(async () => {
    server = await startServer({ env: { PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'true' } });
    sdk = sdkFor(server);
  });
  after(() => server.stop());

  function client(kind: Kind, userId: string): Pusher {
    return new Pusher(server.app.key, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: server.port,
      httpHost: '127.0.0.1',
      httpPort: server.port,
      forceTLS: false,
      enabledTransports: [kind],
      channelAuthorization: {
        endpoint: 'unused',
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) => {
          const presence = { user_id: userId, user_info: { name: `User ${userId}` } };
          callback(
            null,
            channelName.startsWith('presence-')
              ? sdk.authorizeChannel(socketId, channelName, presence)
              : sdk.authorizeChannel(socketId, channelName),
          );
        },
      },
    });
  }

  it('laravel-echo keeps working over xhr_streaming where WebSockets are blocked', async () => {
    const pusher = client('xhr_streaming', 'echo-user');
    try {
      const echo = new Echo({ broadcaster: 'pusher', client: pusher });
      const shipped: unknown[] = [];
      echo.private('App.Models.Order.7').listen('OrderShipped', (event: unknown) => shipped.push(event));
      await until(
        () =>
          (pusher.channel('private-App.Models.Order.7') as { subscribed?: boolean } | undefined)
            ?.subscribed === true,
        10_000,
        'the private subscription',
      );
      await publish(sdk, 'private-App.Models.Order.7', 'App\\Events\\OrderShipped', { order: 7 });
      await until(() => shipped.length === 1, 10_000, 'the Laravel event');
      assert.deepEqual(shipped, [{ order: 7 }]);
    } finally {
      pusher.disconnect();
    }
  });

  for (const kind of ['xhr_streaming', 'xhr_polling'] as const) {
    it(`${kind}: public, private and presence channels and client events work`, async () => {
      const alice = client(kind, 'alice');
      const bob = client(kind, 'bob');
      try {
        const news: unknown[] = [];
        const typing: unknown[] = [];
        const joined: string[] = [];
        let ready = 0;
        alice.subscribe('news').bind('headline', (data: unknown) => news.push(data));
        alice.subscribe('news').bind('pusher:subscription_succeeded', () => ready++);
        const alicePresence = alice.subscribe(`presence-room-${kind}`);
        alicePresence.bind('pusher:subscription_succeeded', () => ready++);
        alicePresence.bind('pusher:member_added', (member: { id: string }) => joined.push(member.id));
        alicePresence.bind('client-typing', (data: unknown) => typing.push(data));
        await until(() => ready === 2, 10_000, 'alice subscribed');
        assert.equal(alice.connection.state, 'connected');
        const bobPresence = bob.subscribe(`presence-room-${kind}`);
        let bobReady = false;
        bobPresence.bind('pusher:subscription_succeeded', () => {
          bobReady = true;
        });
        await until(() => bobReady && joined.includes('bob'), 10_000, 'bob joined');
        bobPresence.trigger('client-typing', { typing: true });
        await until(() => typing.length === 1, 10_000, 'the client event');
        await publish(sdk, 'news', 'headline', { n: 1 });
        await publish(sdk, 'news', 'headline', { n: 2 });
        await until(() => news.length === 2, 10_000, 'the events');
        assert.deepEqual(news, [{ n: 1 }, { n: 2 }]);
        const members = (alicePresence as unknown as { members: { count: number } }).members;
        assert.equal(members.count, 2);
      } finally {
        alice.disconnect();
        bob.disconnect();
      }
    });
  }
});
