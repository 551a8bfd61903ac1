/**
 * The WordPress transport inside the client, with a scripted WebSocket and a scripted events route: dedup by
 * WordPress position across both paths, the fallback to polling and the hand-over back to push (every event
 * once, in order), no-server mode, refused client events, recovery_failed.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Client } from './client.js';
import type { Envelope } from './transports/types.js';
import type { ChannelAnswer } from './wordpress.js';

/** The WebSocket side: `up` decides whether a new socket connects (and answers) or is refused. */
class Socket {
  static up = true;
  static all: Socket[] = [];
  readyState = 0;
  sent: Envelope[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    Socket.all.push(this);
    setTimeout(() => {
      if (!Socket.up) {
        this.readyState = 3;
        this.onclose?.({ code: 1006, reason: 'refused' });
        return;
      }
      this.readyState = 1;
      this.onopen?.({});
      this.receive({
        event: 'pusher:connection_established',
        data: JSON.stringify({ socket_id: `1.${Socket.all.length}`, activity_timeout: 120 }),
      });
    }, 1);
  }

  receive(envelope: Envelope): void {
    this.onmessage?.({ data: JSON.stringify(envelope) });
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Envelope);
  }

  close(): void {
    this.readyState = 3;
  }

  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: 'gone' });
  }
}

/** The events route: answers each poll with `respond(channels asked)`; records the URLs. */
function route(respond: (asked: string[], url: URL) => Record<string, ChannelAnswer> | 304) {
  const urls: URL[] = [];
  const fetch = async (input: string) => {
    const url = new URL(input);
    urls.push(url);
    const answer = respond(url.searchParams.getAll('c[]'), url);
    if (answer === 304) return new Response(null, { status: 304, headers: { ETag: '"same"' } });
    return new Response(JSON.stringify({ epoch: 'W', channels: answer }), {
      status: 200,
      headers: { ETag: `"${urls.length}"`, 'Content-Type': 'application/json' },
    });
  };
  return { fetch, urls };
}

const clients: Client[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
  Socket.all = [];
  Socket.up = true;
});

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resume) => setTimeout(resume, 5));
  }
}

const event = (serial: number, position?: string): Envelope => ({
  event: 'tick',
  channel: 'posts',
  data: JSON.stringify({ n: serial }),
  id: `W:${serial}`,
  ...(position ? { position } : {}),
});

test('no-server mode polls from the page cursor, never opens a WebSocket, and dedups by id', async () => {
  let serial = 0;
  const log: Envelope[] = [];
  const api = route(() => {
    const events = log.filter((e) => Number(e.id?.split(':')[1]) > serial);
    return { posts: { position: `W:${log.length}`, recovered: true, events } };
  });
  const client = new Client({
    WebSocket: Socket,
    fetch: api.fetch,
    wordpress: {
      eventsUrl: 'http://wp.test/?rest_route=/pressrelay/v1/events',
      mode: 'polling',
      intervalMs: 20,
      since: 'W:7',
    },
  });
  clients.push(client);
  const seen: number[] = [];
  const channel = client.subscribe('posts');
  channel.bind('tick', (data: { n: number }, meta) => {
    seen.push(data.n);
    serial = Number(meta.id?.split(':')[1]);
  });
  log.push(event(1), event(2));
  await until(() => seen.length === 2, 'two events');
  assert.deepEqual(api.urls[0]?.searchParams.getAll('c[]'), ['posts']);
  assert.equal(api.urls[0]?.searchParams.get('since'), 'W:7', 'the first poll reads from the page cursor');
  log.push(event(3));
  await until(() => seen.length === 3, 'a third event');
  assert.ok(
    api.urls.some((url) => url.searchParams.getAll('c[]')[0] === 'posts:W:2'),
    'polls resume from the last id',
  );
  assert.equal(Socket.all.length, 0, 'never a WebSocket');
  assert.equal(client.connection.state, 'initialized');
  assert.ok(channel.subscribed);

  // Client events are refused loudly.
  const lobby = client.subscribe('private-lobby');
  const refusals: unknown[] = [];
  lobby.bind('pusher:error', (error) => refusals.push(error));
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (message: string) => warnings.push(message);
  try {
    assert.equal(lobby.trigger('client-typing', {}), false);
  } finally {
    console.warn = warn;
  }
  assert.equal((refusals[0] as { type: string }).type, 'ClientEventRefused');
  assert.match(
    warnings[0] ?? '',
    /client-typing on private-lobby refused: client events need the realtime server/,
  );
  assert.deepEqual(seen, [1, 2, 3]);
});

