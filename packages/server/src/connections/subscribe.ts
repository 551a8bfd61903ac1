/**
 * Subscribing and unsubscribing: channel auth, presence membership, recovery from history, cache replay,
 * occupancy. Steps that touch the adapter are awaited in order; live messages published meanwhile are buffered
 * by the hub and merged after the history by serial, so the subscriber sees no gap and no duplicate.
 */

import { historyLimits } from '../apps/limits.js';
import type { AppConfig } from '../apps/schema.js';
import { AdapterUnavailableError, type PresenceMember } from '../cluster/adapter.js';
import { channelNameProblem, serverToUserId } from '../protocol/channels.js';
import { type SubscriptionError, subscriptionError } from '../protocol/errors.js';
import {
  cacheMiss,
  memberAdded,
  memberRemoved,
  type PresenceSnapshot,
  type SubscriptionRecovery,
  subscriptionCount,
  subscriptionErrorMessage,
  subscriptionSucceeded,
} from '../protocol/messages.js';
import { parsePosition } from '../protocol/positions.js';
import { channelAuthString, verifyToken } from '../protocol/signature.js';
import type { Connection, Subscription } from './connection.js';
import { Outbound } from './outbound.js';
import { type Services, sendJson } from './services.js';

export interface SubscribeRequest {
  channel: string;
  auth?: string;
  channelData?: string;
  resumeFrom?: string;
}

export async function subscribe(services: Services, connection: Connection, request: SubscribeRequest) {
  const renewing = connection.isSubscribed(request.channel);
  try {
    await join(services, connection, request);
  } catch (error) {
    if (!(error instanceof AdapterUnavailableError)) throw error;
    // The cluster store is away: undo whatever part of the subscription was made, and say so; retryable.
    if (!renewing) await unsubscribe(services, connection, request.channel);
    const refusal = subscriptionError('ServerError', `${error.message}; retry shortly`, 503);
    sendJson(connection, subscriptionErrorMessage(request.channel, refusal));
  }
}

async function join(services: Services, connection: Connection, request: SubscribeRequest) {
  const { app } = connection;
  const { channel } = request;
  const refusal = checkSubscribe(connection, request);
  if (refusal) {
    sendJson(connection, subscriptionErrorMessage(channel, refusal));
    services.metrics.refusals.inc({ error: refusal.type });
    return;
  }
  const member = presenceMember(connection, request);
  if (member && !('userId' in member)) {
    sendJson(connection, subscriptionErrorMessage(channel, member));
    return;
  }
  if (connection.isSubscribed(channel)) {
    await resendSucceeded(services, connection, channel);
    return;
  }
  if (member && !(await presenceHasRoom(services, app, channel, member))) {
    const error = subscriptionError(
      'LimitReached',
      `presence channel is full (${app.limits.maxPresenceMembers} members)`,
      4100,
    );
    sendJson(connection, subscriptionErrorMessage(channel, error));
    return;
  }
  if (requiresAuth(channel)) connection.authorized = true;

  const subscription: Subscription = {};
  connection.subscriptions ??= new Map();
  connection.subscriptions.set(channel, subscription);
  const { channel: local, first } = services.hub.beginSubscribe(connection, channel);
  if (first) await services.adapter.listen(app.id, channel);
  const count = await services.adapter.addSubscription(app.id, channel, connection.socketId);
  subscription.counted = true;
  if (count === 1) services.webhooks.emit(app, { name: 'channel_occupied', channel });

  let presence: PresenceSnapshot | undefined;
  let firstForUser = false;
  if (member) {
    const join = await services.adapter.presenceJoin(app.id, channel, connection.socketId, member);
    subscription.presenceUserId = member.userId;
    firstForUser = join.firstForUser;
    presence = snapshot(join.members);
  }

  const since = request.resumeFrom === undefined ? undefined : parsePosition(request.resumeFrom);
  const read = await services.adapter.history(
    app.id,
    channel,
    historyLimits(app),
    since ?? null,
    since ? undefined : 0,
  );
  const recovery: SubscriptionRecovery = { position: read.position };
  if (request.resumeFrom !== undefined) {
    recovery.recovered = read.ok && since !== null;
    if (!since) recovery.reason = 'invalid_position';
    else if (!read.ok) recovery.reason = read.reason;
  }
  const missed = read.ok && since ? read.entries : [];
  if (recovery.recovered) recovery.missed = missed.length;

  // The position the client stands at once it has this message: where it resumes from if it drops right after.
  const clientPosition = recovery.recovered && since ? since : read.position;
  const succeeded = new Outbound(
    subscriptionSucceeded(channel, recovery, presence),
    clientPosition,
    channel,
    undefined,
    'pusher_internal:subscription_succeeded',
  );
  await services.replay.run(() => {
    connection.send(succeeded);
    const { epoch } = read.position;
    for (const entry of missed) {
      entry.message ??= new Outbound(entry.json, { epoch, serial: entry.serial }, channel);
      connection.send(entry.message);
    }
    let lastSerial = read.position.serial;
    for (const message of services.hub.completeSubscribe(connection, local)) {
      const position = message.position;
      if (position && position.epoch === epoch && position.serial <= lastSerial) continue;
      if (position) lastSerial = position.serial;
      connection.send(message);
    }
  });

  if (member && firstForUser) {
    await services.adapter.broadcast(
      app.id,
      channel,
      memberAdded(channel, member.userId, member.userInfo),
      connection.socketId,
    );
    services.webhooks.emit(app, { name: 'member_added', channel, user_id: member.userId });
  }
  if (local.type.cache && request.resumeFrom === undefined) await replayCache(services, connection, channel);
  if (app.subscriptionCountEvents && !member) await announceCount(services, app, channel, count);
}

