/**
 * What a `pusher:subscribe` must satisfy before anything is registered: a valid name, the per-connection limit,
 * the channel signature (constant-time), ownership of `#server-to-user-` channels, and presence channel data
 * within the app's limits. Pure apart from reading the connection.
 */
import type { PresenceMember } from '../cluster/adapter.js';
import { channelNameProblem, serverToUserId } from '../protocol/channels.js';
import { type SubscriptionError, subscriptionError } from '../protocol/errors.js';
import { channelAuthString, verifyToken } from '../protocol/signature.js';
import type { Connection } from './connection.js';

export interface SubscribeRequest {
  channel: string;
  auth?: string;
  channelData?: string;
  resumeFrom?: string;
}

/** Returns a refusal, or null when the request may proceed to presence and limits checks. */
export function checkSubscribe(connection: Connection, request: SubscribeRequest): SubscriptionError | null {
  const { app } = connection;
  const { channel } = request;
  const problem = channelNameProblem(channel, app.limits.maxChannelNameLength);
  if (problem) return subscriptionError('InvalidChannel', problem, 400);
  if (
    !connection.isSubscribed(channel) &&
    (connection.subscriptions?.size ?? 0) >= app.limits.maxSubscriptionsPerConnection
  ) {
    return subscriptionError(
      'LimitReached',
      `at most ${app.limits.maxSubscriptionsPerConnection} subscriptions per connection`,
      4100,
    );
  }
  const userId = serverToUserId(channel);
  if (userId !== null) {
    if (connection.user?.id === userId) return null;
    return subscriptionError(
      'AuthError',
      'a user channel can only be joined by the socket signed in as that user',
      403,
    );
  }
  if (!requiresAuth(channel)) return null;
  if (!request.auth) return subscriptionError('AuthError', `subscribing to ${channel} requires "auth"`, 401);
  const presence = channel.startsWith('presence-');
  if (presence && request.channelData === undefined && !connection.user) {
    return subscriptionError('AuthError', 'presence channels need "channel_data" or a signed-in user', 401);
  }
  // Without channel_data, a signed-in socket joins presence as its user and the auth signs socket_id:channel.
  const signed = channelAuthString(connection.socketId, channel, presence ? request.channelData : undefined);
  if (!verifyToken(request.auth, app.key, app.secret, signed)) {
    return subscriptionError(
      'AuthError',
      `Invalid signature: expected HMAC SHA256 hex digest of ${JSON.stringify(signed)} signed with the secret of key ${app.key}`,
      401,
    );
  }
  return null;
}

export function requiresAuth(channel: string): boolean {
  return channel.startsWith('private-') || channel.startsWith('presence-');
}

/** The presence member for this request, null for other channels, or a refusal for bad channel data. */
export function presenceMember(
  connection: Connection,
  request: SubscribeRequest,
): PresenceMember | SubscriptionError | null {
  if (!request.channel.startsWith('presence-')) return null;
  const { limits } = connection.app;
  if (request.channelData === undefined) {
    const user = connection.user!;
    return user.userInfo === undefined ? { userId: user.id } : { userId: user.id, userInfo: user.userInfo };
  }
  let data: unknown;
  try {
    data = JSON.parse(request.channelData);
  } catch {
    return subscriptionError('AuthError', 'channel_data is not valid JSON', 400);
  }
  if (typeof data !== 'object' || data === null)
    return subscriptionError('AuthError', 'channel_data must be a JSON object', 400);
  const { user_id: userId, user_info: userInfo } = data as { user_id?: unknown; user_info?: unknown };
  const validId =
    (typeof userId === 'string' && userId.length > 0) ||
    (typeof userId === 'number' && Number.isFinite(userId));
  if (!validId)
    return subscriptionError('AuthError', 'channel_data.user_id must be a non-empty string or a number', 400);
  if (String(userId).length > limits.maxUserIdLength) {
    return subscriptionError(
      'LimitReached',
      `user_id is longer than ${limits.maxUserIdLength} characters`,
      4301,
    );
  }
  if (
    userInfo !== undefined &&
    Buffer.byteLength(JSON.stringify(userInfo)) > limits.maxPresenceUserInfoBytes
  ) {
    return subscriptionError(
      'LimitReached',
      `user_info is larger than ${limits.maxPresenceUserInfoBytes} bytes`,
      4301,
    );
  }
  return userInfo === undefined
    ? { userId: userId as string | number }
    : { userId: userId as string | number, userInfo };
}
