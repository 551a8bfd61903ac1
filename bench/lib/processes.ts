/**
 * Every process the bench starts is registered here and killed when the runner exits, whether it
 * finishes, fails or is interrupted. Workers also exit by themselves when their IPC channel closes.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let installed = false;

export function track(child: ChildProcess): ChildProcess {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Pids of the bench's live child processes. */
export function trackedPids(): number[] {
  return [...live].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
}

export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Forks a TypeScript module (run through tsx) with an IPC channel. */
export function forkTs(
  moduleUrl: URL,
  args: string[] = [],
  stdout: 'inherit' | 'pipe' = 'inherit',
): ChildProcess {
  const child = fork(fileURLToPath(moduleUrl), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  return track(child);
}

/** Pins every thread of `pid` to the given CPU list (e.g. "0"); false if taskset is missing or fails. */
export function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Waits for a child to exit, killing it after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}
