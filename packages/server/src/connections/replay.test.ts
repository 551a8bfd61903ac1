import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ReplayScheduler } from './replay.js';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

describe('ReplayScheduler', () => {
  it('runs a job at once when the turn has budget and nobody waits', async () => {
    const scheduler = new ReplayScheduler(5);
    let ran = false;
    const done = scheduler.run(() => {
      ran = true;
    });
    assert.equal(ran, true);
    await done;
  });

  it('spreads a burst over turns, in order, leaving room for other work between them', async () => {
    const scheduler = new ReplayScheduler(5);
    const order: number[] = [];
    const turnsSeen = new Set<number>();
    let turn = 0;
    const ticking = (async () => {
      while (order.length < 40) {
        await nextTurn();
        turn++;
      }
    })();
    const jobs = Array.from({ length: 40 }, (_, index) =>
      scheduler.run(() => {
        busy(1);
        order.push(index);
        turnsSeen.add(turn);
      }),
    );
    await Promise.all(jobs);
    await ticking;
    assert.deepEqual(
      order,
      Array.from({ length: 40 }, (_, index) => index),
    );
    assert.ok(turnsSeen.size >= 5, `40 one-millisecond jobs with a 5 ms budget took ${turnsSeen.size} turns`);
  });

  it('rejects the job that throws and carries on with the others', async () => {
    const scheduler = new ReplayScheduler(0);
    const failing = scheduler.run(() => {
      throw new Error('boom');
    });
    const fine = scheduler.run(() => {});
    await assert.rejects(failing, /boom/);
    await fine;
  });
});
