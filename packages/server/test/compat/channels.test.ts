/**
 * Channels with real clients: public, private, presence, encrypted and cache channels through pusher-js,
 * laravel-echo and the `pusher` SDK; and the subscription refusals (forged and missing auth, a presence socket
 * claiming another user's channel data, bad names, too many channels, presence limits).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Echo from 'laravel-echo';
import type { PresenceChannel } from 'pusher-js';
import { Pusher as PusherJs } from '../support/pusher-js.js';
import {
  cleanup,
  collect,
  connectedClient,
  dataOf,
  nextEvent,
  onCleanup,
  RawClient,
  type ServerHandle,
  sdkFor,
  signedFetch,
  sleep,
  startTestServer,
  subscribed,
  testApp,
  waitFor,
  within,
} from './helpers.js';

const main = testApp('main');
const small = testApp('small', {
  cacheTtlSeconds: 1,
  limits: { maxSubscriptionsPerConnection: 3, maxPresenceMembers: 2, maxPresenceUserInfoBytes: 100 },
});

let server: ServerHandle;

before(async () => {
  server = await startTestServer({ config: { apps: [main, small] } });
});
after(cleanup);

let unique = 0;
/** A channel name no other test uses. */
function fresh(prefix: string): string {
  unique++;
  return `${prefix}${unique}-${process.pid}`;
}

type SubscriptionError = { type: string; error: string; status: number };

function subscriptionError(pusher: PusherJs, channelName: string): Promise<SubscriptionError> {
  const channel = pusher.subscribe(channelName);
  return within(
    new Promise<SubscriptionError>((resolve, reject) => {
      channel.bind('pusher:subscription_error', (error: SubscriptionError) => resolve(error));
      channel.bind('pusher:subscription_succeeded', () => reject(new Error(`${channelName} was accepted`)));
    }),
    `subscription_error on ${channelName}`,
  );
}

describe('public channels', () => {
  it('delivers SDK-triggered events to pusher-js, data as published', async () => {
    const pusher = await connectedClient(server);
    const name = fresh('news-');
    const channel = await subscribed(pusher, name);
    const received = nextEvent(channel, 'headline');
    await sdkFor(server).trigger(name, 'headline', { title: 'Hello', tags: ['a', 'é'] });
    assert.deepEqual(await received, { title: 'Hello', tags: ['a', 'é'] });
  });

  it('delivers to several channels at once and excludes the socket_id given', async () => {
    const [alice, bob] = await Promise.all([connectedClient(server), connectedClient(server)]);
    const [a, b] = [fresh('multi-'), fresh('multi-')];
    const aliceA = await subscribed(alice, a);
    const bobA = await subscribed(bob, a);
    const bobB = await subscribed(bob, b);
    const aliceSeen = collect(aliceA, 'update');
    const bobGotA = nextEvent(bobA, 'update');
    const bobGotB = nextEvent(bobB, 'update');
    await sdkFor(server).trigger([a, b], 'update', { n: 1 }, { socket_id: alice.connection.socket_id });
    assert.deepEqual(await bobGotA, { n: 1 });
    assert.deepEqual(await bobGotB, { n: 1 });
    // A second event proves the first one was skipped for alice, not merely late.
    const aliceGot = nextEvent(aliceA, 'update');
    await sdkFor(server).trigger(a, 'update', { n: 2 });
    assert.deepEqual(await aliceGot, { n: 2 });
    assert.deepEqual(aliceSeen, [{ n: 2 }]);
  });

  it('stops delivering after unsubscribe', async () => {
    const pusher = await connectedClient(server);
    const name = fresh('unsub-');
    const channel = await subscribed(pusher, name);
    const seen = collect(channel, 'tick');
    pusher.unsubscribe(name);
    const raw = await RawClient.connect(server, { key: main.key });
    await raw.client.subscribe(name);
    await sdkFor(server).trigger(name, 'tick', {});
    await raw.client.next('tick', { channel: name });
    assert.deepEqual(seen, []);
  });

  it('sends string data exactly as posted, and the extension position field pusher-js ignores', async () => {
    const { client } = await RawClient.connect(server, { key: main.key });
    const name = fresh('raw-');
    const succeeded = await client.subscribe(name);
    assert.equal(succeeded.event, 'pusher_internal:subscription_succeeded');
    assert.equal(typeof succeeded.data, 'string');
    await sdkFor(server).trigger(name, 'text', 'plain text, not JSON');
    const frame = await client.next('text');
    assert.equal(frame.channel, name);
    assert.equal(frame.data, 'plain text, not JSON');
    assert.match(frame.position ?? '', /^[A-Za-z0-9_-]+:1$/);
  });

  it('answers a repeated subscribe to the same channel with one more subscription_succeeded', async () => {
    const { client } = await RawClient.connect(server, { key: main.key });
    const name = fresh('twice-');
    await client.subscribe(name);
    const again = await client.subscribe(name);
    assert.equal(again.event, 'pusher_internal:subscription_succeeded');
    await sdkFor(server).trigger(name, 'once', {});
    await client.next('once');
    await client.roundTrip();
    assert.equal(client.all('once').length, 1, 'one subscription, one delivery');
  });
});

