import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionErrors, subscriptionError } from './errors.js';
import {
  cacheMiss,
  channelEvent,
  connectionEstablished,
  errorMessage,
  memberAdded,
  memberRemoved,
  PING,
  PONG,
  parseClientMessage,
  signinSuccess,
  subscriptionCount,
  subscriptionErrorMessage,
  subscriptionSucceeded,
  watchlistEvents,
} from './messages.js';

describe('parseClientMessage', () => {
  it('parses pings and pongs', () => {
    assert.deepEqual(parseClientMessage('{"event":"pusher:ping","data":{}}'), { type: 'ping' });
    assert.deepEqual(parseClientMessage('{"event":"pusher:pong"}'), { type: 'pong' });
  });

  it('parses subscribe with data as an object (pusher-js) and as a JSON string (older clients)', () => {
    const expected = { type: 'subscribe', channel: 'presence-x', auth: 'k:s', channelData: '{"user_id":1}' };
    const data = { channel: 'presence-x', auth: 'k:s', channel_data: '{"user_id":1}' };
    assert.deepEqual(parseClientMessage(JSON.stringify({ event: 'pusher:subscribe', data })), expected);
    assert.deepEqual(
      parseClientMessage(JSON.stringify({ event: 'pusher:subscribe', data: JSON.stringify(data) })),
      expected,
    );
  });

  it('treats an empty auth (pusher-js on public channels) as no auth, and reads resume_from', () => {
    assert.deepEqual(
      parseClientMessage(
        '{"event":"pusher:subscribe","data":{"channel":"news","auth":"","resume_from":"ab:3"}}',
      ),
      { type: 'subscribe', channel: 'news', resumeFrom: 'ab:3' },
    );
  });

  it('parses unsubscribe and signin', () => {
    assert.deepEqual(parseClientMessage('{"event":"pusher:unsubscribe","data":{"channel":"news"}}'), {
      type: 'unsubscribe',
      channel: 'news',
    });
    assert.deepEqual(
      parseClientMessage('{"event":"pusher:signin","data":{"auth":"k:s","user_data":"{\\"id\\":\\"1\\"}"}}'),
      { type: 'signin', auth: 'k:s', userData: '{"id":"1"}' },
    );
  });

  it('parses client events, keeping data as sent', () => {
    assert.deepEqual(parseClientMessage('{"event":"client-typing","channel":"private-x","data":{"a":[1]}}'), {
      type: 'client-event',
      event: 'client-typing',
      channel: 'private-x',
      data: { a: [1] },
    });
  });

  it('refuses malformed frames with INVALID_MESSAGE, never throwing', () => {
    for (const text of [
      '',
      'not json',
      '{"event":',
      'null',
      '42',
      '"pusher:ping"',
      '[{"event":"pusher:ping"}]',
      '{}',
      '{"event":7}',
      '{"event":"pusher:subscribe"}',
      '{"event":"pusher:subscribe","data":{"channel":5}}',
      '{"event":"pusher:subscribe","data":"not json"}',
      '{"event":"pusher:unsubscribe","data":[]}',
      '{"event":"pusher:signin","data":{"auth":"k:s"}}',
      '{"event":"pusher:signin","data":{"auth":"k:s","user_data":{"id":"1"}}}',
      '{"event":"client-x","data":{}}',
      '\u0000\u0001\u0002',
    ]) {
      const parsed = parseClientMessage(text);
      assert.equal(parsed.type, 'error', text);
      assert.equal(parsed.type === 'error' && parsed.error, ConnectionErrors.INVALID_MESSAGE, text);
    }
  });

  it('refuses unknown events, server-only events and pusher_internal events with UNKNOWN_EVENT', () => {
    for (const event of [
      'hello',
      'pusher:connection_established',
      'pusher_internal:subscription_succeeded',
      'pusher:error',
      'Client-x',
    ]) {
      const parsed = parseClientMessage(JSON.stringify({ event, channel: 'private-x', data: {} }));
      assert.equal(parsed.type, 'error', event);
      assert.equal(parsed.type === 'error' && parsed.error, ConnectionErrors.UNKNOWN_EVENT, event);
    }
  });

  it('truncates very long unknown event names in the error detail', () => {
    const parsed = parseClientMessage(JSON.stringify({ event: 'x'.repeat(10_000) }));
    assert.equal(parsed.type, 'error');
    assert.ok(parsed.type === 'error' && (parsed.detail ?? '').length < 200);
  });
});

