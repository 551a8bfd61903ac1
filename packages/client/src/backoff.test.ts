import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';
import { closeAction, isPusherCode } from './close-codes.js';

test('backoff ceilings double from base up to max (full jitter: random 1 hits just under the ceiling)', () => {
  const backoff = new Backoff({ baseMs: 100, maxMs: 1000 }, () => 0.999999);
  assert.deepEqual(
    Array.from({ length: 6 }, () => backoff.next()),
    [99, 199, 399, 799, 999, 999],
  );
  assert.equal(backoff.attempt, 6);
});

test('backoff with random 0 gives the floor, and never more than max', () => {
  const low = new Backoff({ baseMs: 100, maxMs: 1000 }, () => 0);
  assert.deepEqual([low.next(), low.next(250), low.next(5000)], [0, 250, 1000]);
  const high = new Backoff({ baseMs: 100, maxMs: 1000 }, () => 0.99);
  assert.equal(high.next(900), 999);
});

test('full jitter spreads delays over the whole range', () => {
  const delays = new Set<number>();
  for (let index = 0; index < 200; index++) {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 30_000 });
    backoff.attempt = 3;
    const delay = backoff.next();
    assert.ok(delay >= 0 && delay < 8000, `delay ${delay} out of [0, 8000)`);
    delays.add(Math.floor(delay / 1000));
  }
  assert.ok(delays.size >= 6, `expected spread over the 8 one-second buckets, got ${[...delays]}`);
});

test('reset starts over; defaults are 1 s base and 30 s max; huge attempt counts do not overflow', () => {
  const backoff = new Backoff({}, () => 0.5);
  backoff.attempt = 5000;
  assert.equal(backoff.next(), 15_000);
  backoff.reset();
  assert.equal(backoff.attempt, 0);
  assert.equal(backoff.next(), 500);
});

test('close codes: 4000-4099 and 4300+ refused, 4100-4199 back off, 4200-4299 now, others back off', () => {
  assert.equal(closeAction(4001), 'refused');
  assert.equal(closeAction(4009), 'refused');
  assert.equal(closeAction(4100), 'backoff');
  assert.equal(closeAction(4199), 'backoff');
  assert.equal(closeAction(4200), 'now');
  assert.equal(closeAction(4201), 'now');
  assert.equal(closeAction(4301), 'refused');
  assert.equal(closeAction(1006), 'backoff');
  assert.equal(closeAction(1000), 'backoff');
  assert.equal(closeAction(null), 'backoff');
  assert.equal(isPusherCode(4200), true);
  assert.equal(isPusherCode(1006), false);
  assert.equal(isPusherCode(null), false);
});
