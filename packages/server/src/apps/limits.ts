/** Per-app settings in the shapes the channel layer uses. */
import type { StreamLimits } from '../channels/history.js';
import type { AppConfig } from './schema.js';

export function historyLimits(app: AppConfig): StreamLimits {
  return { maxEvents: app.history.maxEvents, maxAgeMs: app.history.maxAgeSeconds * 1000 };
}
