/** Publishing through the real `pusher` Node SDK, as an app server would. */
import Pusher from 'pusher';
import type { ServerHandle } from '../harness.js';

export function sdkFor(server: ServerHandle): Pusher {
  return new Pusher({
    appId: server.app.id,
    key: server.app.key,
    secret: server.app.secret,
    host: '127.0.0.1',
    port: String(server.port),
    useTLS: false,
  });
}

export async function publish(sdk: Pusher, channel: string, event: string, data: unknown): Promise<void> {
  const response = await sdk.trigger(channel, event, data);
  if (response.status !== 200) throw new Error(`publish failed: HTTP ${response.status}`);
}