describe('private channels', () => {
  it('subscribes with an SDK-signed auth and receives events', async () => {
    const pusher = await connectedClient(server);
    const name = fresh('private-orders-');
    const channel = await subscribed(pusher, name);
    const received = nextEvent(channel, 'paid');
    await sdkFor(server).trigger(name, 'paid', { id: 7 });
    assert.deepEqual(await received, { id: 7 });
  });

  it('refuses a forged signature with AuthError 401 on the channel, and the connection carries on', async () => {
    const wrongSecret = sdkFor(server, { ...main, secret: 'not-the-secret' });
    const pusher = await connectedClient(server, {
      authorize: (socketId, channel) => wrongSecret.authorizeChannel(socketId, channel),
    });
    const name = fresh('private-forged-');
    const error = await subscriptionError(pusher, name);
    assert.equal(error.type, 'AuthError');
    assert.equal(error.status, 401);
    assert.match(error.error, /Invalid signature/);
    assert.equal(pusher.connection.state, 'connected');
    await subscribed(pusher, fresh('public-after-'));
  });

  it('refuses auth signed for another socket, another channel or another app key', async () => {
    const sdk = sdkFor(server);
    const { client, socketId } = await RawClient.connect(server, { key: main.key });
    const name = fresh('private-stolen-');
    const cases = [
      sdk.authorizeChannel('1.1', name).auth,
      sdk.authorizeChannel(socketId, `${name}-other`).auth,
      sdkFor(server, small).authorizeChannel(socketId, name).auth,
      sdk.authorizeChannel(socketId, name).auth.replace(`${main.key}:`, `${small.key}:`),
      `${main.key}:`,
      'garbage',
    ];
    for (const auth of cases) {
      const frame = await client.subscribe(name, { auth });
      assert.equal(frame.event, 'pusher:subscription_error', auth);
      assert.deepEqual(
        { type: (frame.data as SubscriptionError).type, status: (frame.data as SubscriptionError).status },
        { type: 'AuthError', status: 401 },
      );
    }
    const ok = await client.subscribe(name, { auth: sdk.authorizeChannel(socketId, name).auth });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  });

  it('refuses a missing or empty auth with AuthError 401', async () => {
    const { client } = await RawClient.connect(server, { key: main.key });
    for (const data of [{}, { auth: '' }, { auth: null }]) {
      const name = fresh('private-noauth-');
      const frame = await client.subscribe(name, data);
      assert.equal(frame.event, 'pusher:subscription_error');
      assert.equal((frame.data as SubscriptionError).status, 401);
      assert.match((frame.data as SubscriptionError).error, /requires "auth"/);
    }
  });

  it('does not deliver events of a refused channel', async () => {
    const { client } = await RawClient.connect(server, { key: main.key });
    const name = fresh('private-refused-');
    await client.subscribe(name, { auth: 'forged:sig' });
    await sdkFor(server).trigger(name, 'secret', {});
    const other = fresh('after-');
    await client.subscribe(other);
    await sdkFor(server).trigger(other, 'marker', {});
    await client.next('marker');
    assert.equal(client.all('secret').length, 0);
  });
});

