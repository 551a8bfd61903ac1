import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketOf, Histogram, upperEdge } from './histogram.js';

test('a value lies at or below the upper edge of its bucket, within 1%', () => {
  for (const v of [0.0015, 0.05, 1, 3.3, 250, 9999]) {
    const edge = upperEdge(bucketOf(v));
    assert.ok(edge >= v, `${edge} >= ${v}`);
    assert.ok(edge <= v * 1.0101, `${edge} within 1% of ${v}`);
  }
});

test('quantiles of 1..1000 ms are within 1% of the exact ranks', () => {
  const h = new Histogram();
  for (let i = 1; i <= 1000; i++) h.record(i);
  assert.ok(Math.abs(h.quantile(0.5)! - 500) <= 5);
  assert.ok(Math.abs(h.quantile(0.99)! - 990) <= 10);
  assert.ok(Math.abs(h.quantile(0.999)! - 999) <= 10);
  assert.equal(h.quantile(1), 1000);
  assert.equal(h.mean(), 500.5);
});

test('an empty histogram has no quantiles', () => {
  assert.equal(new Histogram().quantile(0.5), null);
});

test('merging serialized histograms equals recording everything in one', () => {
  const a = new Histogram();
  const b = new Histogram();
  const all = new Histogram();
  for (let i = 0; i < 500; i++) {
    const v = (i * 7.3) % 97;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  const merged = Histogram.from(a.toJSON());
  merged.merge(JSON.parse(JSON.stringify(b.toJSON())));
  assert.deepEqual(merged.toJSON(), all.toJSON());
});
