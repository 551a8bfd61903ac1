import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyMd5, signedPath, stringToSign } from './signer.js';

// The worked example of pusher-protocol.md §4.1 (from Pusher's docs, recomputed there).
const app = { id: '3', key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';

test('body md5 matches the documented example', () => {
  assert.equal(bodyMd5(body), 'ec365a775a4cd0599faeb73354201b6f');
});

test('signature matches the documented example', () => {
  const path = signedPath('POST', '/apps/3/events', body, app, 1353088179);
  assert.match(path, /auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c$/);
  assert.match(path, /^\/apps\/3\/events\?auth_key=278d425bdf160c739803&auth_timestamp=1353088179&/);
});

test('the string to sign sorts lower-cased keys and skips auth_signature', () => {
  assert.equal(stringToSign('get', '/p', { b: '2', A: '1', auth_signature: 'x' }), 'GET\n/p\na=1&b=2');
});
