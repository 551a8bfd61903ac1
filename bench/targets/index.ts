/** Every server the bench knows, in table order. Add a target here to compare it in the same run. */
import { baselineTarget } from './baseline.js';
import { pressRelayTarget } from './pressrelay.js';
import type { Target } from './types.js';

/** `profileDir`: PressRelay runs with `--cpu-prof` and writes its profile there when it stops. */
export function allTargets(serverCpus: string | null, profileDir: string | null = null): Target[] {
  return [
    baselineTarget('naive', 'naive.ts', serverCpus),
    baselineTarget('preframed', 'preframed.ts', serverCpus),
    baselineTarget('coalescing', 'coalescing.ts', serverCpus),
    pressRelayTarget(serverCpus, {}, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    baselineTarget('plain-ws', 'plain-ws.ts', serverCpus),
    baselineTarget('plain-ws+req', 'plain-ws.ts', serverCpus, ['--keep-request']),
  ];
}
