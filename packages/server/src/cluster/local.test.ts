import { appSchema } from '../apps/schema.js';
import { adapterContract, CONTRACT_APP_ID, CONTRACT_LIMITS, RecordingHandlers } from './adapter-contract.js';
import { LocalAdapter } from './local.js';

const app = appSchema.parse({
  id: CONTRACT_APP_ID,
  key: 'contract-key',
  secret: 'contract-secret',
  history: { maxEvents: CONTRACT_LIMITS.maxEvents, maxAgeSeconds: CONTRACT_LIMITS.maxAgeMs / 1000 },
});

adapterContract('local', async () => {
  const adapter = new LocalAdapter(64 * 1024 * 1024, (id) => (id === app.id ? app : undefined));
  const handlers = new RecordingHandlers();
  await adapter.start(handlers);
  return { adapter, handlers };
});
