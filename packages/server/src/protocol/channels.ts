/** Channel names: kinds by prefix, and Pusher's naming rules. */
import { CHANNEL_NAME_PATTERN } from './limits.js';

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user';

export interface ChannelType {
  readonly kind: ChannelKind;
  /** `cache-` variants replay the last HTTP-published event to new subscribers. */
  readonly cache: boolean;
  /** Private, encrypted and presence channels need a signed `auth`. */
  readonly requiresAuth: boolean;
  /** Client events are allowed only on private and presence channels (not encrypted: pusher-js refuses them). */
  readonly allowsClientEvents: boolean;
}

export const SERVER_TO_USER_PREFIX = '#server-to-user-';

// Order matters: the longest prefixes first.
const PREFIXES: ReadonlyArray<readonly [string, ChannelType]> = [
  ['private-encrypted-cache-', type('encrypted', true)],
  ['private-encrypted-', type('encrypted', false)],
  ['private-cache-', type('private', true)],
  ['private-', type('private', false)],
  ['presence-cache-', type('presence', true)],
  ['presence-', type('presence', false)],
  ['cache-', type('public', true)],
  [SERVER_TO_USER_PREFIX, type('user', false)],
];

const PUBLIC = type('public', false);

function type(kind: ChannelKind, cache: boolean): ChannelType {
  return {
    kind,
    cache,
    requiresAuth: kind === 'private' || kind === 'encrypted' || kind === 'presence',
    allowsClientEvents: kind === 'private' || kind === 'presence',
  };
}

export function channelType(name: string): ChannelType {
  for (const [prefix, channelType] of PREFIXES) {
    if (name.startsWith(prefix)) return channelType;
  }
  return PUBLIC;
}

export function isPresence(name: string): boolean {
  return name.startsWith('presence-');
}

/** The user id a `#server-to-user-{id}` channel belongs to, or null for any other channel. */
export function serverToUserId(name: string): string | null {
  return name.startsWith(SERVER_TO_USER_PREFIX) ? name.slice(SERVER_TO_USER_PREFIX.length) : null;
}

/**
 * Checks a channel name against Pusher's rules. Returns a human-readable reason, or null when valid.
 * `#` is only allowed as the `#server-to-user-` prefix.
 */
export function channelNameProblem(name: unknown, maxLength: number): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'channel name must be a non-empty string';
  if (name.length > maxLength) return `channel name is longer than ${maxLength} characters`;
  const bare = name.startsWith(SERVER_TO_USER_PREFIX) ? name.slice(SERVER_TO_USER_PREFIX.length) : name;
  if (bare.length === 0) return 'user channel has no user id';
  if (!CHANNEL_NAME_PATTERN.test(bare)) {
    return 'channel name may only contain A-Z, a-z, 0-9, _, -, =, @, comma, . and ;';
  }
  return null;
}
