/**
 * The signed HTTP API through the `pusher` Node SDK (trigger, triggerBatch, get, post) and raw signed requests:
 * every endpoint, `info`, `socket_id`, signature refusals (stale, tampered, wrong secret, body changed), per-app
 * limits (payload, channels, batch, names, request rate) and malformed bodies that must never reach a subscriber.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type Pusher from 'pusher';
import {
  cleanup,
  connectedClient,
  nextEvent,
  RawClient,
  type ServerHandle,
  sdkFor,
  signedFetch,
  startTestServer,
  subscribed,
  type TestApp,
  testApp,
} from './helpers.js';

const api = testApp('api');
const tight = testApp('tight', {
  limits: {
    maxPayloadBytes: 100,
    maxChannelsPerEvent: 2,
    maxBatchSize: 2,
    maxEventNameLength: 10,
    maxChannelNameLength: 20,
  },
});
const limited = testApp('limited', { limits: { httpRequestsPerSecond: 2 } });
const off = testApp('off', { enabled: false });

let server: ServerHandle;
let sdk: Pusher;

before(async () => {
  server = await startTestServer({ config: { apps: [api, tight, limited, off] } });
  sdk = sdkFor(server, api);
});
after(cleanup);

let unique = 0;
function fresh(prefix: string): string {
  unique++;
  return `${prefix}${unique}`;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  assert.equal(response.headers.get('content-type'), 'application/json');
  return (await response.json()) as Record<string, unknown>;
}

/** Signs by hand (for timestamps the SDK would not produce). */
function handSigned(app: TestApp, method: string, path: string, body: string, timestamp: number): string {
  const params: Record<string, string> = {
    auth_key: app.key,
    auth_timestamp: String(timestamp),
    auth_version: '1.0',
  };
  if (body) params.body_md5 = createHash('md5').update(body).digest('hex');
  const query = Object.keys(params)
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  const signature = createHmac('sha256', app.secret).update(`${method}\n${path}\n${query}`).digest('hex');
  return `${query}&auth_signature=${signature}`;
}

/** A raw subscriber on `channel` that proves, after the test's requests, that nothing reached it. */
async function watcher(channel: string, app = api) {
  const { client } = await RawClient.connect(server, { key: app.key });
  await client.subscribe(channel);
  return {
    client,
    async assertNothing() {
      const marker = fresh('marker-');
      await sdkFor(server, app).trigger(channel, marker, {});
      await client.next(marker);
      const events = client.frames.filter(
        (frame) => !frame.event.startsWith('pusher') && frame.event !== marker,
      );
      assert.deepEqual(events, []);
    },
  };
}

