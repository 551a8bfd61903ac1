/**
 * The command loop every subscriber process shares (WebSocket, SSE, long-poll): `connect` is the
 * transport's own; `reset`, `report` and `close` work on the shared Recorder, and progress goes to the
 * runner every 20 ms while it changes (it feeds the publisher's delivery window).
 */
import { exitWithParent, reply } from '../lib/ipc.js';
import type { ConnectCommand, ProgressReport, SubscriberReport } from './protocol.js';
import type { Recorder } from './recorder.js';

export interface WorkerTransport {
  connect(command: ConnectCommand): void;
  /** Connections that closed after they were established. */
  dropped(): number;
  resetDropped(): void;
  closeAll(): void;
}

export function runWorker(recorder: Recorder, transport: WorkerTransport): void {
  let progressTimer: NodeJS.Timeout | undefined;
  let lastProgress = -1;
  process.on('message', (message: { type: string }) => {
    switch (message.type) {
      case 'connect':
        transport.connect(message as ConnectCommand);
        break;
      case 'reset':
        recorder.reset();
        transport.resetDropped();
        lastProgress = -1;
        progressTimer ??= setInterval(() => {
          if (recorder.received === lastProgress) return;
          lastProgress = recorder.received;
          const progress: ProgressReport = { type: 'progress', received: recorder.received };
          reply(progress);
        }, 20);
        reply({ type: 'reset' });
        break;
      case 'report': {
        const report: SubscriberReport = {
          type: 'report',
          dropped: transport.dropped(),
          ...recorder.snapshot(),
        };
        reply(report);
        break;
      }
      case 'close':
        clearInterval(progressTimer);
        transport.closeAll();
        reply({ type: 'closed' });
        setTimeout(() => process.exit(0), 50);
        break;
    }
  });
  exitWithParent();
}
