import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { parseBatch, parseInfo, parsePublishEvent } from './publish-request.js';

const limits: Limits = { ...DEFAULT_LIMITS };

function refusal(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof HttpError, String(error));
    return error;
  }
  assert.fail('accepted');
}

describe('parsePublishEvent', () => {
  it('accepts `channels` (Node SDK) and `channel` (PHP SDK), keeping data as posted', () => {
    assert.deepEqual(parsePublishEvent({ name: 'e', data: '{"a":1}', channels: ['a', 'b', 'a'] }, limits), {
      name: 'e',
      data: '{"a":1}',
      channels: ['a', 'b'],
      info: [],
    });
    assert.deepEqual(parsePublishEvent({ name: 'e', data: 'plain text', channel: 'a' }, limits).channels, [
      'a',
    ]);
  });

  it('reads socket_id and info', () => {
    const event = parsePublishEvent(
      {
        name: 'e',
        data: '',
        channels: ['presence-a'],
        socket_id: '123.456',
        info: 'user_count,subscription_count',
      },
      limits,
    );
    assert.equal(event.socketId, '123.456');
    assert.deepEqual(event.info, ['user_count', 'subscription_count']);
  });

  it('refuses malformed bodies with 400 and a message naming the field', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [null, 'INVALID_BODY', /JSON object/],
      [[], 'INVALID_BODY', /JSON object/],
      [{ data: '', channels: ['a'] }, 'INVALID_EVENT_NAME', /"name"/],
      [{ name: '', data: '', channels: ['a'] }, 'INVALID_EVENT_NAME', /"name"/],
      [{ name: 'e', data: { a: 1 }, channels: ['a'] }, 'INVALID_DATA', /"data" must be a string/],
      [{ name: 'e', channels: ['a'] }, 'INVALID_DATA', /"data"/],
      [{ name: 'e', data: '' }, 'MISSING_CHANNELS', /"channels"/],
      [{ name: 'e', data: '', channels: [] }, 'INVALID_CHANNELS', /non-empty/],
      [{ name: 'e', data: '', channels: 'a' }, 'INVALID_CHANNELS', /array/],
      [{ name: 'e', data: '', channels: ['a b'] }, 'INVALID_CHANNEL', /"a b"/],
      [{ name: 'e', data: '', channels: [5] }, 'INVALID_CHANNEL', /5/],
      [{ name: 'e', data: '', channels: ['a'], socket_id: 'abc' }, 'INVALID_SOCKET_ID', /socket_id/],
      [{ name: 'e', data: '', channels: ['a'], socket_id: 12 }, 'INVALID_SOCKET_ID', /socket_id/],
      [{ name: 'e', data: '', channels: ['a'], info: 'everything' }, 'INVALID_INFO', /everything/],
      [{ name: 'pusher:x', data: '', channels: ['a'] }, 'RESERVED_EVENT_NAME', /reserved/],
      [{ name: 'pusher_internal:x', data: '', channels: ['a'] }, 'RESERVED_EVENT_NAME', /reserved/],
      [
        { name: 'e', data: '', channels: ['private-encrypted-a', 'private-encrypted-b'] },
        'ENCRYPTED_MULTI_CHANNEL',
        /encrypted/,
      ],
    ];
    for (const [body, code, message] of cases) {
      const error = refusal(() => parsePublishEvent(body, limits));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.equal(error.code, code, JSON.stringify(body));
      assert.match(error.message, message);
    }
  });

  it('limits event name length, channel name length and channels per event', () => {
    parsePublishEvent({ name: 'e'.repeat(200), data: '', channels: ['a'] }, limits);
    assert.equal(
      refusal(() => parsePublishEvent({ name: 'e'.repeat(201), data: '', channels: ['a'] }, limits)).code,
      'EVENT_NAME_TOO_LONG',
    );
    parsePublishEvent({ name: 'e', data: '', channels: ['c'.repeat(164)] }, limits);
    assert.equal(
      refusal(() => parsePublishEvent({ name: 'e', data: '', channels: ['c'.repeat(165)] }, limits)).code,
      'INVALID_CHANNEL',
    );
    const hundred = Array.from({ length: 100 }, (_, index) => `c${index}`);
    parsePublishEvent({ name: 'e', data: '', channels: hundred }, limits);
    const error = refusal(() =>
      parsePublishEvent({ name: 'e', data: '', channels: [...hundred, 'c100'] }, limits),
    );
    assert.equal(error.code, 'TOO_MANY_CHANNELS');
    assert.match(error.message, /at most 100 channels; got 101/);
    // Per-app limits.
    assert.equal(
      refusal(() =>
        parsePublishEvent(
          { name: 'e', data: '', channels: ['a', 'b'] },
          { ...limits, maxChannelsPerEvent: 1 },
        ),
      ).code,
      'TOO_MANY_CHANNELS',
    );
  });

  it('measures data in UTF-8 bytes and refuses oversized data with 413', () => {
    parsePublishEvent({ name: 'e', data: 'x'.repeat(10_240), channels: ['a'] }, limits);
    const error = refusal(() =>
      parsePublishEvent({ name: 'e', data: 'é'.repeat(5_121), channels: ['a'] }, limits),
    );
    assert.equal(error.status, 413);
    assert.equal(error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(error.message, /10242 bytes; the limit is 10240/);
  });

  it('allows the #server-to-user- channels sendToUser publishes to', () => {
    assert.deepEqual(
      parsePublishEvent({ name: 'e', data: '', channels: ['#server-to-user-42'] }, limits).channels,
      ['#server-to-user-42'],
    );
  });
});

describe('parseBatch', () => {
  const item = { name: 'e', data: '{}', channel: 'a' };

  it('parses each item in order', () => {
    const events = parseBatch(
      { batch: [item, { ...item, channel: 'b', info: 'subscription_count' }] },
      limits,
    );
    assert.deepEqual(
      events.map((event) => [event.channels, event.info]),
      [
        [['a'], []],
        [['b'], ['subscription_count']],
      ],
    );
  });

  it('refuses an empty, missing or oversized batch, and names the bad item', () => {
    assert.equal(refusal(() => parseBatch({}, limits)).code, 'INVALID_BODY');
    assert.equal(refusal(() => parseBatch({ batch: [] }, limits)).code, 'EMPTY_BATCH');
    const eleven = Array.from({ length: 11 }, () => item);
    assert.equal(parseBatch({ batch: eleven.slice(0, 10) }, limits).length, 10);
    const tooMany = refusal(() => parseBatch({ batch: eleven }, limits));
    assert.equal(tooMany.code, 'BATCH_TOO_LARGE');
    assert.match(tooMany.message, /at most 10 events; got 11/);
    const bad = refusal(() => parseBatch({ batch: [item, { ...item, data: 1 }] }, limits));
    assert.match(bad.message, /^batch\[1\]: "data"/);
  });
});

describe('parseInfo', () => {
  it('splits comma-separated attributes and refuses unknown ones', () => {
    assert.deepEqual(parseInfo(undefined, ['user_count']), []);
    assert.deepEqual(parseInfo('', ['user_count']), []);
    assert.deepEqual(parseInfo('user_count, cache', ['user_count', 'cache']), ['user_count', 'cache']);
    assert.equal(refusal(() => parseInfo('bogus', ['user_count'])).code, 'INVALID_INFO');
    assert.equal(refusal(() => parseInfo(['user_count'], ['user_count'])).code, 'INVALID_INFO');
  });
});
