/**
 * Client events (`client-*`): only on private and presence channels, only where the app enables them, only from
 * subscribed sockets, rate-limited and size-limited per connection, never echoed, `user_id` on presence channels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Echo from 'laravel-echo';
import {
  cleanup,
  collect,
  connectedClient,
  dataOf,
  nextEvent,
  nextEventWithMetadata,
  RawClient,
  type ServerHandle,
  sdkFor,
  sleep,
  startTestServer,
  subscribed,
  testApp,
  within,
} from './helpers.js';

const chat = testApp('chat', { enableClientMessages: true });
const quiet = testApp('quiet');

let server: ServerHandle;

before(async () => {
  server = await startTestServer({ config: { apps: [chat, quiet] } });
});
after(cleanup);

let unique = 0;
function fresh(prefix: string): string {
  unique++;
  return `${prefix}${unique}`;
}

/** Two raw sockets subscribed to `channel` (signed with the SDK); presence ids `sender` and `receiver`. */
async function rawPair(channel: string, app = chat) {
  const sdk = sdkFor(server, app);
  const pair = [];
  for (const userId of ['sender', 'receiver']) {
    const { client, socketId } = await RawClient.connect(server, { key: app.key });
    const auth = channel.startsWith('presence-')
      ? sdk.authorizeChannel(socketId, channel, { user_id: userId })
      : channel.startsWith('private-')
        ? sdk.authorizeChannel(socketId, channel)
        : { auth: '' };
    const frame = await client.subscribe(channel, auth);
    assert.equal(frame.event, 'pusher_internal:subscription_succeeded');
    pair.push(client);
  }
  return { sender: pair[0]!, receiver: pair[1]! };
}

/** Sends a marker through the HTTP API and waits for it: everything sent to `client` before it has arrived. */
async function drain(client: RawClient, channel: string, app = chat) {
  const marker = fresh('marker-');
  await sdkFor(server, app).trigger(channel, marker, {});
  await client.next(marker, { channel });
}

function errorOf(frame: Parameters<typeof dataOf>[0]) {
  return dataOf<{ code: number | null; message: string }>(frame);
}

describe('client events that are allowed', () => {
  it('reach the other subscribers of a private channel through pusher-js, never the sender', async () => {
    const name = fresh('private-doc-');
    const alice = await connectedClient(server, { app: chat });
    const bob = await connectedClient(server, { app: chat });
    const aliceChannel = await subscribed(alice, name);
    const bobChannel = await subscribed(bob, name);
    const echoed = collect(aliceChannel, 'client-typing');
    const received = nextEvent(bobChannel, 'client-typing');
    assert.equal(aliceChannel.trigger('client-typing', { line: 3 }), true);
    assert.deepEqual(await received, { line: 3 });
    // Bob answers; once alice has that, she would also have had her own event if it were echoed.
    const answer = nextEvent(aliceChannel, 'client-ack');
    bobChannel.trigger('client-ack', {});
    await answer;
    assert.deepEqual(echoed, []);
  });

  it('carry the sender user_id on presence channels (pusher-js metadata.user_id)', async () => {
    const name = fresh('presence-doc-');
    const alice = await connectedClient(server, { app: chat, presence: { user_id: 'alice' } });
    const bob = await connectedClient(server, { app: chat, presence: { user_id: 'bob' } });
    const aliceChannel = await subscribed(alice, name);
    const bobChannel = await subscribed(bob, name);
    const received = nextEventWithMetadata(bobChannel, 'client-cursor');
    aliceChannel.trigger('client-cursor', { x: 1 });
    const { data, metadata } = await received;
    assert.deepEqual(data, { x: 1 });
    assert.equal((metadata as { user_id: string }).user_id, 'alice');
  });

  it('carry the user_id in the raw envelope, and data as the client sent it', async () => {
    const name = fresh('presence-raw-');
    const { sender, receiver } = await rawPair(name);
    sender.send({ event: 'client-move', channel: name, data: { to: [1, 2] } });
    const frame = await receiver.next('client-move');
    assert.deepEqual(frame, { event: 'client-move', channel: name, data: { to: [1, 2] }, user_id: 'sender' });
  });

  it('work with laravel-echo whisper / listenForWhisper', async () => {
    const name = fresh('room.');
    const [one, two] = [
      new Echo({ broadcaster: 'pusher', client: await connectedClient(server, { app: chat }) }),
      new Echo({ broadcaster: 'pusher', client: await connectedClient(server, { app: chat }) }),
    ];
    const ready = Promise.all(
      [one, two].map((echo) => new Promise<void>((resolve) => echo.private(name).subscribed(resolve))),
    );
    const heard = new Promise((resolve) => two.private(name).listenForWhisper('typing', resolve));
    await within(ready, 'Echo subscriptions');
    one.private(name).whisper('typing', { name: 'Ann' });
    assert.deepEqual(await within(heard, 'whisper'), { name: 'Ann' });
  });

  it('are not cached on cache channels', async () => {
    const name = fresh('private-cache-notes-');
    const { sender } = await rawPair(name);
    sender.send({ event: 'client-note', channel: name, data: {} });
    await sender.roundTrip();
    const { client, socketId } = await RawClient.connect(server, { key: chat.key });
    await client.subscribe(name, sdkFor(server, chat).authorizeChannel(socketId, name));
    const frame = await client.nextOf(['pusher:cache_miss', 'client-note'], name);
    assert.equal(frame.event, 'pusher:cache_miss');
  });
});

