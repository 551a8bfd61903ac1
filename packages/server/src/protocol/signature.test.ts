import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Pusher from 'pusher';
import {
  apiStringToSign,
  canonicalQuery,
  channelAuthString,
  hmacSha256Hex,
  md5Hex,
  safeEqual,
  signApiRequest,
  signToken,
  userAuthString,
  verifyToken,
  webhookSignature,
} from './signature.js';

// The documented vectors (pusher-protocol.md §3 and §4.1).
const KEY = '278d425bdf160c739803';
const SECRET = '7ad3773142a6692b25b8';
const SOCKET = '1234.1234';

const sdk = new Pusher({ appId: '3', key: KEY, secret: SECRET, host: '127.0.0.1', useTLS: false });

describe('channel and user auth signatures', () => {
  it('matches the documented private channel vector', () => {
    assert.equal(channelAuthString(SOCKET, 'private-foobar'), '1234.1234:private-foobar');
    assert.equal(
      hmacSha256Hex(SECRET, channelAuthString(SOCKET, 'private-foobar')),
      '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4',
    );
  });

  it('matches the documented user sign-in vector', () => {
    const userData = '{"id":"12345"}';
    assert.equal(userAuthString(SOCKET, userData), '1234.1234::user::{"id":"12345"}');
    assert.equal(
      hmacSha256Hex(SECRET, userAuthString(SOCKET, userData)),
      '4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba',
    );
  });

  it('signs presence channel_data exactly as sent (recomputed vector; the docs print a stale one)', () => {
    const channelData = '{"user_id":10,"user_info":{"name":"Mr. Channels"}}';
    assert.equal(
      hmacSha256Hex(SECRET, channelAuthString(SOCKET, 'presence-foobar', channelData)),
      '31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80',
    );
    // The docs' `afaed369…` is the signature of the same text with "Mr. Pusher".
    const docsData = '{"user_id":10,"user_info":{"name":"Mr. Pusher"}}';
    assert.match(hmacSha256Hex(SECRET, channelAuthString(SOCKET, 'presence-foobar', docsData)), /^afaed369/);
  });

  it('produces the same tokens as the pusher Node SDK', () => {
    assert.equal(
      signToken(KEY, SECRET, channelAuthString(SOCKET, 'private-foobar')),
      sdk.authorizeChannel(SOCKET, 'private-foobar').auth,
    );
    const presence = sdk.authorizeChannel(SOCKET, 'presence-room', { user_id: '7', user_info: { n: 'é/ü' } });
    assert.ok(presence.channel_data);
    assert.equal(
      signToken(KEY, SECRET, channelAuthString(SOCKET, 'presence-room', presence.channel_data)),
      presence.auth,
    );
    const user = sdk.authenticateUser(SOCKET, { id: '42', user_info: { name: 'x' } });
    assert.equal(signToken(KEY, SECRET, userAuthString(SOCKET, user.user_data)), user.auth);
  });

  it('verifies SDK tokens and rejects forged ones', () => {
    const message = channelAuthString(SOCKET, 'private-foobar');
    const { auth } = sdk.authorizeChannel(SOCKET, 'private-foobar');
    assert.equal(verifyToken(auth, KEY, SECRET, message), true);
    // Right signature, wrong key part.
    assert.equal(verifyToken(auth.replace(KEY, 'other-key'), KEY, SECRET, message), false);
    // Signed for another socket or channel.
    assert.equal(verifyToken(auth, KEY, SECRET, channelAuthString('1234.1235', 'private-foobar')), false);
    assert.equal(verifyToken(auth, KEY, SECRET, channelAuthString(SOCKET, 'private-other')), false);
    // Signed with another secret.
    assert.equal(verifyToken(signToken(KEY, 'wrong', message), KEY, SECRET, message), false);
    // Malformed tokens.
    for (const token of [undefined, null, 42, '', KEY, `${KEY}:`, ':abc', `${KEY}:${'0'.repeat(64)}`]) {
      assert.equal(verifyToken(token, KEY, SECRET, message), false, `token ${JSON.stringify(token)}`);
    }
  });

  it('compares in constant time and handles unequal lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('é', 'é'), true);
  });
});