test('fallback: server unreachable → polling from the last id; back → WebSocket, every event once and in order', async () => {
  // What WordPress has logged (ids W:n); `flushed` of them reached the realtime server (positions S:n).
  const log: Envelope[] = [];
  const api = route((asked) => {
    const [name, , serial] = (asked[0] ?? '').split(':');
    assert.equal(name, 'posts');
    const from = Number(serial ?? 0);
    return { posts: { position: `W:${log.length}`, recovered: true, events: log.slice(from) } };
  });
  const client = new Client({
    key: 'k',
    url: 'http://rt.test',
    WebSocket: Socket,
    fetch: api.fetch,
    transports: ['ws'],
    reconnect: { baseMs: 20, maxMs: 40 },
    unavailableTimeoutMs: 60,
    wordpress: {
      eventsUrl: 'http://wp.test/wp-json/pressrelay/v1/events',
      mode: 'push-with-polling-fallback',
      intervalMs: 25,
    },
  });
  clients.push(client);
  const seen: number[] = [];
  const polling: boolean[] = [];
  client.connection.bind('polling', (change: { active: boolean }) => polling.push(change.active));
  const channel = client.subscribe('posts');
  channel.bind('tick', (data: { n: number }) => seen.push(data.n));
  const failures: unknown[] = [];
  channel.bind('recovery_failed', (failure) => failures.push(failure));

  await until(() => Socket.all[0]?.sent.some((m) => m.event === 'pusher:subscribe') === true, 'subscribe');
  const first = Socket.all[0]!;
  first.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel: 'posts',
    data: '{"position":"S:0"}',
  });
  log.push(event(1));
  first.receive(event(1, 'S:1'));
  assert.deepEqual(seen, [1]);
  assert.equal(api.urls.length, 0, 'no poll while the server is up');

  // The server goes away: after unavailableTimeoutMs the page polls WordPress from W:1.
  Socket.up = false;
  first.drop();
  log.push(event(2), event(3));
  await until(() => seen.length === 3, 'events 2 and 3 by polling');
  assert.deepEqual(polling, [true]);
  assert.equal(api.urls[0]?.searchParams.getAll('c[]')[0], 'posts:W:1');
  assert.equal(client.connection.state, 'unavailable');
  assert.ok(client.polling);

  // Back: the socket resumes from S:1; the server replays what reached it (2, 3 by its flush, and 4), then
  // the last poll brings 5 (logged, not flushed yet), which later also arrives live.
  Socket.up = true;
  await until(() => client.connection.isConnected, 'the WebSocket back', 5000);
  const second = Socket.all[Socket.all.length - 1]!;
  await until(() => second.sent.some((m) => m.event === 'pusher:subscribe'), 'resubscribe');
  const subscribe = second.sent.find((m) => m.event === 'pusher:subscribe')!;
  assert.equal((subscribe.data as { resume_from?: string }).resume_from, 'S:1');
  log.push(event(4), event(5));
  const pollsBefore = api.urls.length;
  second.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel: 'posts',
    data: '{"position":"S:4","recovered":true,"missed":3}',
  });
  second.receive(event(2, 'S:2'));
  second.receive(event(3, 'S:3'));
  second.receive(event(4, 'S:4'));
  await until(() => polling.length === 2, 'polling to stop');
  assert.ok(api.urls.length > pollsBefore, 'one last poll after every channel resumed');
  assert.deepEqual(polling, [true, false]);
  second.receive(event(5, 'S:5'));
  log.push(event(6));
  second.receive(event(6, 'S:6'));
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6], 'each event once, in order');
  assert.equal(client.polling, false);
  assert.equal(client.connection.transport, 'ws');
  assert.deepEqual(failures, []);
  const polls = api.urls.length;
  await new Promise((resume) => setTimeout(resume, 100));
  assert.equal(api.urls.length, polls, 'no more polls on WebSocket');
});

