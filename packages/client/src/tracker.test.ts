import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PositionTracker } from './tracker.js';

test('no position before the first subscription; set from subscription_succeeded', () => {
  const tracker = new PositionTracker();
  assert.equal(tracker.resumeFrom(), undefined);
  tracker.succeeded({ position: 'abc:4' });
  assert.equal(tracker.resumeFrom(), 'abc:4');
});

test('events advance the position; duplicates and older serials of the same epoch are dropped', () => {
  const tracker = new PositionTracker();
  tracker.succeeded({ position: 'abc:4' });
  assert.equal(tracker.accept('abc:4'), false);
  assert.equal(tracker.accept('abc:5'), true);
  assert.equal(tracker.accept('abc:6'), true);
  assert.equal(tracker.accept('abc:5'), false);
  assert.equal(tracker.accept('abc:6'), false);
  assert.equal(tracker.resumeFrom(), 'abc:6');
});

test('recovered: true keeps the last position (the missed events advance it)', () => {
  const tracker = new PositionTracker();
  tracker.succeeded({ position: 'abc:2' });
  tracker.accept('abc:3');
  tracker.succeeded({ position: 'abc:9', recovered: true });
  assert.equal(tracker.resumeFrom(), 'abc:3');
  assert.equal(tracker.accept('abc:3'), false);
  for (let serial = 4; serial <= 9; serial++) assert.equal(tracker.accept(`abc:${serial}`), true);
});

test('recovered: false restarts from the stream position, even a lower one', () => {
  const tracker = new PositionTracker('old:50');
  tracker.succeeded({ position: 'new:3', recovered: false, reason: 'epoch_changed' });
  assert.equal(tracker.resumeFrom(), 'new:3');
  assert.equal(tracker.accept('new:3'), false);
  assert.equal(tracker.accept('new:4'), true);
  const ahead = new PositionTracker('same:90');
  ahead.succeeded({ position: 'same:7', recovered: false, reason: 'invalid_position' });
  assert.equal(ahead.accept('same:8'), true);
});

test('a new epoch while subscribed is adopted', () => {
  const tracker = new PositionTracker();
  tracker.succeeded({ position: 'one:10' });
  assert.equal(tracker.accept('two:1'), true);
  assert.equal(tracker.accept('one:11'), true);
  assert.equal(tracker.resumeFrom(), 'one:11');
});

test('events without (or with malformed) positions always pass and do not move the position', () => {
  const tracker = new PositionTracker('abc:1');
  assert.equal(tracker.accept(undefined), true);
  assert.equal(tracker.accept('garbage'), true);
  assert.equal(tracker.accept('a:b:c'), true);
  assert.equal(tracker.resumeFrom(), 'abc:1');
});

test('an initial position (cached baseline) is the first resume point; malformed ones are ignored', () => {
  assert.equal(new PositionTracker('h5zGzPi0:17').resumeFrom(), 'h5zGzPi0:17');
  assert.equal(new PositionTracker('nope').resumeFrom(), undefined);
  assert.equal(new PositionTracker(null).resumeFrom(), undefined);
});
