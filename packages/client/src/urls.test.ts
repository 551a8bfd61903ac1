import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpoints, openQuery } from './urls.js';

test('ws(s) URL is derived from http(s), with the path prefix kept', () => {
  assert.deepEqual(endpoints('http://127.0.0.1:6001', 'dev-key'), {
    ws: 'ws://127.0.0.1:6001/app/dev-key?protocol=7&client=pressrelay-js&version=0.1.0&flash=false',
    http: 'http://127.0.0.1:6001/app/dev-key',
  });
  const prefixed = endpoints('https://rt.example.com/realtime/', 'k');
  assert.equal(
    prefixed.ws,
    'wss://rt.example.com/realtime/app/k?protocol=7&client=pressrelay-js&version=0.1.0&flash=false',
  );
  assert.equal(prefixed.http, 'https://rt.example.com/realtime/app/k');
});

test('open query names each channel and encodes the stream id in URL order', () => {
  assert.equal(openQuery([]), '');
  assert.equal(
    openQuery([
      { name: 'news', position: undefined },
      { name: 'seats-A12', position: undefined },
    ]),
    '?channel=news&channel=seats-A12',
  );
  const query = new URLSearchParams(
    openQuery([
      { name: 'a', position: 'h5zGzPi0:17' },
      { name: 'b', position: undefined },
      { name: 'c;d', position: 'Qx81aa0b:3' },
    ]),
  );
  assert.deepEqual(query.getAll('channel'), ['a', 'b', 'c;d']);
  assert.equal(query.get('last_event_id'), 'h5zGzPi0:17,,Qx81aa0b:3');
});