describe('HTTP API request signatures', () => {
  const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';

  it('matches the documented worked example', () => {
    assert.equal(md5Hex(body), 'ec365a775a4cd0599faeb73354201b6f');
    const params = {
      auth_key: KEY,
      auth_timestamp: '1353088179',
      auth_version: '1.0',
      body_md5: 'ec365a775a4cd0599faeb73354201b6f',
    };
    const stringToSign = apiStringToSign('post', '/apps/3/events', params);
    assert.equal(
      stringToSign,
      'POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f',
    );
    assert.equal(
      hmacSha256Hex(SECRET, stringToSign),
      'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c',
    );
    const signed = signApiRequest(
      { key: KEY, secret: SECRET },
      'POST',
      '/apps/3/events',
      body,
      {},
      1353088179,
    );
    assert.equal(
      new URLSearchParams(signed.query).get('auth_signature'),
      'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c',
    );
  });

  it('signs exactly as the pusher Node SDK does (GET with params, POST with body)', () => {
    const requests: Array<{ method: string; path: string; params: Record<string, string>; body?: string }> = [
      {
        method: 'GET',
        path: '/apps/3/channels',
        params: { filter_by_prefix: 'presence-', info: 'user_count' },
      },
      { method: 'POST', path: '/apps/3/events', params: {}, body },
      { method: 'POST', path: '/apps/3/users/42/terminate_connections', params: {}, body: '{}' },
    ];
    for (const request of requests) {
      const sdkQuery = new URLSearchParams(sdk.createSignedQueryString(request));
      const timestamp = Number(sdkQuery.get('auth_timestamp'));
      const ours = new URLSearchParams(
        signApiRequest(
          { key: KEY, secret: SECRET },
          request.method,
          request.path,
          request.body ?? '',
          request.params,
          timestamp,
        ).query,
      );
      assert.equal(ours.get('auth_signature'), sdkQuery.get('auth_signature'), request.path);
      assert.equal(ours.get('body_md5'), sdkQuery.get('body_md5'));
      // And the server-side string to sign, rebuilt from the decoded query, verifies the SDK's signature.
      const params = Object.fromEntries(sdkQuery);
      assert.equal(
        hmacSha256Hex(SECRET, apiStringToSign(request.method, request.path, params)),
        sdkQuery.get('auth_signature'),
      );
    }
  });

  it('canonicalises the query: lower-cased sorted keys, decoded values, no auth_signature, arrays joined', () => {
    assert.equal(
      canonicalQuery({
        Z: '1',
        auth_signature: 'x',
        a: 'x y/é',
        'channels[]': ['a', 'b'],
        M: '',
      }),
      'a=x y/é&channels[]=a,b&m=&z=1',
    );
  });
});

describe('webhook signatures', () => {
  it('is the HMAC of the exact body bytes, as the SDK WebHook verifies it', () => {
    const rawBody = '{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"a/b"}]}';
    const signature = webhookSignature(SECRET, rawBody);
    assert.equal(signature, hmacSha256Hex(SECRET, rawBody));
    const hook = sdk.webhook({
      headers: { 'x-pusher-key': KEY, 'x-pusher-signature': signature, 'content-type': 'application/json' },
      rawBody,
    });
    assert.equal(hook.isValid(), true);
    assert.deepEqual(hook.getEvents(), [{ name: 'channel_occupied', channel: 'a/b' }]);
    // One byte different (e.g. re-serialised with other spacing) no longer verifies.
    const reformatted = rawBody.replace('"events":', '"events": ');
    assert.equal(
      sdk
        .webhook({
          headers: {
            'x-pusher-key': KEY,
            'x-pusher-signature': signature,
            'content-type': 'application/json',
          },
          rawBody: reformatted,
        })
        .isValid(),
      false,
    );
  });

  it('needs Content-Type exactly application/json for the SDK', () => {
    const rawBody = '{"time_ms":1,"events":[]}';
    const hook = sdk.webhook({
      headers: {
        'x-pusher-key': KEY,
        'x-pusher-signature': webhookSignature(SECRET, rawBody),
        'content-type': 'application/json; charset=utf-8',
      },
      rawBody,
    });
    assert.equal(hook.isValid(), false);
  });

  it('signs Buffers and strings alike', () => {
    const text = '{"x":"é"}';
    assert.equal(webhookSignature(SECRET, Buffer.from(text)), webhookSignature(SECRET, text));
  });
});
