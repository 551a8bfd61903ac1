/** Every server the bench knows, in table order. Add a target here to compare it in the same run. */
import { baselineTarget } from './baseline.js';
import { pressRelayTarget } from './pressrelay.js';
import type { Target } from './types.js';

export function allTargets(serverCpus: string | null): Target[] {
  return [
    baselineTarget('naive', 'naive.ts', serverCpus),
    baselineTarget('preframed', 'preframed.ts', serverCpus),
    baselineTarget('coalescing', 'coalescing.ts', serverCpus),
    pressRelayTarget(serverCpus),
    baselineTarget('plain-ws', 'plain-ws.ts', serverCpus),
    baselineTarget('plain-ws+req', 'plain-ws.ts', serverCpus, ['--keep-request']),
  ];
}
