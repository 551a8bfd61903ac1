import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConnectionErrors } from './errors.js';

/** What pusher-js does with a close code (its `Protocol.getCloseAction`, pusher-protocol.md §1.4). */
function closeAction(code: number): string {
  if (code < 4000) return code >= 1002 && code <= 1004 ? 'backoff' : 'reconnect-after-1s';
  if (code === 4000) return 'tls_only';
  if (code < 4100) return 'refused';
  if (code < 4200) return 'backoff';
  if (code < 4300) return 'retry';
  return 'refused';
}

describe('the error catalogue', () => {
  it('uses Pusher codes for the refusals Pusher documents', () => {
    const expected: Record<string, number> = {
      SSL_ONLY: 4000,
      APP_NOT_FOUND: 4001,
      APP_DISABLED: 4003,
      OVER_CONNECTION_QUOTA: 4004,
      PATH_NOT_FOUND: 4005,
      INVALID_VERSION: 4006,
      UNSUPPORTED_PROTOCOL: 4007,
      NO_PROTOCOL: 4008,
      UNAUTHORIZED: 4009,
      ORIGIN_NOT_ALLOWED: 4009,
      NOT_AUTHORIZED_IN_TIME: 4009,
      TERMINATED: 4009,
      INVALID_SIGNIN: 4009,
      OVER_CAPACITY: 4100,
      SLOW_CONSUMER: 4100,
      SERVER_SHUTTING_DOWN: 4200,
      PONG_TIMEOUT: 4201,
      CLIENT_EVENT_RATE_LIMIT: 4301,
      WATCHLIST_LIMIT: 4302,
    };
    for (const [name, code] of Object.entries(expected)) {
      assert.equal(ConnectionErrors[name as keyof typeof ConnectionErrors].code, code, name);
    }
  });

  it('makes pusher-js do the intended thing with each close code', () => {
    // Clients must stay away after these.
    for (const name of [
      'APP_NOT_FOUND',
      'APP_DISABLED',
      'OVER_CONNECTION_QUOTA',
      'ORIGIN_NOT_ALLOWED',
      'TERMINATED',
      'INVALID_SIGNIN',
      'NOT_AUTHORIZED_IN_TIME',
    ] as const) {
      assert.equal(closeAction(ConnectionErrors[name].code), 'refused', name);
    }
    // Slow consumers and overload: come back after a pause.
    for (const name of ['OVER_CAPACITY', 'SLOW_CONSUMER'] as const) {
      assert.equal(closeAction(ConnectionErrors[name].code), 'backoff', name);
    }
    // Shutdown and pong timeout: reconnect at once (to another node).
    for (const name of ['SERVER_SHUTTING_DOWN', 'PONG_TIMEOUT'] as const) {
      assert.equal(closeAction(ConnectionErrors[name].code), 'retry', name);
    }
  });

  it('gives codeless errors (which never close) code null, as Pusher does', () => {
    for (const name of [
      'CLIENT_EVENTS_DISABLED',
      'CLIENT_EVENT_WRONG_CHANNEL',
      'CLIENT_EVENT_NOT_SUBSCRIBED',
      'CLIENT_EVENT_BAD_NAME',
      'INVALID_MESSAGE',
      'BINARY_NOT_SUPPORTED',
      'UNKNOWN_EVENT',
    ] as const) {
      assert.equal(ConnectionErrors[name].code, null, name);
    }
    assert.equal(
      ConnectionErrors.CLIENT_EVENTS_DISABLED.message,
      'To send client events, you must enable this feature in the Settings page of your dashboard.',
    );
  });

  it('has a message for every entry, and every code inside Pusher ranges', () => {
    for (const [name, spec] of Object.entries(ConnectionErrors)) {
      assert.ok(spec.message.length > 0, name);
      if (spec.code !== null) assert.ok(spec.code >= 4000 && spec.code <= 4399, name);
    }
  });

  it('is documented entry by entry in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    for (const [name, spec] of Object.entries(ConnectionErrors)) {
      assert.ok(doc.includes(`\`${name}\``), `docs/errors.md lacks ${name}`);
      assert.ok(doc.includes(spec.message), `docs/errors.md lacks the message of ${name}`);
    }
  });
});
