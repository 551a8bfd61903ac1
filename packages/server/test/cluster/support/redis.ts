/**
 * Throwaway Redis servers for the cluster suite: one Redis, or a three-master Redis Cluster, on free ports on
 * 127.0.0.1, without persistence. Needs Debian's `redis-server` (and `redis-cli` for the cluster); when it is
 * missing the suite fails with a message saying so: it is never skipped.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function requireRedis(): void {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error(
      'redis-server is not installed: the cluster suite needs it (Debian: apt-get install redis-server). ' +
        'It is never skipped.',
    );
  }
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** The current redis-server process (a new one after `restart`). */
  process(): ChildProcess;
  /** Stops the process (SIGTERM by default; data is not saved) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a fresh, empty Redis on the same port (after `stop`). */
  restart(): Promise<void>;
  /** `redis-cli` against this server. */
  cli(...args: string[]): Promise<string>;
}

export async function startRedis(extraArgs: string[] = [], port?: number): Promise<RedisServer> {
  requireRedis();
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'pressrelay-redis-'));
  let child: ChildProcess = await launch(chosen, dir, extraArgs);
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    process: () => child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await terminate(child, signal);
      if (signal === 'SIGTERM') rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      child = await launch(chosen, mkdtempSync(join(tmpdir(), 'pressrelay-redis-')), extraArgs);
    },
    cli: (...args) => cli(chosen, args),
  };
}

async function cli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

async function launch(port: number, dir: string, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start on ${port}:\n${output}`)),
      10_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return child;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface RedisClusterServers {
  ports: number[];
  /** `redis-cluster://127.0.0.1:p1,127.0.0.1:p2,…` */
  url: string;
  stop(): Promise<void>;
}

/** Three masters, no replicas, every slot assigned; resolves once the cluster reports `cluster_state:ok`. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  requireRedis();
  const ports: number[] = [];
  // The cluster bus listens on port + 10000, so both must be free.
  while (ports.length < masters) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!ports.includes(port) && (await portIsFree(port)) && (await portIsFree(port + 10_000)))
      ports.push(port);
  }
  const servers: RedisServer[] = [];
  try {
    for (const port of ports) {
      servers.push(
        await startRedis(
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '5000',
          ],
          port,
        ),
      );
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    const deadline = Date.now() + 30_000;
    for (const server of servers) {
      while (!(await server.cli('cluster', 'info')).includes('cluster_state:ok')) {
        if (Date.now() > deadline)
          throw new Error('the Redis Cluster did not reach cluster_state:ok in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  return {
    ports,
    url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}
