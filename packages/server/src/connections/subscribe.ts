/**
 * Subscribing and unsubscribing: channel auth, presence membership, recovery from history, cache replay,
 * occupancy. Steps that touch the adapter are awaited in order; live messages published meanwhile are buffered
 * by the hub and merged after the history by serial, so the subscriber sees no gap and no duplicate.
 */

import { historyLimits } from '../apps/limits.js';
import type { AppConfig } from '../apps/schema.js';
import type { LocalChannel } from '../channels/hub.js';
import { AdapterUnavailableError } from '../cluster/adapter.js';
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
import type { Connection, Subscription } from './connection.js';
import { Outbound } from './outbound.js';
import { presenceHasRoom, snapshot } from './presence.js';
import { type Services, sendJson } from './services.js';
import { checkSubscribe, presenceMember, requiresAuth, type SubscribeRequest } from './subscribe-checks.js';

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
  if (refusal) return refuse(services, connection, channel, refusal);
  const member = presenceMember(connection, request);
  if (member && !('userId' in member)) return refuse(services, connection, channel, member);
  if (connection.isSubscribed(channel)) return resendSucceeded(services, connection, channel);
  if (member && !(await presenceHasRoom(services, app, channel, member))) {
    const full = `presence channel is full (${app.limits.maxPresenceMembers} members)`;
    return refuse(services, connection, channel, subscriptionError('LimitReached', full, 4100));
  }
  if (requiresAuth(channel)) connection.authorized = true;

  const { local, count } = await register(services, connection, channel);
  let presence: PresenceSnapshot | undefined;
  let firstForUser = false;
  if (member) {
    const joined = await services.adapter.presenceJoin(app.id, channel, connection.socketId, member);
    connection.subscriptions!.get(channel)!.presenceUserId = member.userId;
    firstForUser = joined.firstForUser;
    presence = snapshot(joined.members);
  }
  await start(services, connection, local, request.resumeFrom, presence);

  if (member && firstForUser) {
    const added = memberAdded(channel, member.userId, member.userInfo);
    await services.adapter.broadcast(app.id, channel, added, connection.socketId);
    services.webhooks.emit(app, { name: 'member_added', channel, user_id: member.userId });
  }
  if (local.type.cache && request.resumeFrom === undefined) await replayCache(services, connection, channel);
  if (app.subscriptionCountEvents && !member) await announceCount(services, app, channel, count);
}

function refuse(
  services: Services,
  connection: Connection,
  channel: string,
  refusal: SubscriptionError,
): void {
  sendJson(connection, subscriptionErrorMessage(channel, refusal));
  services.metrics.refusals.inc({ error: refusal.type });
}

/**
 * Registers the subscription in the recovering state (live messages for it are buffered from now on), makes
 * this node listen to the channel, and counts it cluster-wide (`channel_occupied` on the first).
 */
async function register(services: Services, connection: Connection, channel: string) {
  const { app } = connection;
  const subscription: Subscription = {};
  connection.subscriptions ??= new Map();
  connection.subscriptions.set(channel, subscription);
  const { channel: local, first } = services.hub.beginSubscribe(connection, channel);
  if (first) await services.adapter.listen(app.id, channel);
  const count = await services.adapter.addSubscription(app.id, channel, connection.socketId);
  subscription.counted = true;
  if (count === 1) services.webhooks.emit(app, { name: 'channel_occupied', channel });
  return { local, count };
}

/**
 * Reads history after `resumeFrom`, then sends `subscription_succeeded` (with the recovery outcome), the missed
 * events, and the live events buffered meanwhile that are newer than what was sent; the subscriber is live from
 * then on. Runs as one budgeted burst job so a crowd of recovering clients cannot stall live delivery.
 */
async function start(
  services: Services,
  connection: Connection,
  local: LocalChannel,
  resumeFrom: string | undefined,
  presence: PresenceSnapshot | undefined,
): Promise<void> {
  const { app } = connection;
  const channel = local.name;
  const since = resumeFrom === undefined ? undefined : parsePosition(resumeFrom);
  const limit = since ? undefined : 0;
  const read = await services.adapter.history(app.id, channel, historyLimits(app), since ?? null, limit);
  const recovery: SubscriptionRecovery = { position: read.position };
  if (resumeFrom !== undefined) {
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
  await services.bursts.run(() => {
    connection.send(succeeded);
    const { epoch } = read.position;
    for (const entry of missed) {
      entry.message ??= new Outbound(entry.json, { epoch, serial: entry.serial }, channel);
      connection.send(entry.message);
    }
    for (const message of services.hub.completeSubscribe(connection, local, read.position)) {
      connection.send(message);
    }
    // Write now, inside the budgeted job, so the cost of a large replay counts against this turn's budget.
    if (missed.length > 0) connection.flush();
  });
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
