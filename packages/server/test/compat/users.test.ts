/**
 * User authentication (`pusher:signin`), `#server-to-user-{id}` and `sendToUser`, `terminate_connections`, the
 * watchlist, per-app `subscription_count` events, and "authorized connections" (4009 when not authorized in time).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PresenceChannel } from 'pusher-js';
import type { Pusher as PusherJs } from '../support/pusher-js.js';
import {
  cleanup,
  collect,
  connectedClient,
  dataOf,
  nextEvent,
  RawClient,
  type ServerHandle,
  sdkFor,
  sleep,
  startTestServer,
  subscribed,
  type TestApp,
  testApp,
  waitFor,
  waitForState,
} from './helpers.js';

const users = testApp('users');
const strict = testApp('strict', { requireUserAuthentication: true, userAuthenticationTimeoutSeconds: 1 });
const counted = testApp('counted', { subscriptionCountEvents: true });

let server: ServerHandle;

before(async () => {
  server = await startTestServer({ config: { apps: [users, strict, counted] } });
});
after(cleanup);

let unique = 0;
function fresh(prefix: string): string {
  unique++;
  return `${prefix}${unique}`;
}

/** A pusher-js client signed in as `id`; resolves once its `#server-to-user-` subscription is confirmed. */
async function signedIn(
  id: string,
  extra: { watchlist?: string[]; user_info?: unknown; app?: TestApp } = {},
) {
  const pusher = await connectedClient(server, {
    app: extra.app ?? users,
    user: { id, user_info: extra.user_info, watchlist: extra.watchlist },
  });
  pusher.signin();
  await waitFor(
    () =>
      (pusher.user as unknown as { serverToUserChannel?: { subscribed: boolean } }).serverToUserChannel
        ?.subscribed,
    `sign-in of ${id}`,
  );
  return pusher;
}

/** Signs a raw socket in with SDK-signed user data. */
async function rawSignin(
  client: RawClient,
  socketId: string,
  userData: Record<string, unknown>,
  app = users,
) {
  const { auth, user_data } = sdkFor(server, app).authenticateUser(socketId, userData as never);
  client.send({ event: 'pusher:signin', data: { auth, user_data } });
  return client.nextOf(['pusher:signin_success', 'pusher:error']);
}

function connectionEvents(pusher: PusherJs) {
  return pusher.connection as unknown as Parameters<typeof nextEvent>[0];
}

