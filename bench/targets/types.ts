import type { AppCredentials } from '../lib/signer.js';

/** A running server under test. */
export interface TargetHandle {
  name: string;
  pid: number;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  app: AppCredentials;
  /** V8 heap in use, in bytes, read without stopping the server; null if the target cannot say. */
  heapUsedBytes(): Promise<number | null>;
  /**
   * The longest event-loop delay (ms) since the previous call, where the target measures it (PressRelay: prom-client's
   * `nodejs_eventloop_lag_max_seconds`, reset on every scrape); absent for targets that cannot say.
   */
  eventLoopMaxDelayMs?(): Promise<number | null>;
  stop(): Promise<void>;
}

/** Something the runner can start: a baseline or PressRelay. */
export interface Target {
  name: string;
  /** Why this target cannot run here (e.g. not built yet), or null. */
  unavailable(): string | null;
  start(): Promise<TargetHandle>;
}