describe('POST /apps/{id}/events', () => {
  it('answers 200 with a JSON object and delivers the data string as posted', async () => {
    const name = fresh('orders-');
    const { client } = await RawClient.connect(server, { key: api.key });
    await client.subscribe(name);
    const response = await sdk.trigger(name, 'created', { id: 1, text: 'a/b "é"' });
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response as unknown as Response), {});
    const frame = await client.next('created');
    assert.equal(frame.data, JSON.stringify({ id: 1, text: 'a/b "é"' }));
  });

  it('accepts `channel` (one channel, as the PHP SDK sends it) as well as `channels`', async () => {
    const name = fresh('php-');
    const { client } = await RawClient.connect(server, { key: api.key });
    await client.subscribe(name);
    const body = JSON.stringify({ name: 'from-php', channel: name, data: '{"php":true}' });
    const response = await signedFetch(server, 'POST', '/events', { body, app: api });
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), {});
    assert.equal((await client.next('from-php')).data, '{"php":true}');
  });

  it('excludes the socket_id given', async () => {
    const name = fresh('exclude-');
    const [sender, other] = await Promise.all([
      connectedClient(server, { app: api }),
      connectedClient(server, { app: api }),
    ]);
    const senderChannel = await subscribed(sender, name);
    const otherChannel = await subscribed(other, name);
    const seen: unknown[] = [];
    senderChannel.bind('saved', (data: unknown) => seen.push(data));
    const received = nextEvent(otherChannel, 'saved');
    await sdk.trigger(name, 'saved', { n: 1 }, { socket_id: sender.connection.socket_id });
    await received;
    const second = nextEvent(senderChannel, 'saved');
    await sdk.trigger(name, 'saved', { n: 2 });
    await second;
    assert.deepEqual(seen, [{ n: 2 }]);
  });

  it('returns requested info: subscription_count for plain channels, user_count for presence', async () => {
    const plain = fresh('info-');
    const presence = fresh('presence-info-');
    const a = await connectedClient(server, { app: api, presence: { user_id: 'a' } });
    const b = await connectedClient(server, { app: api, presence: { user_id: 'b' } });
    for (const pusher of [a, b]) {
      await subscribed(pusher, plain);
      await subscribed(pusher, presence);
    }
    const response = await sdk.trigger([plain, presence], 'e', {}, { info: 'subscription_count,user_count' });
    assert.deepEqual(await json(response as unknown as Response), {
      channels: { [plain]: { subscription_count: 2 }, [presence]: { user_count: 2 } },
    });
  });

  it('refuses a socket_id that is not two integers', async () => {
    const body = JSON.stringify({ name: 'e', channels: ['a'], data: '{}', socket_id: 'abc' });
    const response = await signedFetch(server, 'POST', '/events', { body, app: api });
    assert.equal(response.status, 400);
    assert.match(String((await json(response)).error), /socket_id/);
  });
});

describe('POST /apps/{id}/batch_events', () => {
  it('delivers each event to its channel, in order, with per-event socket_id exclusion', async () => {
    const [one, two] = [fresh('batch-'), fresh('batch-')];
    const { client, socketId } = await RawClient.connect(server, { key: api.key });
    await client.subscribe(one);
    await client.subscribe(two);
    const response = await sdk.triggerBatch([
      { channel: one, name: 'first', data: { n: 1 } },
      { channel: two, name: 'excluded', data: { n: 2 }, socket_id: socketId },
      { channel: two, name: 'second', data: { n: 3 } },
    ]);
    assert.deepEqual(await json(response as unknown as Response), {});
    assert.equal((await client.next('first')).channel, one);
    assert.equal((await client.next('second')).channel, two);
    assert.equal(client.all('excluded').length, 0);
  });

  it('answers with one info entry per item when any item asks for info', async () => {
    const name = fresh('batch-info-');
    const { client } = await RawClient.connect(server, { key: api.key });
    await client.subscribe(name);
    const response = await sdk.triggerBatch([
      { channel: name, name: 'a', data: '1', info: 'subscription_count' },
      { channel: name, name: 'b', data: '2' },
    ]);
    assert.deepEqual(await json(response as unknown as Response), { batch: [{ subscription_count: 1 }, {}] });
  });
});

describe('GET /apps/{id}/channels', () => {
  it('lists occupied channels as a JSON object (never an array), filtered by prefix', async () => {
    const empty = await sdkFor(server, tight).get({ path: '/channels' });
    assert.deepEqual(await json(empty as unknown as Response), { channels: {} });

    const prefix = fresh('listing');
    const pusher = await connectedClient(server, { app: api, presence: { user_id: 'lister' } });
    await subscribed(pusher, `${prefix}-a`);
    await subscribed(pusher, `presence-${prefix}-b`);
    const filtered = await sdk.get({ path: '/channels', params: { filter_by_prefix: `${prefix}-` } });
    assert.deepEqual(await json(filtered as unknown as Response), { channels: { [`${prefix}-a`]: {} } });
    const all = (await json((await sdk.get({ path: '/channels' })) as unknown as Response)) as {
      channels: Record<string, unknown>;
    };
    assert.ok(`${prefix}-a` in all.channels && `presence-${prefix}-b` in all.channels);

    const withUsers = await sdk.get({
      path: '/channels',
      params: { filter_by_prefix: `presence-${prefix}`, info: 'user_count' },
    });
    assert.deepEqual(await json(withUsers as unknown as Response), {
      channels: { [`presence-${prefix}-b`]: { user_count: 1 } },
    });
  });

  it('refuses info=user_count without a presence- prefix (400)', async () => {
    const response = await signedFetch(server, 'GET', '/channels', {
      params: { info: 'user_count' },
      app: api,
    });
    assert.equal(response.status, 400);
    assert.match(String((await json(response)).error), /presence-/);
  });
});