describe('sign-in and sendToUser', () => {
  it('signs pusher-js in and delivers sendToUser events to every socket of that user only', async () => {
    const id = fresh('u');
    const first = await signedIn(id, { user_info: { name: 'First' } });
    const second = await signedIn(id);
    const other = await signedIn(fresh('other'));
    assert.equal(first.user.user_data?.id, id);
    const otherSeen = collect(other.user as never, 'notice');
    const got = [nextEvent(first.user as never, 'notice'), nextEvent(second.user as never, 'notice')];
    await sdkFor(server, users).sendToUser(id, 'notice', { text: 'hi' });
    assert.deepEqual(await Promise.all(got), [{ text: 'hi' }, { text: 'hi' }]);
    assert.deepEqual(otherSeen, []);
  });

  it('answers signin with signin_success carrying the user_data string as sent', async () => {
    const { client, socketId } = await RawClient.connect(server, { key: users.key });
    const frame = await rawSignin(client, socketId, { id: 'raw-1', user_info: { n: 'é' } });
    assert.equal(frame.event, 'pusher:signin_success');
    const { user_data } = dataOf<{ user_data: string }>(frame);
    assert.deepEqual(JSON.parse(user_data), { id: 'raw-1', user_info: { n: 'é' } });
  });

  it('lets a signed-in socket join presence without channel_data, as its user', async () => {
    const id = fresh('member');
    const pusher = await signedIn(id, { user_info: { name: 'Signed' } });
    const channel = (await subscribed(pusher, fresh('presence-signed-'))) as PresenceChannel;
    assert.deepEqual(channel.members.me, { id, info: { name: 'Signed' } });
    assert.equal(channel.members.count, 1);
  });

  it('refuses #server-to-user-{id} to sockets not signed in as {id} (AuthError 403)', async () => {
    const victim = fresh('victim');
    const victimClient = await signedIn(victim);
    const { client, socketId } = await RawClient.connect(server, { key: users.key });
    const anonymous = await client.subscribe(`#server-to-user-${victim}`);
    assert.equal(anonymous.event, 'pusher:subscription_error');
    assert.deepEqual(anonymous.data, {
      type: 'AuthError',
      error: 'a user channel can only be joined by the socket signed in as that user',
      status: 403,
    });
    await rawSignin(client, socketId, { id: fresh('mallory') });
    const other = await client.subscribe(`#server-to-user-${victim}`);
    assert.equal(other.event, 'pusher:subscription_error');
    assert.equal((other.data as { status: number }).status, 403);
    const delivered = nextEvent(victimClient.user as never, 'secret');
    await sdkFor(server, users).sendToUser(victim, 'secret', {});
    await delivered;
    await client.roundTrip();
    assert.equal(client.all('secret').length, 0);
  });

  it('closes the connection with 4009 for a bad sign-in; pusher-js does not reconnect', async () => {
    const forger = sdkFor(server, { ...users, secret: 'wrong' });
    const cases: Array<{ user: Record<string, unknown>; forged?: boolean; detail: RegExp }> = [
      { user: { id: 'x' }, forged: true, detail: /invalid signature/ },
      { user: { name: 'no id' }, detail: /user_data.id/ },
      { user: { id: 42 }, detail: /user_data.id/ },
      { user: { id: '' }, detail: /user_data.id/ },
      { user: { id: 'a b' }, detail: /user_data.id/ },
      { user: { id: 'x', watchlist: 'nope' }, detail: /watchlist/ },
    ];
    for (const { user, forged, detail } of cases) {
      const { client, socketId } = await RawClient.connect(server, { key: users.key });
      // Signed by hand: the SDK refuses to sign user data without an id.
      const user_data = JSON.stringify(user);
      const signature = createHmac('sha256', forged ? 'wrong' : users.secret)
        .update(`${socketId}::user::${user_data}`)
        .digest('hex');
      client.send({ event: 'pusher:signin', data: { auth: `${users.key}:${signature}`, user_data } });
      const error = dataOf<{ code: number; message: string }>(await client.next('pusher:error'));
      assert.equal(error.code, 4009, JSON.stringify(user));
      assert.match(error.message, /^Invalid signin/);
      assert.match(error.message, detail);
      assert.equal((await client.waitClose()).code, 4009);
    }

    const pusher = await connectedClient(server, {
      app: users,
      options: {
        userAuthentication: {
          endpoint: '/unused',
          transport: 'ajax',
          customHandler: (
            { socketId }: { socketId: string },
            callback: (error: Error | null, data: unknown) => void,
          ) => callback(null, forger.authenticateUser(socketId, { id: 'x' })),
        },
      },
    });
    pusher.signin();
    await waitForState(pusher, 'disconnected');
    await sleep(1_200);
    assert.equal(pusher.connection.state, 'disconnected', 'no reconnect after 4009');
  });

  it('refuses signing in again as another user, allows the same user again', async () => {
    const { client, socketId } = await RawClient.connect(server, { key: users.key });
    assert.equal((await rawSignin(client, socketId, { id: 'same' })).event, 'pusher:signin_success');
    assert.equal((await rawSignin(client, socketId, { id: 'same' })).event, 'pusher:signin_success');
    const frame = await rawSignin(client, socketId, { id: 'someone-else' });
    assert.equal(frame.event, 'pusher:error');
    assert.equal((await client.waitClose()).code, 4009);
  });
});

describe('terminate_connections', () => {
  it("closes every connection signed in as the user with 4009, and nobody else's", async () => {
    const id = fresh('terminated');
    const first = await signedIn(id);
    const second = await signedIn(id);
    const bystander = await signedIn(fresh('bystander'));
    // A socket that only joined presence with the same user id is not signed in as that user.
    const presenceOnly = await connectedClient(server, { app: users, presence: { user_id: id } });
    await subscribed(presenceOnly, fresh('presence-term-'));

    // pusher-js raises the pusher:error frame ({type: 'PusherError', data}) and then the close code.
    const errors = [first, second].map((pusher) =>
      nextEvent<{ type: string; data: { code: number; message: string } }>(connectionEvents(pusher), 'error'),
    );
    const response = await sdkFor(server, users).terminateUserConnections(id);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {});
    for (const error of await Promise.all(errors)) {
      assert.deepEqual(error, {
        type: 'PusherError',
        data: { code: 4009, message: 'You got disconnected by the app.' },
      });
    }
    await Promise.all([waitForState(first, 'disconnected'), waitForState(second, 'disconnected')]);
    await sleep(200);
    assert.equal(bystander.connection.state, 'connected');
    assert.equal(presenceOnly.connection.state, 'connected');
  });

  it('sends "You got disconnected by the app." before the close', async () => {
    const id = fresh('raw-terminated');
    const { client, socketId } = await RawClient.connect(server, { key: users.key });
    await rawSignin(client, socketId, { id });
    await sdkFor(server, users).terminateUserConnections(id);
    assert.deepEqual(dataOf(await client.next('pusher:error')), {
      code: 4009,
      message: 'You got disconnected by the app.',
    });
    assert.equal((await client.waitClose()).code, 4009);
  });

  it('accepts a user with no connections', async () => {
    const response = await sdkFor(server, users).terminateUserConnections('nobody-here');
    assert.equal(response.status, 200);
  });
});