describe('presence channels', () => {
  it('lists members (with the joiner) and announces joins and leaves to the others', async () => {
    const name = fresh('presence-room-');
    const alice = await connectedClient(server, {
      presence: { user_id: 'alice', user_info: { name: 'Alice' } },
    });
    const aliceChannel = (await subscribed(alice, name)) as PresenceChannel;
    assert.equal(aliceChannel.members.count, 1);
    assert.deepEqual(aliceChannel.members.me, { id: 'alice', info: { name: 'Alice' } });

    const added = nextEvent<{ id: string; info: unknown }>(aliceChannel, 'pusher:member_added');
    const bob = await connectedClient(server, { presence: { user_id: 'bob', user_info: { name: 'Bob' } } });
    const bobChannel = (await subscribed(bob, name)) as PresenceChannel;
    assert.deepEqual(await added, { id: 'bob', info: { name: 'Bob' } });
    assert.equal(bobChannel.members.count, 2);
    assert.deepEqual(bobChannel.members.get('alice'), { id: 'alice', info: { name: 'Alice' } });

    const removed = nextEvent<{ id: string }>(aliceChannel, 'pusher:member_removed');
    bob.disconnect();
    assert.deepEqual(await removed, { id: 'bob', info: { name: 'Bob' } });
    assert.equal(aliceChannel.members.count, 1);
  });

  it("announces member_added only for a user's first socket and member_removed only for the last", async () => {
    const name = fresh('presence-multi-');
    const watcher = await connectedClient(server, { presence: { user_id: 'watcher' } });
    const channel = (await subscribed(watcher, name)) as PresenceChannel;
    const added = collect<{ id: string }>(channel, 'pusher:member_added');
    const removed = collect<{ id: string }>(channel, 'pusher:member_removed');

    const first = await connectedClient(server, { presence: { user_id: 'carol', user_info: { tab: 1 } } });
    await subscribed(first, name);
    const second = await connectedClient(server, { presence: { user_id: 'carol', user_info: { tab: 2 } } });
    const secondChannel = (await subscribed(second, name)) as PresenceChannel;
    assert.equal(secondChannel.members.count, 2, 'carol counts once');
    await waitFor(() => added.length === 1, 'member_added');

    first.disconnect();
    // A marker event after the disconnect: once it arrives, a member_removed would have too.
    await sleep(100);
    const marker = nextEvent(channel, 'marker');
    await sdkFor(server).trigger(name, 'marker', {});
    await marker;
    assert.equal(removed.length, 0, 'carol still has a socket');

    second.disconnect();
    await waitFor(() => removed.length === 1, 'member_removed');
    assert.deepEqual(
      added.map((member) => member.id),
      ['carol'],
    );
    assert.equal(channel.members.count, 1);
  });

  it('keeps numeric user ids numeric, and null user_info as null', async () => {
    const name = fresh('presence-numeric-');
    const { client, socketId } = await RawClient.connect(server, { key: main.key });
    const auth = sdkFor(server).authorizeChannel(socketId, name, { user_id: 42 } as never);
    const frame = await client.subscribe(name, { auth: auth.auth, channel_data: auth.channel_data });
    assert.equal(frame.event, 'pusher_internal:subscription_succeeded');
    const { presence } = dataOf<{
      presence: { ids: unknown[]; hash: Record<string, unknown>; count: number };
    }>(frame);
    assert.deepEqual(presence, { ids: [42], hash: { '42': null }, count: 1 });

    const other = await RawClient.connect(server, { key: main.key });
    const otherAuth = sdkFor(server).authorizeChannel(other.socketId, name, { user_id: 'x' });
    await other.client.subscribe(name, { auth: otherAuth.auth, channel_data: otherAuth.channel_data });
    other.client.terminate();
    const removed = await client.next('pusher_internal:member_removed', { channel: name });
    assert.deepEqual(dataOf(removed), { user_id: 'x' });
  });

  it("refuses a socket that presents another user's channel_data with a valid auth for its own", async () => {
    const name = fresh('presence-claim-');
    const sdk = sdkFor(server);
    const { client, socketId } = await RawClient.connect(server, { key: main.key });
    const mine = sdk.authorizeChannel(socketId, name, { user_id: 'mallory' });
    const claimed = JSON.stringify({ user_id: 'admin', user_info: { role: 'admin' } });
    const frame = await client.subscribe(name, { auth: mine.auth, channel_data: claimed });
    assert.equal(frame.event, 'pusher:subscription_error');
    assert.deepEqual(
      { type: (frame.data as SubscriptionError).type, status: (frame.data as SubscriptionError).status },
      { type: 'AuthError', status: 401 },
    );
    // Re-serialised channel_data (other spacing) does not verify either: the signature covers the exact bytes.
    const respaced = JSON.stringify(JSON.parse(mine.channel_data!), null, 1);
    const again = await client.subscribe(name, { auth: mine.auth, channel_data: respaced });
    assert.equal(again.event, 'pusher:subscription_error');
    // Another socket's auth for the admin's data does not work on this socket.
    const other = await RawClient.connect(server, { key: main.key });
    const theirs = sdk.authorizeChannel(other.socketId, name, { user_id: 'admin' });
    const stolen = await client.subscribe(name, { auth: theirs.auth, channel_data: theirs.channel_data });
    assert.equal(stolen.event, 'pusher:subscription_error');
    // The honest request works.
    const ok = await client.subscribe(name, { auth: mine.auth, channel_data: mine.channel_data });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    assert.deepEqual(dataOf<{ presence: { ids: string[] } }>(ok).presence.ids, ['mallory']);
  });

  it('refuses presence without channel_data (not signed in) and with malformed channel_data', async () => {
    const name = fresh('presence-bad-');
    const sdk = sdkFor(server);
    const { client, socketId } = await RawClient.connect(server, { key: main.key });
    const noData = await client.subscribe(name, { auth: sdk.authorizeChannel(socketId, name).auth });
    assert.equal(noData.event, 'pusher:subscription_error');
    assert.equal((noData.data as SubscriptionError).status, 401);
    for (const channelData of [
      'not json',
      '[]',
      '{"user_info":{}}',
      '{"user_id":""}',
      '{"user_id":{"a":1}}',
    ]) {
      const auth = `${main.key}:${(await import('node:crypto'))
        .createHmac('sha256', main.secret)
        .update(`${socketId}:${name}:${channelData}`)
        .digest('hex')}`;
      const frame = await client.subscribe(name, { auth, channel_data: channelData });
      assert.equal(frame.event, 'pusher:subscription_error', channelData);
      assert.equal((frame.data as SubscriptionError).status, 400, channelData);
    }
  });

  it('limits members per channel (LimitReached 4100) but lets a present user open another socket', async () => {
    const name = fresh('presence-full-');
    const one = await connectedClient(server, { app: small, presence: { user_id: '1' } });
    await subscribed(one, name);
    const two = await connectedClient(server, { app: small, presence: { user_id: '2' } });
    await subscribed(two, name);
    const three = await connectedClient(server, { app: small, presence: { user_id: '3' } });
    const error = await subscriptionError(three, name);
    assert.deepEqual({ type: error.type, status: error.status }, { type: 'LimitReached', status: 4100 });
    const oneAgain = await connectedClient(server, { app: small, presence: { user_id: '1' } });
    await subscribed(oneAgain, name);
  });

  it('limits user_info size (LimitReached 4301)', async () => {
    const name = fresh('presence-big-');
    const big = await connectedClient(server, {
      app: small,
      presence: { user_id: 'big', user_info: { bio: 'x'.repeat(200) } },
    });
    const error = await subscriptionError(big, name);
    assert.deepEqual({ type: error.type, status: error.status }, { type: 'LimitReached', status: 4301 });
  });

  it('limits user id length (LimitReached 4301)', async () => {
    const name = fresh('presence-longid-');
    const long = await connectedClient(server, { presence: { user_id: 'u'.repeat(129) } });
    const error = await subscriptionError(long, name);
    assert.deepEqual({ type: error.type, status: error.status }, { type: 'LimitReached', status: 4301 });
  });
});

