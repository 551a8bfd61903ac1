/**
 * The Lua scripts (`src/cluster/lua/*.lua`, real files so they can be read and tested on their own), run by
 * EVALSHA. A script a Redis has not seen (a restart, a new cluster master) answers NOSCRIPT, and is then sent once
 * in full with EVAL, which also caches it there.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { AdapterUnavailableError } from '../adapter.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | number;

/** Source layout (`src/cluster/redis/`) or compiled layout (`dist/cluster/redis/`, scripts stay in `src/`). */
function luaDirectory(): URL {
  for (const relative of ['../lua/', '../../../src/cluster/lua/']) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(fileURLToPath(new URL('publish.lua', url)))) return url;
  }
  throw new Error('the Redis adapter cannot find its Lua scripts (src/cluster/lua) next to the server');
}

export class Script {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw storeError(error);
      try {
        return await client.call('EVAL', this.source, keys.length, ...keys, ...args);
      } catch (retryError) {
        throw storeError(retryError);
      }
    }
  }
}

const NAMES = ['publish', 'history', 'share', 'drop', 'heartbeat', 'claim', 'rate'] as const;
export type Scripts = Record<(typeof NAMES)[number], Script>;

export function loadScripts(): Scripts {
  const directory = luaDirectory();
  const scripts = {} as Scripts;
  for (const name of NAMES) {
    scripts[name] = new Script(readFileSync(new URL(`${name}.lua`, directory), 'utf8'));
  }
  return scripts;
}

/** Preloads every script on every master, so the first publishes do not each carry a script body. */
export async function preload(client: RedisClient, scripts: Scripts): Promise<void> {
  const targets = 'nodes' in client && client.isCluster ? client.nodes('master') : [client];
  await Promise.all(
    targets.flatMap((target) =>
      Object.values(scripts).map((script) => target.call('SCRIPT', 'LOAD', script.source)),
    ),
  );
}

/**
 * Redis's own answers to a command that was understood (a bug in a script, a wrong type) stay errors; losing the
 * store (connection closed, timeout, offline, cluster down or failing over) becomes `AdapterUnavailableError`.
 */
export function storeError(error: unknown): Error {
  if (error instanceof AdapterUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const isReply = error instanceof Error && error.name === 'ReplyError';
  if (isReply && !/^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|MOVED|ASK)\b/.test(message)) {
    return error as Error;
  }
  return new AdapterUnavailableError(`the cluster store is unavailable (${message})`, { cause: error });
}
