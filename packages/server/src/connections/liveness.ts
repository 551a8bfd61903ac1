/**
 * One shared timer sweeps every connection once a second (no timer per connection): pings a connection that has
 * been silent for its activity timeout, closes one that leaves the ping unanswered (4201), and closes
 * connections of apps that require authorization when they did not sign in or join an authorized channel in time.
 */
import type { Hub } from '../channels/hub.js';
import { ConnectionErrors } from '../protocol/errors.js';
import { PING } from '../protocol/messages.js';
import { refuse, type Services, sendJson } from './services.js';

export const SWEEP_INTERVAL_MS = 1_000;

export function sweepConnections(services: Services, hub: Hub, now: number): void {
  for (const connection of hub.allConnections()) {
    if (connection.closed) continue;
    const { app } = connection;
    if (
      app.requireUserAuthentication &&
      !connection.authorized &&
      now - connection.connectedAt > app.userAuthenticationTimeoutSeconds * 1000
    ) {
      refuse(services, connection, ConnectionErrors.NOT_AUTHORIZED_IN_TIME);
      continue;
    }
    if (connection.transport.tick) {
      connection.transport.tick(now);
      continue;
    }
    if (connection.pingSentAt !== 0) {
      if (now - connection.pingSentAt > app.pongTimeoutSeconds * 1000) {
        refuse(services, connection, ConnectionErrors.PONG_TIMEOUT);
      }
      continue;
    }
    if (now - connection.lastSeen > app.activityTimeoutSeconds * 1000) {
      connection.pingSentAt = now;
      sendJson(connection, PING);
    }
  }
}

export function startLiveness(services: Services, hub: Hub): () => void {
  const timer = setInterval(() => sweepConnections(services, hub, Date.now()), SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
