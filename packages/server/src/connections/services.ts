/** What the protocol handlers need from the rest of the node; given by the composition root. */
import type { Logger } from 'pino';
import type { Hub } from '../channels/hub.js';
import type { Adapter } from '../cluster/adapter.js';
import type { Metrics } from '../metrics/metrics.js';
import { type ConnectionErrorSpec, ConnectionErrors } from '../protocol/errors.js';
import { errorMessage } from '../protocol/messages.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import type { Connection } from './connection.js';
import { Outbound } from './outbound.js';
import type { ReplayScheduler } from './replay.js';

export interface Services {
  hub: Hub;
  adapter: Adapter;
  webhooks: WebhookDispatcher;
  metrics: Metrics;
  logger: Logger;
  replay: ReplayScheduler;
}

export function sendJson(connection: Connection, json: string): void {
  connection.send(new Outbound(json));
}

/** Sends `pusher:error` without closing. */
export function sendError(
  services: Services,
  connection: Connection,
  error: ConnectionErrorSpec,
  detail?: string,
) {
  services.metrics.refusals.inc({ error: errorName(error) });
  sendJson(connection, errorMessage(error, detail));
}

/** Sends `pusher:error`, then closes with the error's code (after everything queued before it). */
export function refuse(
  services: Services,
  connection: Connection,
  error: ConnectionErrorSpec,
  detail?: string,
) {
  sendError(services, connection, error, detail);
  closeConnection(connection, error.code ?? 4200, error.message);
}

export function closeConnection(connection: Connection, code: number, reason: string): void {
  if (connection.closed) return;
  connection.flush();
  connection.transport.close(code, reason);
}

const names = new Map<ConnectionErrorSpec, string>(
  Object.entries(ConnectionErrors).map(([name, spec]) => [spec as ConnectionErrorSpec, name]),
);

function errorName(error: ConnectionErrorSpec): string {
  return names.get(error) ?? 'UNKNOWN';
}