describe('server frames', () => {
  it('sends pusher:* and pusher_internal:* data as a JSON string, as Pusher does', () => {
    const established = JSON.parse(connectionEstablished('1.2', 120));
    assert.equal(established.event, 'pusher:connection_established');
    assert.equal(typeof established.data, 'string');
    assert.deepEqual(JSON.parse(established.data), { socket_id: '1.2', activity_timeout: 120 });

    for (const [frame, event, channel, data] of [
      [
        memberAdded('presence-x', 1, { n: 1 }),
        'pusher_internal:member_added',
        'presence-x',
        { user_id: 1, user_info: { n: 1 } },
      ],
      [
        memberAdded('presence-x', '2', undefined),
        'pusher_internal:member_added',
        'presence-x',
        { user_id: '2' },
      ],
      [memberRemoved('presence-x', 1), 'pusher_internal:member_removed', 'presence-x', { user_id: 1 }],
      [subscriptionCount('news', 3), 'pusher_internal:subscription_count', 'news', { subscription_count: 3 }],
      [signinSuccess('{"id":"1"}'), 'pusher:signin_success', undefined, { user_data: '{"id":"1"}' }],
      [
        watchlistEvents([{ name: 'online', user_ids: ['1'] }]),
        'pusher_internal:watchlist_events',
        undefined,
        { events: [{ name: 'online', user_ids: ['1'] }] },
      ],
    ] as const) {
      const parsed = JSON.parse(frame);
      assert.equal(parsed.event, event);
      assert.equal(parsed.channel, channel);
      assert.equal(typeof parsed.data, 'string', event);
      assert.deepEqual(JSON.parse(parsed.data), data);
    }
  });

  it('builds subscription_succeeded with the presence member list and the extension fields', () => {
    const presence = { ids: ['1', 2], hash: { '1': { n: 'a' }, '2': null }, count: 2 };
    const parsed = JSON.parse(
      subscriptionSucceeded(
        'presence-x',
        { position: { epoch: 'e1', serial: 4 }, recovered: true, missed: 1 },
        presence,
      ),
    );
    assert.equal(parsed.event, 'pusher_internal:subscription_succeeded');
    assert.equal(parsed.channel, 'presence-x');
    assert.deepEqual(JSON.parse(parsed.data), { presence, position: 'e1:4', recovered: true, missed: 1 });
    assert.deepEqual(JSON.parse(JSON.parse(subscriptionSucceeded('news', null)).data), {});
  });

  it('builds pusher:error with code and message, code null for codeless errors', () => {
    assert.deepEqual(JSON.parse(errorMessage(ConnectionErrors.APP_NOT_FOUND)), {
      event: 'pusher:error',
      data: { code: 4001, message: 'Application does not exist' },
    });
    assert.deepEqual(JSON.parse(errorMessage(ConnectionErrors.INVALID_MESSAGE, 'frame is not valid JSON')), {
      event: 'pusher:error',
      data: { code: null, message: 'Invalid message format: frame is not valid JSON' },
    });
  });

  it('builds subscription errors and cache misses on the channel', () => {
    assert.deepEqual(
      JSON.parse(subscriptionErrorMessage('private-x', subscriptionError('AuthError', 'bad', 401))),
      {
        event: 'pusher:subscription_error',
        channel: 'private-x',
        data: { type: 'AuthError', error: 'bad', status: 401 },
      },
    );
    assert.deepEqual(JSON.parse(cacheMiss('cache-x')), { event: 'pusher:cache_miss', channel: 'cache-x' });
  });

  it('passes channel event data through untouched, with user_id and position when given', () => {
    assert.deepEqual(JSON.parse(channelEvent('e', 'c', '{"a":1}')), {
      event: 'e',
      channel: 'c',
      data: '{"a":1}',
    });
    assert.deepEqual(
      JSON.parse(
        channelEvent('client-e', 'presence-c', { a: 1 }, { userId: 7, position: { epoch: 'x', serial: 2 } }),
      ),
      { event: 'client-e', channel: 'presence-c', data: { a: 1 }, user_id: 7, position: 'x:2' },
    );
  });

  it('pings and pongs with empty object data', () => {
    assert.deepEqual(JSON.parse(PING), { event: 'pusher:ping', data: {} });
    assert.deepEqual(JSON.parse(PONG), { event: 'pusher:pong', data: {} });
  });
});
