/**
 * A throwaway WordPress for the end-to-end suite: e2e/wordpress/env/cli.php creates the database (a private
 * MariaDB unless PRESSRELAY_TEST_DB_HOST is set), copies Debian's WordPress and installs it headlessly; this module
 * serves it with `php -S` (several workers, like a PHP-FPM pool), runs PHP inside it, and tears everything down.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ENV_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../env');

export interface WordPressOptions {
  /** Plugin folder to install as wp-content/plugins/pressrelay (copied). */
  pluginDir: string;
  /** Extra wp-config.php constants. */
  constants?: Record<string, string | number | boolean>;
  /** Files copied into wp-content/mu-plugins. */
  muPlugins?: string[];
  /** Port to serve on (default: a free one). */
  port?: number;
  /** php -S workers (default 4). */
  workers?: number;
}

interface EnvState {
  root: string;
  wp_dir: string;
  url: string;
  port: number;
}

export interface WordPressSite {
  url: string;
  port: number;
  wpDir: string;
  /** `/?rest_route=` URL of a REST route (no pretty permalinks). */
  rest(route: string): string;
  /** Runs PHP code inside WordPress (a new CLI process); resolves with its output. */
  php(code: string): Promise<string>;
  /** Output of the php -S process so far. */
  serverLog(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let attempt = 0; attempt < 200 && Date.now() < deadline; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${last}`);
}

export async function startWordPress(options: WordPressOptions): Promise<WordPressSite> {
  const port = options.port ?? (await freePort());
  const up = await run(
    'php',
    [
      join(ENV_DIR, 'cli.php'),
      'up',
      JSON.stringify({
        plugin_dir: options.pluginDir,
        plugin_mode: 'copy',
        constants: options.constants ?? {},
        mu_plugins: options.muPlugins ?? [],
        port,
      }),
    ],
    { timeout: 120_000, maxBuffer: 10 * 1024 * 1024 },
  ).catch((error: Error & { stderr?: string }) => {
    throw new Error(`could not set up WordPress: ${error.message}\n${error.stderr ?? ''}`);
  });
  const lines = up.stdout.trim().split('\n');
  const state = JSON.parse(lines[lines.length - 1] ?? '{}') as EnvState;
  const stateFile = join(state.root, 'state.json');

  let log = '';
  let server: ChildProcess | undefined;
  const teardown = async () => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((done) => server?.once('exit', done));
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
    }
    await run('php', [join(ENV_DIR, 'cli.php'), 'down', stateFile], { timeout: 60_000 });
  };
  try {
    server = spawn('php', ['-S', `127.0.0.1:${port}`], {
      cwd: state.wp_dir,
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: String(options.workers ?? 4) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const collect = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-200_000);
    };
    server.stdout?.on('data', collect);
    server.stderr?.on('data', collect);
    await waitForHttp(`${state.url}/wp-login.php`, 20_000);
  } catch (error) {
    await teardown();
    throw error;
  }

  return {
    url: state.url,
    port: state.port,
    wpDir: state.wp_dir,
    rest: (route: string) => `${state.url}/?rest_route=${route}`,
    async php(code: string) {
      const result = await run('php', [join(ENV_DIR, 'wp-eval.php'), state.wp_dir, code], {
        timeout: 60_000,
        maxBuffer: 10 * 1024 * 1024,
      }).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`PHP failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      });
      return result.stdout;
    },
    serverLog: () => log,
    stop: teardown,
  };
}