describe('watchlist', () => {
  it('reports the current state after sign-in, then every change', async () => {
    const [online, later] = [fresh('online'), fresh('later')];
    await signedIn(online);
    const watcher = await connectedClient(server, {
      app: users,
      user: { id: fresh('watcher'), watchlist: [online, later] },
    });
    const watchlist = (watcher.user as unknown as { watchlist: Parameters<typeof nextEvent>[0] }).watchlist;
    const initialOnline = nextEvent<{ name: string; user_ids: string[] }>(watchlist, 'online');
    const initialOffline = nextEvent<{ name: string; user_ids: string[] }>(watchlist, 'offline');
    watcher.signin();
    assert.deepEqual((await initialOnline).user_ids, [online]);
    assert.deepEqual((await initialOffline).user_ids, [later]);

    const cameOnline = nextEvent<{ user_ids: string[] }>(watchlist, 'online');
    const laterClient = await signedIn(later);
    assert.deepEqual((await cameOnline).user_ids, [later]);
    const wentOffline = nextEvent<{ user_ids: string[] }>(watchlist, 'offline');
    laterClient.disconnect();
    assert.deepEqual((await wentOffline).user_ids, [later]);
  });

  it('accepts at most 100 ids: 4302 error, sign-in still succeeds', async () => {
    const { client, socketId } = await RawClient.connect(server, { key: users.key });
    const watchlist = Array.from({ length: 101 }, (_, index) => `w${index}`);
    client.send({
      event: 'pusher:signin',
      data: sdkFor(server, users).authenticateUser(socketId, {
        id: fresh('big-watcher'),
        watchlist,
      } as never),
    });
    const error = dataOf<{ code: number }>(await client.next('pusher:error'));
    assert.equal(error.code, 4302);
    await client.next('pusher:signin_success');
    const events = dataOf<{ events: Array<{ name: string; user_ids: string[] }> }>(
      await client.next('pusher_internal:watchlist_events'),
    );
    assert.equal(events.events.flatMap((event) => event.user_ids).length, 100);
    assert.equal(client.isClosed, false);
  });
});

describe('subscription_count events (opt-in per app)', () => {
  it('tells every subscriber the count on each subscribe and unsubscribe', async () => {
    const name = fresh('counted-');
    const first = await connectedClient(server, { app: counted });
    const channel = first.subscribe(name);
    const initial = await nextEvent<{ subscription_count: number }>(channel, 'pusher:subscription_count');
    assert.equal(initial.subscription_count, 1);
    const second = await connectedClient(server, { app: counted });
    const two = nextEvent<{ subscription_count: number }>(channel, 'pusher:subscription_count');
    second.subscribe(name);
    assert.equal((await two).subscription_count, 2);
    const one = nextEvent<{ subscription_count: number }>(channel, 'pusher:subscription_count');
    second.disconnect();
    assert.equal((await one).subscription_count, 1);
    assert.equal((channel as unknown as { subscriptionCount: number }).subscriptionCount, 1);
  });

  it('are not sent on presence channels, nor for apps that did not opt in', async () => {
    const presence = fresh('presence-uncounted-');
    const { client, socketId } = await RawClient.connect(server, { key: counted.key });
    const auth = sdkFor(server, counted).authorizeChannel(socketId, presence, { user_id: '1' });
    await client.subscribe(presence, auth);
    const plain = await RawClient.connect(server, { key: users.key });
    const publicName = fresh('uncounted-');
    await plain.client.subscribe(publicName);
    await sdkFor(server, counted).trigger(presence, 'marker', {});
    await sdkFor(server, users).trigger(publicName, 'marker', {});
    await client.next('marker');
    await plain.client.next('marker');
    assert.equal(client.all('pusher_internal:subscription_count').length, 0);
    assert.equal(plain.client.all('pusher_internal:subscription_count').length, 0);
  });
});

describe('authorized connections (requireUserAuthentication)', () => {
  it('closes sockets that neither sign in nor join an authorized channel in time with 4009', async () => {
    const idle = await RawClient.connect(server, { key: strict.key });
    const publicOnly = await RawClient.connect(server, { key: strict.key });
    await publicOnly.client.subscribe('public-is-not-enough');
    for (const { client } of [idle, publicOnly]) {
      const closed = await client.waitClose(4_000);
      assert.equal(closed.code, 4009);
      assert.deepEqual(dataOf(client.all('pusher:error')[0]!), {
        code: 4009,
        message: 'Connection not authorized within timeout.',
      });
    }
  });

  it('keeps sockets that signed in or joined a private channel, and pusher-js gives up after 4009', async () => {
    const signed = await RawClient.connect(server, { key: strict.key });
    await rawSignin(signed.client, signed.socketId, { id: 'strict-user' }, strict);
    const joined = await RawClient.connect(server, { key: strict.key });
    const name = fresh('private-strict-');
    await joined.client.subscribe(name, sdkFor(server, strict).authorizeChannel(joined.socketId, name));
    const pusher = await connectedClient(server, { app: strict });
    await waitForState(pusher, 'disconnected', 4_000);
    await signed.client.roundTrip();
    await joined.client.roundTrip();
    assert.equal(signed.client.isClosed || joined.client.isClosed, false);
  });
});
