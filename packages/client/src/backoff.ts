/**
 * Capped exponential backoff with full jitter: the n-th delay is uniform in [floor, floor + min(max, base·2ⁿ)),
 * capped at `max`. Full jitter spreads the reconnects of many clients after a server restart.
 */
export interface BackoffOptions {
  /** First ceiling and the floor of "back off" delays, in ms (default 1000). */
  baseMs?: number;
  /** Largest delay, in ms (default 30000). */
  maxMs?: number;
}

export class Backoff {
  /** Delays handed out since the last reset. */
  attempt = 0;
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = Math.max(options.maxMs ?? 30_000, this.baseMs);
  }

  /** The next delay, at least `floorMs`. */
  next(floorMs = 0): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.min(this.maxMs, Math.floor(floorMs + this.random() * ceiling));
  }

  reset(): void {
    this.attempt = 0;
  }
}
