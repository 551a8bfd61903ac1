import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Measurement } from '../scenarios/types.js';
import { aggregate, median, ratio } from './aggregate.js';

const m = (target: string, value: number | null): Measurement => ({
  scenario: 's',
  case: 'c',
  metric: 'x',
  unit: 'u',
  better: 'higher',
  target,
  value,
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), null);
});

test('rounds fold into one row with medians and ratios', () => {
  const rows = aggregate([
    m('naive', 10),
    m('naive', 30),
    m('naive', 20),
    m('pressrelay', 100),
    m('pressrelay', null),
  ]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.values.naive, 20);
  assert.equal(rows[0]!.values.pressrelay, 100);
  assert.equal(ratio(rows[0]!, 'naive'), 5);
  assert.equal(ratio(rows[0]!, 'coalescing'), null);
});
