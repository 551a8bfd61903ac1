/**
 * User authentication (`pusher:signin`), the watchlist, and termination by user id.
 */

import { ConnectionErrors } from '../protocol/errors.js';
import { CHANNEL_NAME_PATTERN } from '../protocol/limits.js';
import { signinSuccess, watchlistEvents } from '../protocol/messages.js';
import { userAuthString, verifyToken } from '../protocol/signature.js';
import type { Connection, SignedInUser } from './connection.js';
import { refuse, type Services, sendError, sendJson } from './services.js';

export async function signin(
  services: Services,
  connection: Connection,
  auth: string,
  userData: string,
): Promise<void> {
  const { app } = connection;
  if (!verifyToken(auth, app.key, app.secret, userAuthString(connection.socketId, userData))) {
    return refuse(services, connection, ConnectionErrors.INVALID_SIGNIN, 'invalid signature');
  }
  const parsed = parseUserData(userData, app.limits.maxUserIdLength);
  if (typeof parsed === 'string')
    return refuse(services, connection, ConnectionErrors.INVALID_SIGNIN, parsed);
  if (connection.user && connection.user.id !== parsed.id) {
    return refuse(
      services,
      connection,
      ConnectionErrors.INVALID_SIGNIN,
      'this connection is signed in as another user',
    );
  }
  let watchlist = parsed.watchlist;
  if (watchlist.length > app.limits.maxWatchlistSize) {
    sendError(services, connection, ConnectionErrors.WATCHLIST_LIMIT);
    watchlist = watchlist.slice(0, app.limits.maxWatchlistSize);
  }
  const previous = connection.user;
  if (previous) services.hub.unwatch(connection, previous.watchlist);
  connection.user = { ...parsed, watchlist };
  connection.authorized = true;
  if (!previous) {
    services.hub.addUser(connection, parsed.id);
    await services.adapter.userOnline(app.id, parsed.id, connection.socketId);
  }
  sendJson(connection, signinSuccess(userData));
  if (watchlist.length === 0) return;
  services.hub.watch(connection, watchlist);
  const online = await services.adapter.onlineUsers(app.id, watchlist);
  const events: Array<{ name: 'online' | 'offline'; user_ids: string[] }> = [];
  const onlineIds = watchlist.filter((id) => online.has(id));
  const offlineIds = watchlist.filter((id) => !online.has(id));
  if (onlineIds.length > 0) events.push({ name: 'online', user_ids: onlineIds });
  if (offlineIds.length > 0) events.push({ name: 'offline', user_ids: offlineIds });
  sendJson(connection, watchlistEvents(events));
}

/** Undoes a sign-in when its connection closes. */
export async function signout(services: Services, connection: Connection): Promise<void> {
  const user = connection.user;
  if (!user) return;
  connection.user = null;
  services.hub.removeUser(connection, user.id);
  services.hub.unwatch(connection, user.watchlist);
  await services.adapter.userOffline(connection.app.id, user.id, connection.socketId);
}

/** Tells this node's watchers of `userId` that it came online or went offline. */
export function notifyWatchers(services: Services, appId: string, userId: string, online: boolean): void {
  const watchers = services.hub.watchersOf(appId, userId);
  if (watchers.size === 0) return;
  const json = watchlistEvents([{ name: online ? 'online' : 'offline', user_ids: [userId] }]);
  for (const connection of watchers) sendJson(connection, json);
}

export function terminateLocal(services: Services, appId: string, userId: string): void {
  for (const connection of services.hub.userConnections(appId, userId)) {
    refuse(services, connection, ConnectionErrors.TERMINATED);
  }
}

function parseUserData(userData: string, maxIdLength: number): SignedInUser | string {
  let data: unknown;
  try {
    data = JSON.parse(userData);
  } catch {
    return 'user_data is not valid JSON';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return 'user_data must be a JSON object';
  const {
    id,
    user_info: userInfo,
    watchlist,
  } = data as { id?: unknown; user_info?: unknown; watchlist?: unknown };
  if (typeof id !== 'string' || id.length === 0) return 'user_data.id must be a non-empty string';
  if (id.length > maxIdLength) return `user_data.id is longer than ${maxIdLength} characters`;
  if (!CHANNEL_NAME_PATTERN.test(id))
    return 'user_data.id may only contain A-Z, a-z, 0-9, _, -, =, @, comma, . and ;';
  let ids: string[] = [];
  if (watchlist !== undefined) {
    if (!Array.isArray(watchlist) || !watchlist.every((entry) => typeof entry === 'string')) {
      return 'user_data.watchlist must be an array of user id strings';
    }
    ids = [...new Set(watchlist as string[])];
  }
  return userInfo === undefined ? { id, watchlist: ids } : { id, userInfo, watchlist: ids };
}