describe('encrypted channels', () => {
  it('relays SDK-encrypted events opaquely; pusher-js decrypts them with the shared secret', async () => {
    const name = fresh('private-encrypted-inbox-');
    const pusher = await connectedClient(server);
    const channel = await subscribed(pusher, name);
    const raw = await RawClient.connect(server, { key: main.key });
    await raw.client.subscribe(name, { auth: sdkFor(server).authorizeChannel(raw.socketId, name).auth });

    const received = nextEvent(channel, 'message');
    await sdkFor(server).trigger(name, 'message', { text: 'for your eyes only' });
    assert.deepEqual(await received, { text: 'for your eyes only' });

    const frame = await raw.client.next('message');
    assert.equal(typeof frame.data, 'string');
    const envelope = JSON.parse(frame.data as string) as { nonce: string; ciphertext: string };
    assert.deepEqual(Object.keys(envelope).sort(), ['ciphertext', 'nonce']);
    assert.equal(Buffer.from(envelope.nonce, 'base64').length, 24);
    assert.ok(!(frame.data as string).includes('for your eyes only'));
  });

  it('refuses a publish to several encrypted channels at once (400)', async () => {
    const body = JSON.stringify({
      name: 'e',
      data: '{"nonce":"x","ciphertext":"y"}',
      channels: [fresh('private-encrypted-a-'), fresh('private-encrypted-b-')],
    });
    const response = await signedFetch(server, 'POST', '/events', { body, app: main });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, /encrypted/);
  });
});

