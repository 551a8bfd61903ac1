import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerHandle, startServer } from '../harness.js';
import { publish, sdkFor } from '../support/publisher.js';

interface PollAnswer {
  session: string;
  seq: number;
  messages: Array<{ event: string; channel?: string; data?: string; position?: string }>;
}

describe('long-polling', () => {
  let server: ServerHandle;
  let sdk: ReturnType<typeof sdkFor>;
  const poll = async (query: string): Promise<PollAnswer> => {
    const response = await fetch(`${server.url}/app/${server.app.key}/poll?${query}`);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as PollAnswer;
  };

  before(async () => {
    server = await startServer();
    sdk = sdkFor(server);
  });
  after(() => server.stop());

  it('opens with connection_established and subscription_succeeded, then delivers events with positions', async () => {
    let answer = await poll('channel=news');
    const { session } = answer;
    const events = [...answer.messages];
    while (!events.some((m) => m.event === 'pusher_internal:subscription_succeeded')) {
      answer = await poll(`session=${session}&ack=${answer.seq}`);
      events.push(...answer.messages);
    }
    assert.equal(events[0]!.event, 'pusher:connection_established');
    const waiting = poll(`session=${session}&ack=${answer.seq}`);
    await publish(sdk, 'news', 'headline', { n: 1 });
    const delivered = await waiting;
    assert.equal(delivered.messages.length, 1);
    assert.equal(delivered.messages[0]!.data, '{"n":1}');
    assert.match(delivered.messages[0]!.position!, /:1$/);
  });

  it('loses nothing when an answer is lost in flight: the same ack gets the same messages again', async () => {
    let answer = await poll('channel=lossy');
    const { session } = answer;
    while (!answer.messages.some((m) => m.event === 'pusher_internal:subscription_succeeded')) {
      answer = await poll(`session=${session}&ack=${answer.seq}`);
    }
    const ack = answer.seq;
    await publish(sdk, 'lossy', 'tick', { n: 1 });
    await publish(sdk, 'lossy', 'tick', { n: 2 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lost = await poll(`session=${session}&ack=${ack}`);
    const again = await poll(`session=${session}&ack=${ack}`);
    assert.deepEqual(again.messages, lost.messages);
    assert.deepEqual(
      again.messages.map((m) => m.data),
      ['{"n":1}', '{"n":2}'],
    );
    const waiting = poll(`session=${session}&ack=${again.seq}`);
    await publish(sdk, 'lossy', 'tick', { n: 3 });
    assert.deepEqual(
      (await waiting).messages.map((m) => m.data),
      ['{"n":3}'],
    );
  });

  it('answers 404 for an unknown session and 400 for a bad ack', async () => {
    const unknown = await fetch(`${server.url}/app/${server.app.key}/poll?session=nope&ack=0`);
    assert.equal(unknown.status, 404);
    const opened = await poll('channel=x');
    const bad = await fetch(`${server.url}/app/${server.app.key}/poll?session=${opened.session}&ack=-1`);
    assert.equal(bad.status, 400);
  });
});