test('a server that lost its history while polling covered WordPress: recovery_failed says wordpress: true', async () => {
  const api = route(() => ({ posts: { position: 'W:1', recovered: true, events: [] } }));
  const client = new Client({
    key: 'k',
    url: 'http://rt.test',
    WebSocket: Socket,
    fetch: api.fetch,
    transports: ['ws'],
    reconnect: { baseMs: 20, maxMs: 40 },
    unavailableTimeoutMs: 50,
    wordpress: {
      eventsUrl: 'http://wp.test/events',
      mode: 'push-with-polling-fallback',
      intervalMs: 25,
      since: 'W:0',
    },
  });
  clients.push(client);
  const channel = client.subscribe('posts');
  const failures: Array<{ reason: string; wordpress?: boolean; source?: string }> = [];
  channel.bind('recovery_failed', (failure) => failures.push(failure as (typeof failures)[number]));
  await until(() => Socket.all[0]?.sent.some((m) => m.event === 'pusher:subscribe') === true, 'subscribe');
  Socket.all[0]!.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel: 'posts',
    data: '{"position":"S:3"}',
  });
  Socket.up = false;
  Socket.all[0]!.drop();
  await until(() => api.urls.length > 0 && channel.subscribed, 'polling');
  Socket.up = true;
  await until(() => client.connection.isConnected, 'back');
  const socket = Socket.all[Socket.all.length - 1]!;
  await until(() => socket.sent.some((m) => m.event === 'pusher:subscribe'), 'resubscribe');
  socket.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel: 'posts',
    data: '{"position":"N:2","recovered":false,"reason":"epoch_changed"}',
  });
  assert.deepEqual(failures, [{ reason: 'epoch_changed', position: 'N:2', wordpress: true }]);
});

test('the events route refusing a private channel is a subscription error; a gap it cannot fill is recovery_failed', async () => {
  const api = route(() => ({
    'private-user-9': {
      error: { code: 'pressrelay_forbidden', message: 'You may not join this channel.', status: 403 },
    },
    posts: { position: 'W:9', recovered: false, reason: 'too_old', events: [] },
  }));
  const client = new Client({
    fetch: api.fetch,
    wordpress: { eventsUrl: 'http://wp.test/e', mode: 'polling', intervalMs: 1000 },
  });
  clients.push(client);
  const errors: unknown[] = [];
  const failures: unknown[] = [];
  client.subscribe('private-user-9').bind('pusher:subscription_error', (error) => errors.push(error));
  const posts = client.subscribe('posts', {});
  posts.bind('recovery_failed', (failure) => failures.push(failure));
  await until(() => errors.length === 1 && failures.length === 1, 'answers');
  assert.deepEqual(errors[0], { type: 'AuthError', error: 'You may not join this channel.', status: 403 });
  assert.deepEqual(failures[0], { reason: 'too_old', position: 'W:9', source: 'wordpress' });
  assert.equal(posts.wp.resumeFrom(), 'W:9', 'live from the head after the gap');
});

test('presence members come from the answers: member_added and member_removed', async () => {
  let hash: Record<string, unknown> = { '1': { name: 'Ada' } };
  const api = route(() => ({
    'presence-lobby': {
      position: 'W:0',
      events: [],
      user_id: '1',
      presence: { count: 1, ids: Object.keys(hash), hash },
    },
  }));
  const client = new Client({
    fetch: api.fetch,
    wordpress: { eventsUrl: 'http://wp.test/e', mode: 'polling', intervalMs: 15 },
  });
  clients.push(client);
  const lobby = client.subscribe('presence-lobby');
  const log: string[] = [];
  lobby.bind('pusher:subscription_succeeded', () =>
    log.push(`me ${lobby.members.me?.id} of ${lobby.members.count}`),
  );
  lobby.bind('pusher:member_added', (member: { id: string }) => log.push(`+${member.id}`));
  lobby.bind('pusher:member_removed', (member: { id: string }) => log.push(`-${member.id}`));
  await until(() => log.length === 1, 'subscribed');
  hash = { '1': { name: 'Ada' }, '2': { name: 'Bob' } };
  await until(() => log.length === 2, 'Bob joins');
  hash = { '1': { name: 'Ada' } };
  await until(() => log.length === 3, 'Bob expires');
  assert.deepEqual(log, ['me 1 of 1', '+2', '-2']);
  assert.equal(lobby.members.count, 1);
});
