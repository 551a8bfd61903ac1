/** The Redis adapter's pure parts: envelope splitting, fan-out message and key formats (no Redis needed). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelEvent } from '../../protocol/messages.js';
import { envelopeExtras } from '../adapter.js';
import { parseRedisUrl } from './connect.js';
import { AppKeys, ChannelKeys, keySlot } from './keys.js';
import { decodeFeedMessage, encodeFeedMessage, splitEnvelope } from './streams.js';

describe('Redis adapter formats', () => {
  it('splits the envelope so that splicing in a position gives exactly what channelEvent renders', () => {
    const position = { epoch: 'AbC_-9', serial: 12345 };
    for (const event of [
      { name: 'tick', data: '{"n":1}' },
      { name: 'client-typing', data: { text: 'é "quoted" \n ✓' }, userId: 42 },
      { name: 'x', data: null, userId: 'user-7' },
      { name: 'order-paid', data: '{}', id: 'wp-outbox-991' },
    ]) {
      const [prefix, suffix] = splitEnvelope('presence-room', event);
      const extra = { ...envelopeExtras(event), position };
      assert.equal(
        `${prefix}AbC_-9:12345${suffix}`,
        channelEvent(event.name, 'presence-room', event.data, extra),
      );
    }
  });

  it('round-trips fan-out messages, with and without position and excluded socket', () => {
    const json = '{"event":"a","channel":"c","data":"line1\\nline2"}';
    assert.deepEqual(decodeFeedMessage(encodeFeedMessage(json, '12.34', 'a')), {
      excludeSocketId: '12.34',
      event: 'a',
      position: undefined,
      json,
    });
    assert.deepEqual(decodeFeedMessage(`-\nev\nEp0ch:7\n${json}`), {
      excludeSocketId: undefined,
      event: 'ev',
      position: { epoch: 'Ep0ch', serial: 7 },
      json,
    });
    assert.equal(decodeFeedMessage('garbage'), null);
  });

  it('keeps one channel in one slot, and an app id cannot break out of its hash tag', () => {
    const keys = new ChannelKeys('shop', 'private-orders');
    const slots = new Set(
      [keys.meta, keys.history, keys.cache, keys.shard, keys.subs, keys.members].map(keySlot),
    );
    assert.equal(slots.size, 1);
    assert.equal(new ChannelKeys('we}ird{', 'c').meta, 'pr:{we%7dird%7b:c}:s');
    assert.equal(keySlot(new AppKeys('shop').users), keySlot(new AppKeys('shop').channelsOf('node.1')));
  });

  it('reads single Redis and Redis Cluster URLs', () => {
    const single = parseRedisUrl('redis://:s3cret@10.0.0.1:6380/2');
    assert.deepEqual(single.seeds, [{ host: '10.0.0.1', port: 6380 }]);
    assert.equal(single.cluster, false);
    assert.equal(single.options.password, 's3cret');
    assert.equal(single.options.db, 2);
    const cluster = parseRedisUrl('redis-cluster://a:7000,b:7001');
    assert.equal(cluster.cluster, true);
    assert.deepEqual(cluster.seeds, [
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    assert.throws(() => parseRedisUrl('http://x'), /PRESSRELAY_REDIS_URL/);
  });
});
