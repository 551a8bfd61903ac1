/**
 * One clock for every bench process. `process.hrtime` is CLOCK_MONOTONIC on Linux, which is the same
 * for all processes on the machine, so a timestamp taken in the publisher can be subtracted from one
 * taken in a subscriber. `performance.now()` is cheaper per call (no BigInt), so we read hrtime once
 * and keep the offset.
 */
const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Milliseconds on the machine-wide monotonic clock, with sub-microsecond resolution. */
export function monoMs(): number {
  return performance.now() + offsetMs;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
