import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Pusher from 'pusher';
import { TIMESTAMP_WINDOW_SECONDS, verifyApiRequest } from './api-auth.js';
import { HttpError } from './errors.js';
import type { QueryParams } from './signature.js';

const app = { id: '3', key: 'the-key', secret: 'the-secret' };
const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', useTLS: false });

/** Signs with the SDK and returns what the server would read off the request. */
function signed(method: 'GET' | 'POST', path: string, body?: string, params: Record<string, string> = {}) {
  const query = new URLSearchParams(sdk.createSignedQueryString({ method, path, params, body }));
  const decoded: QueryParams = {};
  for (const [name, value] of query) decoded[name] = value;
  return {
    method,
    path,
    params: decoded,
    rawBody: Buffer.from(body ?? ''),
    nowSeconds: Number(query.get('auth_timestamp')),
  };
}

function refusal(facts: Parameters<typeof verifyApiRequest>[0], target = app): HttpError {
  try {
    verifyApiRequest(facts, target);
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return error;
  }
  assert.fail('the request was accepted');
}

describe('verifyApiRequest', () => {
  it('accepts what the pusher SDK signs', () => {
    verifyApiRequest(signed('POST', '/apps/3/events', '{"name":"a","channels":["b"],"data":"{}"}'), app);
    verifyApiRequest(
      signed('GET', '/apps/3/channels', undefined, { filter_by_prefix: 'presence-', info: 'user_count' }),
      app,
    );
    verifyApiRequest(signed('GET', '/apps/3/channels/%23server-to-user-1'), app);
  });

  it('accepts timestamps up to the window on both sides, refuses beyond (401 STALE_TIMESTAMP)', () => {
    const facts = signed('GET', '/apps/3/channels');
    const stamp = facts.nowSeconds;
    verifyApiRequest({ ...facts, nowSeconds: stamp + TIMESTAMP_WINDOW_SECONDS }, app);
    verifyApiRequest({ ...facts, nowSeconds: stamp - TIMESTAMP_WINDOW_SECONDS }, app);
    for (const now of [stamp + TIMESTAMP_WINDOW_SECONDS + 1, stamp - TIMESTAMP_WINDOW_SECONDS - 1]) {
      const error = refusal({ ...facts, nowSeconds: now });
      assert.equal(error.status, 401);
      assert.equal(error.code, 'STALE_TIMESTAMP');
    }
    assert.equal(refusal({ ...facts, params: { ...facts.params, auth_timestamp: 'soon' } }).status, 401);
  });

  it('refuses a body that does not match body_md5 (raw bytes, not a re-serialisation)', () => {
    const facts = signed('POST', '/apps/3/events', '{"name":"a","channels":["b"],"data":"\\/"}');
    const error = refusal({ ...facts, rawBody: Buffer.from('{"name":"a","channels":["b"],"data":"/"}') });
    assert.equal(error.code, 'INVALID_BODY_MD5');
  });

  it('refuses a body without body_md5', () => {
    const facts = signed('GET', '/apps/3/channels');
    assert.equal(refusal({ ...facts, rawBody: Buffer.from('{}') }).code, 'MISSING_BODY_MD5');
  });

  it('refuses missing auth parameters', () => {
    const facts = signed('GET', '/apps/3/channels');
    for (const name of ['auth_key', 'auth_timestamp', 'auth_signature']) {
      const params = { ...facts.params };
      delete params[name];
      const error = refusal({ ...facts, params });
      assert.equal(error.status, 401);
      assert.equal(error.code, 'MISSING_AUTH');
    }
  });

  it('refuses another key, another secret, an unknown auth_version', () => {
    const facts = signed('GET', '/apps/3/channels');
    assert.equal(refusal(facts, { ...app, key: 'other' }).code, 'INVALID_KEY');
    assert.equal(refusal(facts, { ...app, secret: 'other' }).code, 'INVALID_SIGNATURE');
    assert.equal(
      refusal({ ...facts, params: { ...facts.params, auth_version: '2.0' } }).code,
      'INVALID_AUTH_VERSION',
    );
  });

  it('refuses a signature for another method, path or query', () => {
    const facts = signed('GET', '/apps/3/channels', undefined, { filter_by_prefix: 'presence-' });
    assert.equal(refusal({ ...facts, method: 'POST' }).code, 'INVALID_SIGNATURE');
    assert.equal(refusal({ ...facts, path: '/apps/3/channels/x' }).code, 'INVALID_SIGNATURE');
    assert.equal(
      refusal({ ...facts, params: { ...facts.params, filter_by_prefix: 'private-' } }).code,
      'INVALID_SIGNATURE',
    );
    assert.equal(refusal({ ...facts, params: { ...facts.params, extra: '1' } }).code, 'INVALID_SIGNATURE');
  });

  it('says what it expected in the error message', () => {
    const facts = signed('GET', '/apps/3/channels');
    const error = refusal(facts, { ...app, secret: 'other' });
    assert.match(error.message, /GET\\n\/apps\/3\/channels\\nauth_key=the-key/);
  });
});
