import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signApiRequest } from '../../src/protocol/signature.js';
import { type ServerHandle, startServer } from '../harness.js';
import { cleanup, waitFor } from '../support/async.js';
import { publish, sdkFor } from '../support/publisher.js';
import { dataOf, type Frame, RawClient } from '../support/raw-client.js';

const isEvent = (channel: string) => (m: Frame) => m.channel === channel && m.event === 'tick';
const succeeded = (channel: string) => (m: Frame) =>
  m.event === 'pusher_internal:subscription_succeeded' && m.channel === channel;

interface SubscribeReply {
  position: string;
  recovered?: boolean;
  reason?: string;
  missed?: number;
}

async function subscribe(server: ServerHandle, channel: string, resumeFrom?: string) {
  const { client } = await RawClient.connect(server);
  const reply = await client.subscribe(channel, resumeFrom ? { resume_from: resumeFrom } : {});
  assert.equal(reply.event, 'pusher_internal:subscription_succeeded', JSON.stringify(reply));
  return { client, reply: dataOf<SubscribeReply>(reply) };
}

/** The first `count` events on `channel` this client received (waits for them). */
function received(client: RawClient, channel: string, count: number): Promise<Frame[]> {
  return waitFor(() => {
    const frames = client.frames.filter(isEvent(channel));
    return frames.length >= count && frames;
  }, `${count} events on ${channel}`);
}

