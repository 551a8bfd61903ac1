/**
 * The client against the real server over WebSocket: delivery, resume after network drops (exactly once, in
 * order), `recovery_failed` after a server restart, auth, presence, client events, sign-in, close codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '../src/index.js';
import {
  type AuthServer,
  Clients,
  publisher,
  type ServerHandle,
  startAuthServer,
  startProxy,
  startServer,
  subscribed,
  type TcpProxy,
  waitFor,
} from './helpers.js';

let server: ServerHandle;
let proxy: TcpProxy;
let auth: AuthServer;
const clients = new Clients();
/** These tests are about the WebSocket transport; the HTTP fallbacks have their own file. */
const ws = { transports: ['ws' as const] };

before(async () => {
  server = await startServer({ env: { PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'true' } });
  proxy = await startProxy(server.port);
  auth = await startAuthServer(publisher(server));
});

after(async () => {
  clients.stopAll();
  await proxy?.close();
  await auth?.close();
  await server?.stop();
});

function states(client: Client): string[] {
  const seen: string[] = [client.connection.state];
  client.connection.bind('state_change', (change) => seen.push((change as { current: string }).current));
  return seen;
}

describe('websocket', () => {
  test('connects, subscribes and receives events: JSON parsed, other strings as they are, with positions', async () => {
    const client = clients.create({ ...ws, key: server.app.key, url: proxy.url });
    const seenStates = states(client);
    const channel = client.subscribe('news');
    const received: Array<{ data: unknown; position: string | undefined }> = [];
    channel.bind('headline', (data, meta) => received.push({ data, position: meta.position }));
    await subscribed(channel);
    assert.equal(client.connection.transport, 'ws');
    assert.match(client.connection.socketId ?? '', /^\d+\.\d+$/);
    const pusher = publisher(server);
    await pusher.trigger('news', 'headline', { title: 'Hello' });
    await pusher.trigger('news', 'headline', 'plain text');
    await waitFor(() => received.length === 2, 'two headlines');
    assert.deepEqual(received[0]!.data, { title: 'Hello' });
    assert.equal(received[1]!.data, 'plain text');
    assert.match(received[0]!.position ?? '', /^[A-Za-z0-9_-]+:1$/);
    assert.match(received[1]!.position ?? '', /:2$/);
    assert.deepEqual(seenStates, ['initialized', 'connecting', 'connected']);
    client.disconnect();
    assert.equal(client.connection.state, 'disconnected');
  });

  test('resumes after network drops: every event published during and around the gaps arrives once, in order', async () => {
    const client = clients.create({ ...ws, key: server.app.key, url: proxy.url });
    const seenStates = states(client);
    const channel = client.subscribe('resume-1');
    const received: number[] = [];
    const failures: unknown[] = [];
    channel.bind('tick', (data) => received.push((data as { n: number }).n));
    channel.bind('recovery_failed', (failure) => failures.push(failure));
    await subscribed(channel);
    const pusher = publisher(server);
    let next = 1;
    const publish = async (count: number) => {
      for (let index = 0; index < count; index++) await pusher.trigger('resume-1', 'tick', { n: next++ });
    };
    await publish(5);
    await waitFor(() => received.length === 5, 'first five events');
    for (let drop = 0; drop < 3; drop++) {
      const socketBefore = client.connection.socketId;
      proxy.refuse(true);
      proxy.drop();
      await waitFor(() => client.connection.state !== 'connected', 'the client to notice the drop');
      await publish(10); // published while the client is cut off
      proxy.refuse(false);
      const racing = publish(10); // published while it reconnects and resumes
      await waitFor(() => client.connection.state === 'connected', 'reconnection');
      await racing;
      assert.notEqual(client.connection.socketId, socketBefore);
    }
    await publish(5);
    const total = next - 1;
    await waitFor(() => received.length >= total, `${total} events`);
    await new Promise((resume) => setTimeout(resume, 200)); // a duplicate would arrive right behind
    assert.deepEqual(
      received,
      Array.from({ length: total }, (_, index) => index + 1),
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(seenStates.slice(0, 5), [
      'initialized',
      'connecting',
      'connected',
      'connecting',
      'connected',
    ]);
  });

  test('a silently dead connection is found by ping and resumed; nothing published meanwhile is lost', async () => {
    const client = clients.create({
      ...ws,
      key: server.app.key,
      url: proxy.url,
      activityTimeoutMs: 300,
      pongTimeoutMs: 300,
    });
    const channel = client.subscribe('blackhole');
    const received: number[] = [];
    channel.bind('tick', (data) => received.push((data as { n: number }).n));
    await subscribed(channel);
    const pusher = publisher(server);
    await pusher.trigger('blackhole', 'tick', { n: 1 });
    await waitFor(() => received.length === 1, 'the first event');
    const socketBefore = client.connection.socketId;
    proxy.blackhole();
    for (let n = 2; n <= 6; n++) await pusher.trigger('blackhole', 'tick', { n });
    await waitFor(
      () => client.connection.socketId !== socketBefore && client.connection.state === 'connected',
      'a new connection',
      5000,
    );
    await waitFor(() => received.length >= 6, 'the events sent into the black hole');
    await new Promise((resume) => setTimeout(resume, 200));
    assert.deepEqual(received, [1, 2, 3, 4, 5, 6]);
  });

  test('raises recovery_failed when the server restarted (epoch changed), then continues live', async () => {
    const own = await startServer();
    const ownProxy = await startProxy(own.port);
    let restarted: ServerHandle | null = null;
    try {
      const client = clients.create({ ...ws, key: own.app.key, url: ownProxy.url });
      const channel = client.subscribe('prices');
      const received: unknown[] = [];
      const failures: Array<{ reason: string; position: string }> = [];
      channel.bind('price', (data) => received.push(data));
      channel.bind('recovery_failed', (failure) =>
        failures.push(failure as { reason: string; position: string }),
      );
      await subscribed(channel);
      await publisher(own).trigger('prices', 'price', { price: 10 });
      await waitFor(() => received.length === 1, 'the first price');

      ownProxy.refuse(true);
      ownProxy.drop();
      await own.stop();
      restarted = await startServer();
      ownProxy.retarget(restarted.port);
      await publisher(restarted).trigger('prices', 'price', { price: 11 }); // on the new stream, before resuming
      ownProxy.refuse(false);
      await waitFor(() => failures.length === 1, 'recovery_failed');
      assert.equal(failures[0]!.reason, 'epoch_changed');
      assert.match(failures[0]!.position, /^[A-Za-z0-9_-]+:1$/);
      await publisher(restarted).trigger('prices', 'price', { price: 12 });
      await waitFor(() => received.length === 2, 'the live price after the restart');
      assert.deepEqual(received, [{ price: 10 }, { price: 12 }]);
    } finally {
      await ownProxy.close();
      await restarted?.stop();
      await own.stop();
    }
  });

  test('resumes a cached baseline from its position (subscribe option resumeFrom)', async () => {
    const pusher = publisher(server);
    const first = clients.create({ ...ws, key: server.app.key, url: proxy.url });
    const channel = first.subscribe('seats-A12');
    const positions: string[] = [];
    channel.bind('seats-changed', (_data, meta) => positions.push(meta.position!));
    await subscribed(channel);
    await pusher.trigger('seats-A12', 'seats-changed', { seats_left: 12 });
    await waitFor(() => positions.length === 1, 'the baseline event');
    first.disconnect();
    // The page was rendered at positions[0]; two more changes happen before it loads.
    await pusher.trigger('seats-A12', 'seats-changed', { seats_left: 11 });
    await pusher.trigger('seats-A12', 'seats-changed', { seats_left: 10 });
    const page = clients.create({ ...ws, key: server.app.key, url: proxy.url });
    const seats: unknown[] = [];
    page
      .subscribe('seats-A12', { resumeFrom: positions[0] })
      .bind('seats-changed', (data) => seats.push(data));
    await waitFor(() => seats.length === 2, 'the two missed changes');
    assert.deepEqual(seats, [{ seats_left: 11 }, { seats_left: 10 }]);
  });

  test('private and presence auth through the endpoint with headers and params; members; client events', async () => {
    const config = (user: string) => ({
      ...ws,
      key: server.app.key,
      url: proxy.url,
      authEndpoint: `${auth.url}/auth`,
      auth: { headers: { 'X-WP-Nonce': 'good-nonce' }, params: { user } },
    });
    const alice = clients.create(config('alice'));
    const bob = clients.create(config('bob'));
    const roomA = alice.subscribe('presence-room');
    await subscribed(roomA);
    assert.equal(roomA.members.count, 1);
    assert.deepEqual(roomA.members.me, { id: 'alice', info: { name: 'User alice' } });
    const added: unknown[] = [];
    const removed: unknown[] = [];
    roomA.bind('pusher:member_added', (member) => added.push(member));
    roomA.bind('pusher:member_removed', (member) => removed.push(member));

    const roomB = bob.subscribe('presence-room');
    const membersB = await subscribed(roomB);
    assert.equal(membersB, roomB.members);
    assert.equal(roomB.members.count, 2);
    const ids: string[] = [];
    roomB.members.each((member) => ids.push(member.id));
    assert.deepEqual(ids.sort(), ['alice', 'bob']);
    await waitFor(() => added.length === 1, 'member_added');
    assert.deepEqual(added[0], { id: 'bob', info: { name: 'User bob' } });
    assert.equal(roomA.members.count, 2);

    // Client events: not echoed to the sender; on presence the receiver learns who sent it.
    const typingA: Array<{ data: unknown; userId: unknown }> = [];
    const typingB: unknown[] = [];
    roomA.bind('client-typing', (data, meta) => typingA.push({ data, userId: meta.user_id }));
    roomB.bind('client-typing', (data) => typingB.push(data));
    assert.equal(roomB.trigger('client-typing', { typing: true }), true);
    await waitFor(() => typingA.length === 1, 'the typing indicator');
    assert.deepEqual(typingA[0], { data: { typing: true }, userId: 'bob' });
    assert.equal(roomB.trigger('not-a-client-event', {}), false);

    const privateA = alice.subscribe('private-orders-7');
    const privateB = bob.subscribe('private-orders-7');
    await Promise.all([subscribed(privateA), subscribed(privateB)]);
    const notes: unknown[] = [];
    privateB.bind('client-note', (data) => notes.push(data));
    assert.equal(privateA.trigger('client-note', 'ready'), true);
    await waitFor(() => notes.length === 1, 'the private client event');
    assert.deepEqual(notes, ['ready']);
    assert.equal(
      alice.subscribe('public-news').trigger('client-x', {}),
      false,
      'no client events on public channels',
    );

    bob.unsubscribe('presence-room');
    await waitFor(() => removed.length === 1, 'member_removed');
    assert.deepEqual(removed[0], { id: 'bob', info: { name: 'User bob' } });
    assert.equal(roomA.members.count, 1);
    assert.equal(typingB.length, 0);
    const authRequest = auth.requests.find(
      (request) => request.form.get('channel_name') === 'private-orders-7',
    );
    assert.ok(authRequest);
    assert.equal(authRequest.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(authRequest.form.get('socket_id') ?? '', /^\d+\.\d+$/);
  });

  test('a refused auth raises pusher:subscription_error with the status', async () => {
    const client = clients.create({
      ...ws,
      key: server.app.key,
      url: proxy.url,
      authEndpoint: `${auth.url}/auth`,
      auth: { headers: { 'X-WP-Nonce': 'stale-nonce' } },
    });
    const errors: Array<{ type: string; status: number }> = [];
    client
      .subscribe('private-secret')
      .bind('pusher:subscription_error', (error) => errors.push(error as never));
    await waitFor(() => errors.length === 1, 'subscription_error');
    assert.equal(errors[0]!.type, 'AuthError');
    assert.equal(errors[0]!.status, 403);
    assert.equal(client.channel('private-secret')!.subscribed, false);
  });

  test('signin: the user receives events sent to it, also after a reconnect', async () => {
    const client = clients.create({
      ...ws,
      key: server.app.key,
      url: proxy.url,
      userAuthEndpoint: `${auth.url}/user-auth`,
      auth: { headers: { 'X-WP-Nonce': 'good-nonce' }, params: { user: 'carol' } },
    });
    const notes: unknown[] = [];
    client.user.bind('note', (data) => notes.push(data));
    client.signin();
    await waitFor(() => client.channel('#server-to-user-carol')?.subscribed, 'the user channel');
    assert.equal(client.user.id, 'carol');
    const pusher = publisher(server);
    await pusher.sendToUser('carol', 'note', { text: 'one' });
    await waitFor(() => notes.length === 1, 'the first note');
    proxy.drop();
    await waitFor(() => client.connection.state !== 'connected', 'the drop');
    await waitFor(() => client.channel('#server-to-user-carol')?.subscribed, 'the user channel again');
    await pusher.sendToUser('carol', 'note', { text: 'two' });
    await waitFor(() => notes.length === 2, 'the second note');
    assert.deepEqual(notes, [{ text: 'one' }, { text: 'two' }]);
  });

  test('unsubscribe is clean: no more events, and the server sees the channel vacated', async () => {
    const client = clients.create({ ...ws, key: server.app.key, url: proxy.url });
    const channel = client.subscribe('leaving');
    const received: unknown[] = [];
    channel.bind('ev', (data) => received.push(data));
    await subscribed(channel);
    const pusher = publisher(server);
    await pusher.trigger('leaving', 'ev', 1);
    await waitFor(() => received.length === 1, 'the first event');
    client.unsubscribe('leaving');
    assert.equal(client.channel('leaving'), undefined);
    const occupied = async () =>
      ((await (await pusher.get({ path: '/channels/leaving' })).json()) as { occupied: boolean }).occupied;
    const deadline = Date.now() + 5000;
    while ((await occupied()) && Date.now() < deadline) await new Promise((resume) => setTimeout(resume, 20));
    assert.equal(await occupied(), false);
    await pusher.trigger('leaving', 'ev', 2);
    await new Promise((resume) => setTimeout(resume, 200));
    assert.deepEqual(received, [1]);
  });

  test('an unknown app key (close code 4001) stops the client: state disconnected, no retry', async () => {
    const client = clients.create({ ...ws, key: 'no-such-key', url: proxy.url });
    const errors: unknown[] = [];
    client.connection.bind('error', (error) => errors.push(error));
    await waitFor(() => client.connection.state === 'disconnected', 'disconnected');
    assert.equal((errors[0] as { code: number }).code, 4001);
    await new Promise((resume) => setTimeout(resume, 300));
    assert.equal(client.connection.state, 'disconnected');
  });
});
