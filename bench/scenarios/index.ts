/** Scenario name (as given to --scenarios) → its cases for the chosen mode. */
import { clusterFanoutCases } from './cluster-fanout.js';
import { connectionsCases } from './connections.js';
import { fanoutCases } from './fanout.js';
import { httpPublishCases } from './http-publish.js';
import { manyChannelsCases } from './many-channels.js';
import { recoveryCases } from './recovery.js';
import { longPollCases, sseCases } from './streams.js';
import type { BenchCase } from './types.js';

export const SCENARIOS: Record<string, (quick: boolean) => BenchCase[]> = {
  'fan-out': fanoutCases,
  'many-channels': manyChannelsCases,
  http: httpPublishCases,
  connections: connectionsCases,
  sse: sseCases,
  'long-poll': longPollCases,
  recovery: recoveryCases,
  'cluster-fan-out': clusterFanoutCases,
};
