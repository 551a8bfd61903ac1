import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransportPlan } from './fallback.js';

test('walks ws → sse → poll on failures before the handshake and says when it wrapped', () => {
  const plan = new TransportPlan(['ws', 'sse', 'poll']);
  assert.equal(plan.current(), 'ws');
  assert.equal(plan.failed('ws'), false);
  assert.equal(plan.current(), 'sse');
  assert.equal(plan.failed('sse'), false);
  assert.equal(plan.current(), 'poll');
  assert.equal(plan.failed('poll'), true);
  assert.equal(plan.current(), 'ws');
});

test('sticks to the transport that worked and asks for a WebSocket probe only on a fallback', () => {
  const plan = new TransportPlan(['ws', 'sse', 'poll']);
  plan.failed('ws');
  plan.established('sse');
  assert.equal(plan.current(), 'sse');
  assert.equal(plan.shouldProbe(), true);
  assert.equal(plan.preferred(), 'ws');
  plan.established('ws');
  assert.equal(plan.current(), 'ws');
  assert.equal(plan.shouldProbe(), false);
});

test('a stale failure report (not the current transport) changes nothing', () => {
  const plan = new TransportPlan(['ws', 'sse']);
  plan.failed('ws');
  assert.equal(plan.failed('ws'), false);
  assert.equal(plan.current(), 'sse');
});

test('keeps the canonical order whatever order `transports` lists, and a single transport always wraps', () => {
  assert.equal(new TransportPlan(['poll', 'sse']).current(), 'sse');
  const only = new TransportPlan(['sse']);
  assert.equal(only.failed('sse'), true);
  assert.equal(only.current(), 'sse');
  assert.equal(only.shouldProbe(), false);
});

test('refuses an empty transport list', () => {
  assert.throws(() => new TransportPlan([]), /no usable transport/);
});
