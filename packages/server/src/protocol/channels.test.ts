import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelNameProblem, channelType, isPresence, serverToUserId } from './channels.js';
import { DEFAULT_LIMITS } from './limits.js';

describe('channelType', () => {
  const cases: Array<[string, string, boolean, boolean, boolean]> = [
    // name, kind, cache, requiresAuth, allowsClientEvents
    ['news', 'public', false, false, false],
    ['cache-news', 'public', true, false, false],
    ['private-orders', 'private', false, true, true],
    ['private-cache-orders', 'private', true, true, true],
    ['private-encrypted-inbox', 'encrypted', false, true, false],
    ['private-encrypted-cache-inbox', 'encrypted', true, true, false],
    ['presence-room', 'presence', false, true, true],
    ['presence-cache-room', 'presence', true, true, true],
    ['#server-to-user-42', 'user', false, false, false],
    // Prefixes only count at the start, and must be complete.
    ['public-private-x', 'public', false, false, false],
    ['privatex', 'public', false, false, false],
    ['presence', 'public', false, false, false],
    ['Private-x', 'public', false, false, false],
    ['cachex', 'public', false, false, false],
  ];
  for (const [name, kind, cache, requiresAuth, allowsClientEvents] of cases) {
    it(`classifies ${name}`, () => {
      assert.deepEqual(channelType(name), { kind, cache, requiresAuth, allowsClientEvents });
    });
  }

  it('recognises presence channels and user channels', () => {
    assert.equal(isPresence('presence-x'), true);
    assert.equal(isPresence('presence-cache-x'), true);
    assert.equal(isPresence('private-presence-x'), false);
    assert.equal(serverToUserId('#server-to-user-abc'), 'abc');
    assert.equal(serverToUserId('server-to-user-abc'), null);
    assert.equal(serverToUserId('private-x'), null);
  });
});

describe('channelNameProblem', () => {
  const max = DEFAULT_LIMITS.maxChannelNameLength;

  it('accepts every character of the Pusher charset', () => {
    assert.equal(channelNameProblem('AZaz09_-=@,.;', max), null);
    assert.equal(channelNameProblem('private-App.Models.User.1', max), null);
    assert.equal(channelNameProblem('#server-to-user-42', max), null);
  });

  it('refuses other characters, # outside the user prefix, empty names and non-strings', () => {
    for (const name of [
      'a b',
      'a/b',
      'a:b',
      'a#b',
      '#x',
      'é',
      'a\nb',
      'a*',
      '',
      '#server-to-user-',
      '#server-to-user-a b',
    ]) {
      assert.notEqual(channelNameProblem(name, max), null, JSON.stringify(name));
    }
    for (const name of [undefined, null, 42, {}, ['a']]) {
      assert.notEqual(channelNameProblem(name, max), null, JSON.stringify(name));
    }
  });

  it('limits the length to 164 characters by default, prefix included', () => {
    assert.equal(max, 164);
    assert.equal(channelNameProblem(`private-${'a'.repeat(max - 8)}`, max), null);
    assert.match(channelNameProblem(`private-${'a'.repeat(max - 7)}`, max) ?? '', /longer than 164/);
    assert.equal(channelNameProblem('a'.repeat(200), 200), null);
  });
});
