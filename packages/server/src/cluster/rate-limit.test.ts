import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('never limits when the rate is 0 (unlimited)', () => {
    const limiter = new RateLimiter();
    for (let index = 0; index < 1_000; index++) assert.equal(limiter.take('app', 0, 0), 0);
  });

  it('allows a burst of `perSecond`, then asks to wait whole seconds', () => {
    const limiter = new RateLimiter();
    for (let index = 0; index < 5; index++) assert.equal(limiter.take('app', 5, 1_000), 0);
    const wait = limiter.take('app', 5, 1_000);
    assert.ok(wait >= 1, `wait ${wait}`);
    assert.equal(Number.isInteger(wait), true);
  });

  it('refills continuously', () => {
    const limiter = new RateLimiter();
    for (let index = 0; index < 2; index++) limiter.take('app', 2, 0);
    assert.ok(limiter.take('app', 2, 0) > 0);
    // Half a second later one token is back (2 per second).
    assert.equal(limiter.take('app', 2, 500), 0);
    assert.ok(limiter.take('app', 2, 500) > 0);
    // Never more than the burst, however long it waited.
    for (let index = 0; index < 2; index++) assert.equal(limiter.take('app', 2, 100_000), 0);
    assert.ok(limiter.take('app', 2, 100_000) > 0);
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter();
    assert.equal(limiter.take('a', 1, 0), 0);
    assert.ok(limiter.take('a', 1, 0) > 0);
    assert.equal(limiter.take('b', 1, 0), 0);
  });
});