describe('cache channels', () => {
  for (const prefix of ['cache-', 'private-cache-', 'private-encrypted-cache-', 'presence-cache-']) {
    it(`${prefix}: cache_miss when empty, then the last HTTP-published event on subscribe`, async () => {
      const name = fresh(`${prefix}price-`);
      const first = await connectedClient(server, { presence: { user_id: 'cache-user' } });
      const channel = first.subscribe(name);
      await nextEvent(channel, 'pusher:cache_miss');
      const live = nextEvent(channel, 'price');
      await sdkFor(server).trigger(name, 'price', { value: 1 });
      assert.deepEqual(await live, { value: 1 });
      await sdkFor(server).trigger(name, 'price', { value: 2 });

      const second = await connectedClient(server, { presence: { user_id: 'cache-user-2' } });
      const secondChannel = second.subscribe(name);
      const missed = collect(secondChannel, 'pusher:cache_miss');
      assert.deepEqual(await nextEvent(secondChannel, 'price'), { value: 2 });
      assert.deepEqual(missed, []);
    });
  }

  it('forgets the cached event after the TTL', async () => {
    const name = fresh('cache-ttl-');
    await sdkFor(server, small).trigger(name, 'state', { v: 1 });
    const early = await RawClient.connect(server, { key: small.key });
    await early.client.subscribe(name);
    await early.client
      .nextOf(['state', 'pusher:cache_miss'], name)
      .then((frame) => assert.equal(frame.event, 'state'));
    await sleep(1_100);
    const late = await RawClient.connect(server, { key: small.key });
    await late.client.subscribe(name);
    const frame = await late.client.nextOf(['state', 'pusher:cache_miss'], name);
    assert.equal(frame.event, 'pusher:cache_miss');
  });

  it('reports the cached event in GET /channels/{name}?info=cache', async () => {
    const name = fresh('cache-info-');
    await sdkFor(server).trigger(name, 'state', { v: 3 });
    const response = await sdkFor(server).get({ path: `/channels/${name}`, params: { info: 'cache' } });
    const body = (await response.json()) as {
      occupied: boolean;
      cache: { event: string; data: string; ttl: number };
    };
    assert.equal(body.occupied, false);
    assert.equal(body.cache.event, 'state');
    assert.equal(body.cache.data, '{"v":3}');
    assert.ok(body.cache.ttl > 0 && body.cache.ttl <= 1_800);
  });
});

describe('channel names and subscription limits', () => {
  it('refuses invalid names with InvalidChannel 400 and accepts the whole charset', async () => {
    const { client } = await RawClient.connect(server, { key: main.key });
    for (const name of ['a b', 'a/b', 'ünïcode', '#not-a-user-channel', 'a:b', '', `x${'y'.repeat(164)}`]) {
      const frame = await client.subscribe(name);
      assert.equal(frame.event, 'pusher:subscription_error', JSON.stringify(name));
      assert.deepEqual(
        { type: (frame.data as SubscriptionError).type, status: (frame.data as SubscriptionError).status },
        { type: 'InvalidChannel', status: 400 },
      );
    }
    for (const name of ['AZaz09_-=@,.;', 'y'.repeat(164)]) {
      const frame = await client.subscribe(name);
      assert.equal(frame.event, 'pusher_internal:subscription_succeeded', name);
    }
    await client.roundTrip();
  });

  it('refuses subscriptions beyond the per-connection limit with LimitReached 4100', async () => {
    const pusher = await connectedClient(server, { app: small });
    for (let index = 0; index < 3; index++) await subscribed(pusher, fresh('many-'));
    const error = await subscriptionError(pusher, fresh('one-too-many-'));
    assert.deepEqual({ type: error.type, status: error.status }, { type: 'LimitReached', status: 4100 });
    // Unsubscribing frees a slot.
    const first = Object.keys(
      (pusher.channels as unknown as { channels: Record<string, unknown> }).channels,
    ).find((name) => name.startsWith('many-'))!;
    pusher.unsubscribe(first);
    await subscribed(pusher, fresh('freed-'));
  });
});

