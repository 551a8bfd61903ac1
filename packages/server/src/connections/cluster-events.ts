/**
 * What this node does when the cluster adapter reports something that happened elsewhere or was lost
 * (`AdapterHandlers`): announce a departure it was chosen to announce, or make local clients reconnect and
 * resume because the node can no longer vouch for their streams.
 */
import type { AppConfig } from '../apps/schema.js';
import type { PresenceMember } from '../cluster/adapter.js';
import { ConnectionErrors } from '../protocol/errors.js';
import { memberRemoved } from '../protocol/messages.js';
import type { Connection } from './connection.js';
import { refuse, type Services } from './services.js';

/** A crashed node's presence member: `member_removed` to every node's subscribers, and the webhook. */
export function announceMemberLeft(
  services: Services,
  app: AppConfig,
  channel: string,
  member: PresenceMember,
): void {
  services.adapter
    .broadcast(app.id, channel, memberRemoved(channel, member.userId))
    .catch((error: unknown) => {
      services.logger.warn({ err: error, channel }, 'could not announce member_removed');
    });
  services.webhooks.emit(app, { name: 'member_removed', channel, user_id: member.userId });
}

export function announceVacated(services: Services, app: AppConfig, channel: string): void {
  services.webhooks.emit(app, { name: 'channel_vacated', channel });
}

/** Closes (4200, reconnect now) every local subscriber of a channel, those still subscribing included. */
export function resetChannel(services: Services, appId: string, channel: string): void {
  const local = services.hub.localChannel(appId, channel);
  if (!local) return;
  reset(services, [
    ...local.subscribers,
    ...(local.recovering?.keys() ?? []),
    ...(local.catchingUp?.keys() ?? []),
  ]);
}

export function resetConnections(services: Services): void {
  reset(services, [...services.hub.allConnections()]);
}

function reset(services: Services, connections: Connection[]): void {
  if (connections.length > 0)
    services.logger.warn({ connections: connections.length }, 'resetting connections');
  for (const connection of connections) refuse(services, connection, ConnectionErrors.CLUSTER_RESET);
}
