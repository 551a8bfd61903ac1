/**
 * A Redis adapter node in its own process, to be SIGKILLed by a test: it joins what argv says, prints `ready`,
 * and waits. Usage: crash-node.ts <redis url> <channel> <presence channel> <user id>
 */
import { FAST_TIMING, startAdapterNode } from './adapter-node.js';

const [url, channel, presenceChannel, userId] = process.argv.slice(2) as [string, string, string, string];
const { adapter } = await startAdapterNode(url, FAST_TIMING);
const app = 'contract-app';
await adapter.listen(app, channel);
await adapter.addSubscription(app, channel, '77.1');
await adapter.addSubscription(app, presenceChannel, '77.1');
await adapter.presenceJoin(app, presenceChannel, '77.1', { userId, userInfo: { crashed: true } });
await adapter.userOnline(app, userId, '77.1');
await adapter.reserveConnection(app, '77.1', 0);
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