describe('laravel-echo', () => {
  it('listens to public, private and presence channels with Laravel event names', async () => {
    const client = await connectedClient(server, {
      presence: { user_id: 'echo-user', user_info: { name: 'Echo' } },
    });
    const echo = new Echo({ broadcaster: 'pusher', client });
    const sdk = sdkFor(server);
    const id = fresh('');

    const publicEvent = new Promise((resolve) =>
      echo.channel(`orders-${id}`).listen('OrderShipped', resolve),
    );
    const privateEvent = new Promise((resolve) =>
      echo.private(`App.Models.User.${id}`).listen('.custom-name', resolve),
    );
    const here = new Promise<unknown[]>((resolve) => echo.join(`chat.${id}`).here(resolve));
    assert.deepEqual(await within(here, 'Echo here()'), [{ name: 'Echo' }]);
    await waitFor(
      () =>
        ['orders-', 'private-App.Models.User.'].every(
          (prefix) => (client.channel(`${prefix}${id}`) as { subscribed?: boolean })?.subscribed,
        ),
      'Echo subscriptions',
    );

    await sdk.trigger(`orders-${id}`, 'App\\Events\\OrderShipped', { order: 1 });
    await sdk.trigger(`private-App.Models.User.${id}`, 'custom-name', { private: true });
    assert.deepEqual(await within(publicEvent, 'Echo public event'), { order: 1 });
    assert.deepEqual(await within(privateEvent, 'Echo private event'), { private: true });

    const joining = new Promise((resolve) => echo.join(`chat.${id}`).joining(resolve));
    const leaving = new Promise((resolve) => echo.join(`chat.${id}`).leaving(resolve));
    const other = await connectedClient(server, {
      presence: { user_id: 'other', user_info: { name: 'Other' } },
    });
    await subscribed(other, `presence-chat.${id}`);
    assert.deepEqual(await within(joining, 'Echo joining()'), { name: 'Other' });
    other.disconnect();
    assert.deepEqual(await within(leaving, 'Echo leaving()'), { name: 'Other' });
  });

  it('connects by itself when given the Pusher class and the usual Laravel options', async () => {
    const echo = new Echo({
      broadcaster: 'pusher',
      // Echo's typings want the pusher-js module namespace; at run time the class is what it uses.
      Pusher: PusherJs as never,
      key: main.key,
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
    });
    onCleanup(() => echo.disconnect());
    const name = fresh('laravel-');
    const received = new Promise((resolve) => echo.channel(name).listen('.Ping', resolve));
    await waitFor(() => echo.connector.pusher.channel(name)?.subscribed, 'Echo subscription');
    assert.equal(echo.connectionStatus(), 'connected');
    assert.match(echo.socketId() ?? '', /^\d+\.\d+$/);
    await sdkFor(server).trigger(name, 'Ping', { pong: true });
    assert.deepEqual(await within(received, 'Echo event'), { pong: true });
  });

  it('passes a refused subscription to .error()', async () => {
    const client = await connectedClient(server, { authorize: () => ({ auth: `${main.key}:forged` }) });
    const echo = new Echo({ broadcaster: 'pusher', client });
    const error = await within(
      new Promise<SubscriptionError>((resolve) => echo.private(fresh('refused-')).error(resolve)),
      'Echo .error()',
    );
    assert.deepEqual({ type: error.type, status: error.status }, { type: 'AuthError', status: 401 });
  });

  it('decrypts encrypted private channels', async () => {
    const client = await connectedClient(server);
    const echo = new Echo({ broadcaster: 'pusher', client });
    const name = fresh('vault-');
    const received = new Promise((resolve) => echo.encryptedPrivate(name).listen('.sealed', resolve));
    await waitFor(
      () => (client.channel(`private-encrypted-${name}`) as { subscribed?: boolean })?.subscribed,
      'subscription',
    );
    await sdkFor(server).trigger(`private-encrypted-${name}`, 'sealed', { s: 1 });
    assert.deepEqual(await within(received, 'Echo encrypted event'), { s: 1 });
  });
});