describe('client events that are refused', () => {
  it('on an app without client messages: Pusher’s code-null error, nothing delivered', async () => {
    const name = fresh('private-quiet-');
    const { sender, receiver } = await rawPair(name, quiet);
    sender.send({ event: 'client-x', channel: name, data: {} });
    const error = errorOf(await sender.next('pusher:error'));
    assert.deepEqual(error, {
      code: null,
      message: 'To send client events, you must enable this feature in the Settings page of your dashboard.',
    });
    await drain(receiver, name, quiet);
    assert.equal(receiver.all('client-x').length, 0);
    await sender.roundTrip();
  });

  it('pusher-js sees the refusal as a connection error event', async () => {
    const name = fresh('private-quiet-js-');
    const pusher = await connectedClient(server, { app: quiet });
    const channel = await subscribed(pusher, name);
    const error = nextEvent<{ type: string; data: { code: number | null; message: string } }>(
      pusher.connection as unknown as Parameters<typeof nextEvent>[0],
      'error',
    );
    channel.trigger('client-x', {});
    const received = await error;
    assert.equal(received.data.code, null);
    assert.match(received.data.message, /enable this feature/);
    assert.equal(pusher.connection.state, 'connected');
  });

  it('on public, cache, encrypted and user channels', async () => {
    const sdk = sdkFor(server, chat);
    const { client, socketId } = await RawClient.connect(server, { key: chat.key });
    const channels = [fresh('public-'), fresh('cache-'), fresh('private-encrypted-')];
    for (const name of channels) {
      const auth = name.startsWith('private-') ? sdk.authorizeChannel(socketId, name) : {};
      await client.subscribe(name, auth);
    }
    for (const name of [...channels, '#server-to-user-1']) {
      client.send({ event: 'client-x', channel: name, data: {} });
      const error = errorOf(await client.next('pusher:error'));
      assert.equal(error.code, null, name);
      assert.match(error.message, /only supported on private and presence channels/, name);
    }
    await client.roundTrip();
  });

  it('from a socket that is not subscribed to the channel', async () => {
    const name = fresh('private-outsider-');
    const { receiver } = await rawPair(name);
    const { client } = await RawClient.connect(server, { key: chat.key });
    client.send({ event: 'client-x', channel: name, data: {} });
    const error = errorOf(await client.next('pusher:error'));
    assert.match(error.message, /not subscribed/);
    await drain(receiver, name);
    assert.equal(receiver.all('client-x').length, 0);
  });

  it('beyond 10 per second per connection (4301), without closing; the next second is allowed again', async () => {
    const name = fresh('private-flood-');
    const { sender, receiver } = await rawPair(name);
    for (let index = 0; index < 15; index++)
      sender.send({ event: 'client-n', channel: name, data: { index } });
    for (let index = 0; index < 5; index++) {
      const error = errorOf(await sender.next('pusher:error'));
      assert.equal(error.code, 4301);
      assert.match(error.message, /rate limit/);
    }
    await drain(receiver, name);
    assert.deepEqual(
      receiver.all('client-n').map((frame) => (frame.data as { index: number }).index),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(sender.isClosed, false);
    await sleep(1_050);
    sender.send({ event: 'client-n', channel: name, data: { index: 99 } });
    await receiver.next('client-n', { where: (frame) => (frame.data as { index: number }).index === 99 });
  });

  it('over the size limit (4301), without closing', async () => {
    const name = fresh('private-big-');
    const { sender, receiver } = await rawPair(name);
    sender.send({ event: 'client-big', channel: name, data: { blob: 'x'.repeat(11_000) } });
    const error = errorOf(await sender.next('pusher:error'));
    assert.equal(error.code, 4301);
    assert.match(error.message, /payload too large/);
    sender.send({ event: 'client-small', channel: name, data: { blob: 'x'.repeat(9_000) } });
    await receiver.next('client-small');
    assert.equal(receiver.all('client-big').length, 0);
  });

  it('with an event name over 200 characters', async () => {
    const name = fresh('private-longname-');
    const { sender, receiver } = await rawPair(name);
    sender.send({ event: `client-${'x'.repeat(200)}`, channel: name, data: {} });
    const error = errorOf(await sender.next('pusher:error'));
    assert.match(error.message, /longer than 200/);
    await drain(receiver, name);
    assert.equal(receiver.frames.filter((frame) => frame.event.startsWith('client-')).length, 0);
  });

  it('named like protocol events (pusher:*, pusher_internal:*) are not relayed', async () => {
    const name = fresh('presence-spoof-');
    const { sender, receiver } = await rawPair(name);
    sender.send({ event: 'pusher_internal:member_added', channel: name, data: '{"user_id":"ghost"}' });
    sender.send({ event: 'pusher:subscription_succeeded', channel: name, data: {} });
    await sender.next('pusher:error');
    await sender.next('pusher:error');
    await drain(receiver, name);
    assert.equal(receiver.all('pusher_internal:member_added', name).length, 0);
  });
});
