import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hotFunctions } from './cpuprofile.js';

test('self time is summed per function and sorted', () => {
  const frame = (functionName: string, url = '/a/b/c.js', lineNumber = 0) => ({
    functionName,
    url,
    lineNumber,
  });
  const hot = hotFunctions({
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('write', '/x/net.js', 9) },
      { id: 3, callFrame: frame('parse') },
    ],
    samples: [2, 3, 2, 2, 1],
    timeDeltas: [1000, 1000, 1000, 1000, 1000],
  });
  assert.deepEqual(
    hot.map((h) => [h.name, h.where, h.selfMs]),
    [
      ['write', 'x/net.js:10', 3],
      ['parse', 'b/c.js:1', 1],
      ['(root)', '', 1],
    ],
  );
  assert.equal(hot[0]!.share, 0.6);
});