describe('GET /apps/{id}/channels/{name} and /users', () => {
  it('reports occupancy and the requested counts', async () => {
    const plain = fresh('single-');
    const presence = fresh('presence-single-');
    const unoccupied = await sdk.get({ path: `/channels/${plain}`, params: { info: 'subscription_count' } });
    assert.deepEqual(await json(unoccupied as unknown as Response), {
      occupied: false,
      subscription_count: 0,
    });

    const a = await connectedClient(server, { app: api, presence: { user_id: 'same' } });
    const b = await connectedClient(server, { app: api, presence: { user_id: 'same' } });
    for (const pusher of [a, b]) {
      await subscribed(pusher, plain);
      await subscribed(pusher, presence);
    }
    const occupied = await sdk.get({ path: `/channels/${plain}`, params: { info: 'subscription_count' } });
    assert.deepEqual(await json(occupied as unknown as Response), { occupied: true, subscription_count: 2 });
    const users = await sdk.get({ path: `/channels/${presence}`, params: { info: 'user_count' } });
    assert.deepEqual(await json(users as unknown as Response), { occupied: true, user_count: 1 });
    const list = await sdk.get({ path: `/channels/${presence}/users` });
    assert.deepEqual(await json(list as unknown as Response), { users: [{ id: 'same' }] });
    const plainInfo = await sdk.get({ path: `/channels/${plain}` });
    assert.deepEqual(await json(plainInfo as unknown as Response), { occupied: true });
  });

  it('refuses attributes that do not apply to the channel, and /users on non-presence channels (400)', async () => {
    for (const [path, params] of [
      ['/channels/plain', { info: 'user_count' }],
      ['/channels/presence-x', { info: 'subscription_count' }],
      ['/channels/plain', { info: 'cache' }],
      ['/channels/plain', { info: 'everything' }],
      ['/channels/plain/users', {}],
      ['/channels/bad%20name', {}],
    ] as const) {
      const response = await signedFetch(server, 'GET', path, { params, app: api });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(params)}`);
      assert.equal(typeof (await json(response)).error, 'string');
    }
  });
});

describe('request signatures', () => {
  const path = `/apps/${api.id}/channels`;

  it('accepts timestamps within ±600 s and refuses older or newer ones (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const skew of [-590, 590]) {
      const response = await fetch(`${server.url}${path}?${handSigned(api, 'GET', path, '', now + skew)}`);
      assert.equal(response.status, 200, `skew ${skew}`);
    }
    for (const skew of [-700, 700]) {
      const response = await fetch(`${server.url}${path}?${handSigned(api, 'GET', path, '', now + skew)}`);
      assert.equal(response.status, 401, `skew ${skew}`);
      assert.match(String((await json(response)).error), /auth_timestamp/);
    }
  });

  it('refuses a tampered signature, a changed query, and a wrong secret (401), through the SDK too', async () => {
    const tampered = await signedFetch(server, 'GET', '/channels', {
      app: api,
      tamper: (query) =>
        query.replace(/auth_signature=(.)/, (_, c: string) => `auth_signature=${c === 'a' ? 'b' : 'a'}`),
    });
    assert.equal(tampered.status, 401);
    const changed = await signedFetch(server, 'GET', '/channels', {
      app: api,
      params: { filter_by_prefix: 'a' },
      tamper: (query) => query.replace('filter_by_prefix=a', 'filter_by_prefix=b'),
    });
    assert.equal(changed.status, 401);
    const wrong = sdkFor(server, { ...api, secret: 'wrong-secret' });
    await assert.rejects(wrong.trigger('x', 'e', {}), (error: { status: number; body: string }) => {
      assert.equal(error.status, 401);
      assert.match(error.body, /Invalid signature/);
      return true;
    });
  });

  it('refuses a body changed after signing (body_md5) and a missing signature', async () => {
    const name = fresh('md5-');
    const watch = await watcher(name);
    const signedBody = JSON.stringify({ name: 'e', channels: [name], data: '{"amount":1}' });
    const query = sdk.createSignedQueryString({
      method: 'POST',
      path: `/apps/${api.id}/events`,
      body: signedBody,
    });
    const forged = signedBody.replace('1', '1000');
    const response = await fetch(`${server.url}/apps/${api.id}/events?${query}`, {
      method: 'POST',
      body: forged,
    });
    assert.equal(response.status, 401);
    assert.match(String((await json(response)).error), /body_md5/);
    const unsigned = await fetch(`${server.url}/apps/${api.id}/events`, { method: 'POST', body: signedBody });
    assert.equal(unsigned.status, 401);
    await watch.assertNothing();
  });

  it('answers 404 for an unknown app id and 403 for a disabled app', async () => {
    await assert.rejects(
      sdkFor(server, { id: 'nope', key: api.key, secret: api.secret }).trigger('x', 'e', {}),
      {
        status: 404,
      },
    );
    await assert.rejects(sdkFor(server, off).trigger('x', 'e', {}), { status: 403 });
  });
});

describe('limits and malformed requests', () => {
  it('refuses data over 10 KB with 413 (UTF-8 bytes), and accepts exactly 10 KB', async () => {
    const name = fresh('big-');
    const watch = await watcher(name);
    await assert.rejects(sdk.trigger(name, 'e', 'x'.repeat(10_241)), { status: 413 });
    await assert.rejects(sdk.trigger(name, 'e', 'é'.repeat(5_121)), { status: 413 });
    await watch.assertNothing();
    const ok = await sdk.trigger(name, 'exact', 'x'.repeat(10_240 - 2));
    assert.equal(ok.status, 200);
  });

  it('applies per-app limits: payload, channels per event, batch size, event and channel name length', async () => {
    const small = sdkFor(server, tight);
    const cases: Array<[string, () => Promise<unknown>, number, RegExp]> = [
      ['payload', () => small.trigger('a', 'e', 'x'.repeat(101)), 413, /the limit is 100 bytes/],
      ['channels', () => small.trigger(['a', 'b', 'c'], 'e', {}), 400, /at most 2 channels/],
      [
        'batch',
        () => small.triggerBatch(['a', 'b', 'c'].map((channel) => ({ channel, name: 'e', data: '{}' }))),
        400,
        /at most 2 events/,
      ],
      ['event name', () => small.trigger('a', 'e'.repeat(11), {}), 400, /longer than 10/],
      ['channel name', () => small.trigger('c'.repeat(21), 'e', {}), 400, /longer than 20/],
    ];
    for (const [label, run, status, message] of cases) {
      await assert.rejects(run(), (error: { status: number; body: string }) => {
        assert.equal(error.status, status, label);
        assert.match(JSON.parse(error.body).error, message, label);
        return true;
      });
    }
  });

  it('refuses more than 100 channels per event and more than 10 events per batch by default', async () => {
    const channels = Array.from({ length: 101 }, (_, index) => `c${index}`);
    const tooMany = await signedFetch(server, 'POST', '/events', {
      app: api,
      body: JSON.stringify({ name: 'e', channels, data: '{}' }),
    });
    assert.equal(tooMany.status, 400);
    const batch = Array.from({ length: 11 }, () => ({ channel: 'a', name: 'e', data: '{}' }));
    await assert.rejects(sdk.triggerBatch(batch), { status: 400 });
  });

  it('refuses a request body over the server limit with 413', async () => {
    const body = JSON.stringify({ name: 'e', channels: ['a'], data: 'x'.repeat(1_100_000) });
    const response = await signedFetch(server, 'POST', '/events', { app: api, body });
    assert.equal(response.status, 413);
  });

  it('answers malformed bodies with 400 and a message naming the problem; nothing reaches subscribers', async () => {
    const name = fresh('malformed-');
    const watch = await watcher(name);
    const bodies: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['[]', /JSON object/],
      [JSON.stringify({ channels: [name], data: '{}' }), /"name"/],
      [JSON.stringify({ name: 'e', channels: [name], data: { not: 'a string' } }), /"data" must be a string/],
      [JSON.stringify({ name: 'e', data: '{}' }), /"channels"/],
      [JSON.stringify({ name: 'e', channels: [`${name} x`], data: '{}' }), /may only contain/],
      [JSON.stringify({ name: 'pusher:member_added', channels: [name], data: '{}' }), /reserved/],
      [
        JSON.stringify({ name: 'pusher_internal:subscription_succeeded', channels: [name], data: '{}' }),
        /reserved/,
      ],
    ];
    for (const [body, message] of bodies) {
      const response = await signedFetch(server, 'POST', '/events', { app: api, body });
      assert.equal(response.status, 400, body);
      const answer = await json(response);
      assert.match(String(answer.error), message, body);
      assert.equal(typeof answer.code, 'string');
    }
    const batch = await signedFetch(server, 'POST', '/batch_events', {
      app: api,
      body: JSON.stringify({
        batch: [
          { name: 'ok', channel: name, data: '{}' },
          { name: 'bad', channel: name },
        ],
      }),
    });
    assert.equal(batch.status, 400);
    assert.match(String((await json(batch)).error), /batch\[1\]/);
    await watch.assertNothing();
  });

  it('answers unknown routes with 404 and wrong methods with 405, as JSON', async () => {
    const unknown = await signedFetch(server, 'GET', '/nothing-here', { app: api });
    assert.equal(unknown.status, 404);
    assert.equal(typeof (await json(unknown)).error, 'string');
    const wrongMethod = await signedFetch(server, 'GET', '/events', { app: api });
    assert.equal(wrongMethod.status, 405);
    await json(wrongMethod);
  });

  it('rate-limits per app with 429 and Retry-After, without affecting other apps', async () => {
    const limitedSdk = sdkFor(server, limited);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let index = 0; index < 5; index++) {
      const response = await signedFetch(server, 'GET', '/channels', { app: limited });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        assert.match(String((await json(response)).error), /requests per second/);
      }
    }
    assert.deepEqual(statuses.slice(0, 2), [200, 200]);
    assert.ok(statuses.includes(429), `statuses ${statuses}`);
    assert.match(retryAfter ?? '', /^\d+$/);
    await assert.rejects(limitedSdk.trigger('x', 'e', {}), { status: 429 });
    assert.equal((await sdk.get({ path: '/channels' })).status, 200);
  });
});

describe('history (PressRelay extension)', () => {
  it('returns the events after a position, signed like every API call', async () => {
    const name = fresh('history-');
    for (let index = 1; index <= 3; index++) await sdk.trigger(name, 'step', { index });
    const all = (await json(
      (await sdk.get({ path: `/channels/${name}/history` })) as unknown as Response,
    )) as { position: string; events: Array<{ data: string; position: string }> };
    assert.equal(all.events.length, 3);
    const since = all.events[0]!.position;
    const after = (await json(
      (await sdk.get({
        path: `/channels/${name}/history`,
        params: { since, limit: '1' },
      })) as unknown as Response,
    )) as { more: boolean; events: Array<{ data: string }> };
    assert.equal(after.more, true);
    assert.deepEqual(
      after.events.map((event) => JSON.parse(event.data)),
      [{ index: 2 }],
    );
  });
});
