/**
 * Starts the PressRelay server the way a user does (`node packages/server/dist/cli.js start`, configured by
 * environment) on a free port, for tests, e2e suites and benchmarks. Build first (`npm run build`).
 *
 * Contract with the server: with `PRESSRELAY_PORT=0` it binds a free port and, once it accepts connections,
 * writes a JSON log line to stdout with `"msg":"listening"` and the bound `"port"`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

export interface TestApp {
  id: string;
  key: string;
  secret: string;
}

export const DEFAULT_TEST_APP: TestApp = { id: 'test-app', key: 'test-key', secret: 'test-secret' };

export interface StartOptions {
  /** Extra environment variables (PRESSRELAY_*). */
  env?: Record<string, string>;
  /**
   * A config object written to a temporary JSON file and passed as PRESSRELAY_CONFIG. When it has apps, the
   * PRESSRELAY_APP_* variables are not set and the handle's `app` is the first of them.
   */
  config?: unknown;
  /** Fixed port (for restart-on-the-same-port tests); default 0 = a free port. */
  port?: number;
  /** Node.js flags for the server process, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`. */
  nodeArgs?: string[];
  /** Milliseconds to wait for the "listening" line. */
  startTimeoutMs?: number;
}

export interface ServerHandle {
  host: string;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  app: TestApp;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (or the given signal) and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  // With a config file the apps come from it (first app = `app`); otherwise one app from the environment.
  const configApps = appsOf(options.config);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PRESSRELAY_HOST: '127.0.0.1',
    PRESSRELAY_PORT: String(options.port ?? 0),
    ...(configApps.length === 0
      ? {
          PRESSRELAY_APP_ID: DEFAULT_TEST_APP.id,
          PRESSRELAY_APP_KEY: DEFAULT_TEST_APP.key,
          PRESSRELAY_APP_SECRET: DEFAULT_TEST_APP.secret,
        }
      : {}),
    PRESSRELAY_LOG_LEVEL: process.env.PRESSRELAY_LOG_LEVEL ?? 'info',
    ...options.env,
  };
  if (options.config !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'pressrelay-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(options.config, null, 2));
    env.PRESSRELAY_CONFIG = file;
  }
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_PATH, 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  const exit = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      exited = true;
      done(code);
    }),
  );
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => {
      // Do not leave the process behind: nobody holds a handle to stop it.
      child.kill('SIGKILL');
      fail(new Error(`server did not start within ${options.startTimeoutMs ?? 15000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 15000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening"[^\n]*?"port":(\d+)|"port":(\d+)[^\n]*?"msg":"listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(Number(match[1] ?? match[2]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  // Keep collecting output after start.
  const app: TestApp = configApps[0] ?? {
    id: env.PRESSRELAY_APP_ID ?? DEFAULT_TEST_APP.id,
    key: env.PRESSRELAY_APP_KEY ?? DEFAULT_TEST_APP.key,
    secret: env.PRESSRELAY_APP_SECRET ?? DEFAULT_TEST_APP.secret,
  };
  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    app,
    process: child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!exited) child.kill(signal);
      return exit;
    },
  };
}

function appsOf(config: unknown): TestApp[] {
  if (typeof config !== 'object' || config === null) return [];
  const apps = (config as { apps?: unknown }).apps;
  return Array.isArray(apps) ? (apps as TestApp[]) : [];
}
