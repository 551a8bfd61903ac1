import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMarker, makeData, readSentAt, readSeq } from './payload.js';

test('time and sequence survive the Pusher envelope', () => {
  const data = makeData(123456.789, 42, 100);
  assert.equal(data.length, 100);
  const frame = Buffer.from(JSON.stringify({ event: 'e', channel: 'c', data, position: 'x:1' }));
  const at = findMarker(frame);
  assert.ok(at > 0);
  assert.equal(readSentAt(frame, at), 123456.789);
  assert.equal(readSeq(frame, at), 42);
});

test('a message without the marker is recognised', () => {
  assert.equal(findMarker(Buffer.from('{"event":"pusher:pong","data":{}}')), -1);
});

test('a position whose epoch ends in "bt" is not a payload', () => {
  const succeeded = Buffer.from(
    '{"event":"pusher_internal:subscription_succeeded","channel":"c","data":"{\\"position\\":\\"k2Jd9abt:0\\"}"}',
  );
  assert.equal(findMarker(succeeded), -1);
  const event = Buffer.from(
    `{"event":"e","channel":"c","data":"${makeData(12.5, 3)}","position":"k2Jd9abt:4"}`,
  );
  assert.equal(readSeq(event, findMarker(event)), 3);
});
