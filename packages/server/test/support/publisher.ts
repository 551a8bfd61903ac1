/** Publishing through the real `pusher` Node SDK, as an app server would. */
import { randomBytes } from 'node:crypto';
import Pusher from 'pusher';
import type { ServerHandle, TestApp } from '../harness.js';

/** A fixed 32-byte master key for encrypted channels (base64, as the SDKs take it). */
export const MASTER_KEY_BASE64 = randomBytes(32).toString('base64');

export function sdkFor(server: ServerHandle, app: TestApp = server.app): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(server.port),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY_BASE64,
  });
}

export async function publish(sdk: Pusher, channel: string, event: string, data: unknown): Promise<void> {
  const response = await sdk.trigger(channel, event, data);
  if (response.status !== 200) throw new Error(`publish failed: HTTP ${response.status}`);
}
