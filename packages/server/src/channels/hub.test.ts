import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appSchema } from '../apps/schema.js';
import { Connection, flushAll, type Transport } from '../connections/connection.js';
import { Outbound } from '../connections/outbound.js';
import type { Position } from '../protocol/positions.js';
import { Hub } from './hub.js';

const app = appSchema.parse({ id: 'app', key: 'key', secret: 'secret' });
const CHANNEL = 'scores';

/** A connection whose transport records the serials it is handed. */
function recordingConnection(socketId: string): { connection: Connection; serials: number[] } {
  const serials: number[] = [];
  const transport: Transport = {
    name: 'ws',
    flush(messages) {
      for (const message of Array.isArray(messages) ? messages : [messages])
        serials.push(message.position?.serial ?? -1);
    },
    bufferedBytes: () => 0,
    close: () => {},
  };
  return { connection: new Connection(socketId, app, transport, Date.now()), serials };
}

function event(serial: number, epoch = 'e1'): Outbound {
  const position: Position = { epoch, serial };
  return new Outbound(
    JSON.stringify({ event: 'tick', channel: CHANNEL, data: String(serial) }),
    position,
    CHANNEL,
  );
}

/** Subscribes `connection` as if it had been sent history up to `held`; returns what the hub hands back. */
function subscribeHolding(hub: Hub, connection: Connection, held: Position): Outbound[] {
  const { channel } = hub.beginSubscribe(connection, CHANNEL);
  return hub.completeSubscribe(connection, channel, held);
}

describe('Hub: a subscriber that was sent history', () => {
  it('skips live events it already holds when this node’s feed is behind the history it read, then goes live', () => {
    const hub = new Hub();
    const { connection: other } = recordingConnection('1.1');
    subscribeHolding(hub, other, { epoch: 'e1', serial: 0 });
    hub.deliver(app.id, CHANNEL, event(1));
    hub.deliver(app.id, CHANNEL, event(2));

    // History said 4, but the feed here has only delivered 2: 3 and 4 are still on their way.
    const { connection, serials } = recordingConnection('1.2');
    assert.deepEqual(subscribeHolding(hub, connection, { epoch: 'e1', serial: 4 }), []);
    for (const serial of [3, 4, 5, 6]) hub.deliver(app.id, CHANNEL, event(serial));
    flushAll();
    assert.deepEqual(serials, [5, 6]);
    assert.equal(hub.localChannel(app.id, CHANNEL)?.catchingUp, null);
    assert.equal(hub.localChannel(app.id, CHANNEL)?.subscribers.has(connection), true);
    assert.equal(hub.stats().subscriptions, 2);
  });

  it('is live at once when the feed has already passed what it holds', () => {
    const hub = new Hub();
    const { connection: other } = recordingConnection('2.1');
    subscribeHolding(hub, other, { epoch: 'e1', serial: 0 });
    hub.deliver(app.id, CHANNEL, event(1));
    const { connection, serials } = recordingConnection('2.2');
    subscribeHolding(hub, connection, { epoch: 'e1', serial: 1 });
    assert.equal(hub.localChannel(app.id, CHANNEL)?.catchingUp, null);
    hub.deliver(app.id, CHANNEL, event(2));
    flushAll();
    assert.deepEqual(serials, [2]);
  });

  it('returns only the buffered live events newer than the history it was sent', () => {
    const hub = new Hub();
    const { connection } = recordingConnection('3.1');
    const { channel } = hub.beginSubscribe(connection, CHANNEL);
    for (const serial of [3, 4, 5]) hub.deliver(app.id, CHANNEL, event(serial));
    const newer = hub.completeSubscribe(connection, channel, { epoch: 'e1', serial: 4 });
    assert.deepEqual(
      newer.map((message) => message.position?.serial),
      [5],
    );
    assert.equal(channel.subscribers.has(connection), true);
  });

  it('treats a new epoch as past what it holds, and passes messages without a position', () => {
    const hub = new Hub();
    const { connection, serials } = recordingConnection('4.1');
    subscribeHolding(hub, connection, { epoch: 'e1', serial: 9 });
    const memberAdded = new Outbound(
      JSON.stringify({ event: 'pusher_internal:member_added' }),
      undefined,
      CHANNEL,
    );
    hub.deliver(app.id, CHANNEL, memberAdded);
    hub.deliver(app.id, CHANNEL, event(1, 'e2'));
    hub.deliver(app.id, CHANNEL, event(2, 'e2'));
    flushAll();
    assert.deepEqual(serials, [-1, 1, 2]);
  });

  it('forgets a catching-up subscriber that unsubscribes', () => {
    const hub = new Hub();
    const { connection } = recordingConnection('5.1');
    subscribeHolding(hub, connection, { epoch: 'e1', serial: 3 });
    assert.equal(hub.localChannel(app.id, CHANNEL)?.catchingUp?.size, 1);
    assert.equal(hub.unsubscribe(connection, CHANNEL), true);
    assert.equal(hub.stats().subscriptions, 0);
  });
});