export async function unsubscribe(
  services: Services,
  connection: Connection,
  channel: string,
): Promise<void> {
  const subscription = connection.subscriptions?.get(channel);
  if (!subscription) return;
  connection.subscriptions?.delete(channel);
  const { app } = connection;
  if (services.hub.unsubscribe(connection, channel)) await services.adapter.unlisten(app.id, channel);
  if (subscription.presenceUserId !== undefined) {
    const userId = subscription.presenceUserId;
    if (await services.adapter.presenceLeave(app.id, channel, connection.socketId, userId)) {
      await services.adapter.broadcast(app.id, channel, memberRemoved(channel, userId));
      services.webhooks.emit(app, { name: 'member_removed', channel, user_id: userId });
    }
  }
  if (!subscription.counted) return;
  const count = await services.adapter.removeSubscription(app.id, channel, connection.socketId);
  if (count === 0) services.webhooks.emit(app, { name: 'channel_vacated', channel });
  else if (app.subscriptionCountEvents && subscription.presenceUserId === undefined) {
    await announceCount(services, app, channel, count);
  }
}

/** Returns a refusal, or null when the request may proceed to presence and limits checks. */
function checkSubscribe(connection: Connection, request: SubscribeRequest): SubscriptionError | null {
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

function requiresAuth(channel: string): boolean {
  return channel.startsWith('private-') || channel.startsWith('presence-');
}

/** The presence member for this request, null for other channels, or a refusal for bad channel data. */
function presenceMember(
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

async function presenceHasRoom(services: Services, app: AppConfig, channel: string, member: PresenceMember) {
  const members = await services.adapter.presenceMembers(app.id, channel);
  if (members.length < app.limits.maxPresenceMembers) return true;
  return members.some((existing) => String(existing.userId) === String(member.userId));
}

function snapshot(members: PresenceMember[]): PresenceSnapshot {
  const hash: Record<string, unknown> = {};
  const ids: Array<string | number> = [];
  for (const member of members) {
    const key = String(member.userId);
    if (key in hash) continue;
    hash[key] = member.userInfo ?? null;
    ids.push(member.userId);
  }
  return { ids, hash, count: ids.length };
}

async function resendSucceeded(services: Services, connection: Connection, channel: string): Promise<void> {
  const { app } = connection;
  const read = await services.adapter.history(app.id, channel, historyLimits(app), null, 0);
  const presence = channel.startsWith('presence-')
    ? snapshot(await services.adapter.presenceMembers(app.id, channel))
    : undefined;
  sendJson(connection, subscriptionSucceeded(channel, { position: read.position }, presence));
}

async function replayCache(services: Services, connection: Connection, channel: string): Promise<void> {
  const cached = await services.adapter.cached(connection.app.id, channel);
  if (cached) {
    sendJson(connection, cached.json);
    return;
  }
  sendJson(connection, cacheMiss(channel));
  services.webhooks.emit(connection.app, { name: 'cache_miss', channel });
}

const lastCountAnnouncement = new Map<string, number>();
const COUNT_THROTTLE_THRESHOLD = 100;
const COUNT_THROTTLE_MS = 5_000;

/** `pusher_internal:subscription_count` to the channel and the webhook; at most every 5 s above 100 subscribers. */
async function announceCount(
  services: Services,
  app: AppConfig,
  channel: string,
  count: number,
): Promise<void> {
  const key = `${app.id}\u0000${channel}`;
  const now = Date.now();
  if (count > COUNT_THROTTLE_THRESHOLD && now - (lastCountAnnouncement.get(key) ?? 0) < COUNT_THROTTLE_MS)
    return;
  if (count === 0) lastCountAnnouncement.delete(key);
  else lastCountAnnouncement.set(key, now);
  await services.adapter.broadcast(app.id, channel, subscriptionCount(channel, count));
  services.webhooks.emit(app, { name: 'subscription_count', channel, subscription_count: count });
}
