import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffMembers, eventsUrl, parsePollAnswer, pollInterval, retryDelay } from './wordpress.js';

const config = { eventsUrl: 'https://example.com/wp-json/pressrelay/v1/events', mode: 'polling' as const };

test('the interval: 5 s by default, the visible interval while visible, slower while hidden', () => {
  assert.equal(pollInterval(config, undefined), 5000, 'Node: no document');
  assert.equal(pollInterval(config, 'visible'), 5000);
  assert.equal(pollInterval(config, 'hidden'), 30_000);
  const tuned = { ...config, intervalMs: 4000, visibleIntervalMs: 2000, hiddenIntervalMs: 60_000 };
  assert.equal(pollInterval(tuned, 'visible'), 2000);
  assert.equal(pollInterval(tuned, 'hidden'), 60_000);
  assert.equal(pollInterval(tuned, undefined), 4000);
  assert.equal(pollInterval({ ...config, intervalMs: -1, visibleIntervalMs: Number.NaN }, 'visible'), 5000);
});

test('failed polls back off from the interval up to a minute', () => {
  assert.equal(retryDelay(5000, 1), 10_000);
  assert.equal(retryDelay(5000, 3), 40_000);
  assert.equal(retryDelay(5000, 30), 60_000);
  assert.equal(retryDelay(120_000, 2), 120_000, 'never faster than the interval');
});

test('the query names each channel with its position, adds the cursor while a channel has none', () => {
  const pretty = eventsUrl(
    config.eventsUrl,
    [
      { name: 'posts', position: 'Ab3:41' },
      { name: 'post-42', position: undefined },
    ],
    'Ab3:900',
    '12.34',
  );
  const url = new URL(pretty);
  assert.equal(url.pathname, '/wp-json/pressrelay/v1/events');
  assert.deepEqual(url.searchParams.getAll('c[]'), ['posts:Ab3:41', 'post-42']);
  assert.equal(url.searchParams.get('since'), 'Ab3:900');
  assert.equal(url.searchParams.get('socket_id'), '12.34');

  const plain = new URL(
    eventsUrl(
      'http://127.0.0.1:8080/?rest_route=/pressrelay/v1/events',
      [{ name: 'a=b,c', position: 'Ab3:1' }],
      'Ab3:9',
    ),
  );
  assert.equal(
    plain.searchParams.get('rest_route'),
    '/pressrelay/v1/events',
    'the ?rest_route= form is kept',
  );
  assert.deepEqual(plain.searchParams.getAll('c[]'), ['a=b,c:Ab3:1']);
  assert.equal(plain.searchParams.get('since'), null, 'every channel has a position: no cursor');
});

test('answers that are not the route’s shape are refused', () => {
  assert.equal(parsePollAnswer('nope'), null);
  assert.equal(parsePollAnswer('[]'), null);
  assert.equal(parsePollAnswer('{"channels":[]}'), null);
  assert.deepEqual(parsePollAnswer('{"epoch":"e","channels":{"a":{"position":"e:1"}}}'), {
    epoch: 'e',
    channels: { a: { position: 'e:1' } },
  });
});

test('member lists are compared by user id', () => {
  const before = new Map<string, unknown>([
    ['1', { name: 'Ada' }],
    ['2', { name: 'Bob' }],
  ]);
  assert.deepEqual(diffMembers(before, { '2': { name: 'Bob' }, '3': { name: 'Cy' } }), {
    added: [{ id: '3', info: { name: 'Cy' } }],
    removed: ['1'],
  });
  assert.deepEqual(diffMembers(before, undefined), { added: [], removed: ['1', '2'] });
});
