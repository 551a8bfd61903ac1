/** Bounded waiting and end-of-file cleanup for tests: every wait has a deadline, everything started is stopped. */

export const DEFAULT_TIMEOUT_MS = 5_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or rejects with a message naming what was awaited once `ms` have passed. */
export function within<T>(promise: Promise<T>, label: string, ms = DEFAULT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  label: string,
  ms = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await sleep(15);
  }
}

const cleanups: Array<() => unknown> = [];

/** Registers something to stop when the test file ends (`after(cleanup)`). */
export function onCleanup(stop: () => unknown): void {
  cleanups.push(stop);
}

/** Stops every client, receiver and server started through this module, newest first. */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const stop = cleanups.pop()!;
    try {
      await stop();
    } catch {
      // Already stopped.
    }
  }
}