describe('recovery over WebSocket', () => {
  let server: ServerHandle;
  let sdk: ReturnType<typeof sdkFor>;

  before(async () => {
    server = await startServer({
      config: {
        apps: [
          { id: 'rec', key: 'rec-key', secret: 'rec-secret', history: { maxEvents: 20, maxAgeSeconds: 300 } },
        ],
      },
    });
    sdk = sdkFor(server);
  });
  after(async () => {
    await cleanup();
    await server.stop();
  });

  it('stamps every event with consecutive positions and reports the start position on subscribe', async () => {
    const { client, reply } = await subscribe(server, 'positions');
    assert.match(reply.position, /^[A-Za-z0-9_-]+:0$/);
    assert.equal(reply.recovered, undefined, 'a fresh subscribe reports no recovery');
    const epoch = reply.position.split(':')[0];
    for (let n = 1; n <= 3; n++) await publish(sdk, 'positions', 'tick', { n });
    const events = await received(client, 'positions', 3);
    assert.deepEqual(
      events.map((m) => m.position),
      [`${epoch}:1`, `${epoch}:2`, `${epoch}:3`],
    );
    client.terminate();
  });

  it('delivers the missed events, in order, then live ones, when resuming', async () => {
    const first = await subscribe(server, 'resume');
    await publish(sdk, 'resume', 'tick', { n: 1 });
    const [one] = await received(first.client, 'resume', 1);
    first.client.terminate();
    for (let n = 2; n <= 6; n++) await publish(sdk, 'resume', 'tick', { n });

    const second = await subscribe(server, 'resume', one!.position);
    assert.equal(second.reply.recovered, true);
    assert.equal(second.reply.missed, 5);
    await publish(sdk, 'resume', 'tick', { n: 7 });
    const events = await received(second.client, 'resume', 6);
    assert.deepEqual(
      events.map((m) => JSON.parse(m.data as string).n),
      [2, 3, 4, 5, 6, 7],
    );
    const succeededAt = second.client.frames.findIndex(succeeded('resume'));
    const firstEventAt = second.client.frames.findIndex(isEvent('resume'));
    assert.ok(succeededAt < firstEventAt, 'subscription_succeeded comes before the recovered events');
    second.client.terminate();
  });

  it('passes a publisher-assigned event id through, live and when recovering', async () => {
    const first = await subscribe(server, 'with-ids');
    const post = async (id: string, n: number) => {
      const body = JSON.stringify({ name: 'tick', channel: 'with-ids', data: JSON.stringify({ n }), id });
      const path = `/apps/${server.app.id}/events`;
      const { query } = signApiRequest(server.app, 'POST', path, body);
      const response = await fetch(`${server.url}${path}?${query}`, { method: 'POST', body });
      assert.equal(response.status, 200, await response.text());
    };
    await post('site1:41', 1);
    const [live] = await received(first.client, 'with-ids', 1);
    assert.equal(live!.id, 'site1:41');
    first.client.terminate();
    await post('site1:42', 2);
    const second = await subscribe(server, 'with-ids', live!.position);
    const [recovered] = await received(second.client, 'with-ids', 1);
    assert.equal(recovered!.id, 'site1:42');
    second.client.terminate();
    const bad = JSON.stringify({ name: 'tick', channel: 'with-ids', data: '{}', id: 'no spaces allowed' });
    const path = `/apps/${server.app.id}/events`;
    const response = await fetch(
      `${server.url}${path}?${signApiRequest(server.app, 'POST', path, bad).query}`,
      {
        method: 'POST',
        body: bad,
      },
    );
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, /"id"/);
  });

  it('resuming at the newest position recovers nothing and misses nothing', async () => {
    const first = await subscribe(server, 'uptodate');
    first.client.terminate();
    const second = await subscribe(server, 'uptodate', first.reply.position);
    assert.equal(second.reply.recovered, true);
    assert.equal(second.reply.missed, 0);
    second.client.terminate();
  });

  it('reports too_old when the history no longer holds the gap', async () => {
    const first = await subscribe(server, 'overflow');
    first.client.terminate();
    for (let n = 1; n <= 25; n++) await publish(sdk, 'overflow', 'tick', { n });
    const second = await subscribe(server, 'overflow', first.reply.position);
    assert.equal(second.reply.recovered, false);
    assert.equal(second.reply.reason, 'too_old');
    assert.match(second.reply.position, /:25$/);
    await publish(sdk, 'overflow', 'tick', { n: 26 });
    const [live] = await received(second.client, 'overflow', 1);
    assert.equal(
      JSON.parse(live!.data as string).n,
      26,
      'live delivery continues after an unrecoverable gap',
    );
    second.client.terminate();
  });

  it('reports epoch_changed for a position from another stream, and invalid_position for garbage', async () => {
    const stale = await subscribe(server, 'epochs', 'OldEpoch:3');
    assert.equal(stale.reply.recovered, false);
    assert.equal(stale.reply.reason, 'epoch_changed');
    stale.client.terminate();
    const garbage = await subscribe(server, 'epochs', 'not a position');
    assert.equal(garbage.reply.recovered, false);
    assert.equal(garbage.reply.reason, 'invalid_position');
    garbage.client.terminate();
    const epoch = stale.reply.position.split(':')[0];
    const future = await subscribe(server, 'epochs', `${epoch}:999`);
    assert.equal(future.reply.reason, 'invalid_position');
    future.client.terminate();
  });

  it('reports epoch_changed after the server restarts (history is in memory)', async () => {
    const other = await startServer();
    const otherSdk = sdkFor(other);
    const first = await subscribe(other, 'restart');
    await publish(otherSdk, 'restart', 'tick', { n: 1 });
    const [event] = await received(first.client, 'restart', 1);
    first.client.terminate();
    const port = other.port;
    await other.stop();
    const restarted = await startServer({ port });
    try {
      const second = await subscribe(restarted, 'restart', event!.position);
      assert.equal(second.reply.recovered, false);
      assert.equal(second.reply.reason, 'epoch_changed');
      second.client.terminate();
    } finally {
      await restarted.stop();
    }
  });

  it('never skips or repeats while events are published during many resumes', async () => {
    const channel = 'busy';
    const total = 300;
    let current = await subscribe(server, channel);
    let position = current.reply.position;
    const publishing = (async () => {
      for (let n = 1; n <= total; n++) await publish(sdk, channel, 'tick', { n });
    })();
    const seen: number[] = [];
    const deadline = Date.now() + 20_000;
    let resumes = 0;
    while (seen.length < total && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25));
      for (const message of current.client.frames.filter(isEvent(channel))) {
        seen.push(JSON.parse(message.data as string).n as number);
        position = message.position!;
      }
      current.client.terminate();
      current = await subscribe(server, channel, position);
      assert.equal(
        current.reply.recovered,
        true,
        `resume from ${position} must recover (${current.reply.reason})`,
      );
      resumes++;
    }
    current.client.terminate();
    await publishing;
    assert.ok(resumes > 10, `resumed ${resumes} times`);
    assert.deepEqual(
      seen,
      Array.from({ length: total }, (_, i) => i + 1),
    );
  });
});
