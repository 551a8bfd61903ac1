import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStreamId, encodeStreamId, formatPosition, parsePosition } from './positions.js';

describe('positions', () => {
  it('formats and parses epoch:serial', () => {
    assert.equal(formatPosition({ epoch: 'h5zGzPi0', serial: 17 }), 'h5zGzPi0:17');
    assert.deepEqual(parsePosition('h5zGzPi0:17'), { epoch: 'h5zGzPi0', serial: 17 });
    assert.deepEqual(parsePosition('a-b_c:0'), { epoch: 'a-b_c', serial: 0 });
  });

  it('refuses malformed positions', () => {
    for (const text of [
      undefined,
      null,
      17,
      '',
      ':1',
      'abc',
      'abc:',
      'abc:-1',
      'abc:1.5',
      'a:b:1',
      'a,b:1',
      `${'a'.repeat(33)}:1`,
      'abc:1e3',
      'abc:1234567890123456',
    ]) {
      assert.equal(parsePosition(text), null, JSON.stringify(text));
    }
  });

  it('round-trips SSE stream ids, with empty entries for channels without a position', () => {
    const positions = [{ epoch: 'a', serial: 1 }, null, { epoch: 'b', serial: 22 }];
    const id = encodeStreamId(positions);
    assert.equal(id, 'a:1,,b:22');
    assert.deepEqual(decodeStreamId(id, 3), positions);
    // Fewer entries than channels: the missing ones have no position; garbage entries are ignored.
    assert.deepEqual(decodeStreamId('a:1', 2), [{ epoch: 'a', serial: 1 }, null]);
    assert.deepEqual(decodeStreamId('junk,b:2', 2), [null, { epoch: 'b', serial: 2 }]);
  });
});
