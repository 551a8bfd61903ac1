/**
 * Builds the server configuration from environment variables, an optional JSON file (`PRESSRELAY_CONFIG`) and
 * CLI flags (which win over the environment, which wins over the file). Validated once at start: a bad value stops
 * the start with a message that names the field.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  type AppConfig,
  type AppInput,
  appSchema,
  configFileSchema,
  type ServerConfig,
  serverSchema,
} from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The app `npm start` runs when nothing is configured. Its secret is public: never use it in production. */
export const DEVELOPMENT_APP = { id: 'dev-app', key: 'dev-key', secret: 'dev-secret' } as const;

export type Env = Record<string, string | undefined>;

/** Settings given on the command line; undefined means "not given". */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  config?: string;
  appId?: string;
  appKey?: string;
  appSecret?: string;
  enableClientMessages?: boolean;
  webhookUrls?: string[];
  redisUrl?: string;
  logLevel?: string;
}

function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('');
      return `${where}${path.replace(/^\./, '') || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}

function parseBoolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(value)}`);
}

function parsePort(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new ConfigError(`${name}: expected a port number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function parseUrls(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

function readConfigFile(path: string): z.output<typeof configFileSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`PRESSRELAY_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`PRESSRELAY_CONFIG: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, `${path}: `));
  return parsed.data;
}

export function loadConfig(env: Env, overrides: ConfigOverrides = {}): ServerConfig {
  const configPath = overrides.config ?? env.PRESSRELAY_CONFIG;
  const file = configPath ? readConfigFile(configPath) : { apps: [] };
  const { apps: fileApps, ...fileServer } = file;

  const serverInput = {
    ...fileServer,
    ...defined({
      host: overrides.host ?? env.PRESSRELAY_HOST,
      port: overrides.port ?? parsePort('PRESSRELAY_PORT', env.PRESSRELAY_PORT),
      redisUrl: overrides.redisUrl ?? env.PRESSRELAY_REDIS_URL,
      logLevel: overrides.logLevel ?? env.PRESSRELAY_LOG_LEVEL,
      pathPrefix: env.PRESSRELAY_PATH_PREFIX,
      historyMemoryBytes: parsePositive(
        'PRESSRELAY_HISTORY_MEMORY_MB',
        env.PRESSRELAY_HISTORY_MEMORY_MB,
        1024 * 1024,
      ),
      webhookLeaveDelayMs: parsePositive(
        'PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS',
        env.PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS,
        1,
      ),
      shutdownTimeoutMs: parsePositive(
        'PRESSRELAY_SHUTDOWN_TIMEOUT_MS',
        env.PRESSRELAY_SHUTDOWN_TIMEOUT_MS,
        1,
      ),
    }),
  };
  const server = serverSchema.safeParse(serverInput);
  if (!server.success) throw new ConfigError(describeIssues(server.error, ''));

  const apps: AppConfig[] = [...fileApps];
  const envApp = envAppInput(env, overrides);
  let usingDevelopmentApp = false;
  if (envApp) {
    apps.push(parseApp(envApp, 'PRESSRELAY_APP_*: '));
  } else if (apps.length === 0) {
    usingDevelopmentApp = true;
    apps.push(parseApp(withEnvAppOptions({ ...DEVELOPMENT_APP }, env, overrides), 'development app: '));
  }
  checkUnique(apps);
  return { ...server.data, apps, usingDevelopmentApp };
}

function parsePositive(name: string, value: string | undefined, unit: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) {
    throw new ConfigError(`${name}: expected a non-negative number, got ${JSON.stringify(value)}`);
  }
  return Math.round(number * unit);
}

function envAppInput(env: Env, overrides: ConfigOverrides): AppInput | null {
  const id = overrides.appId ?? env.PRESSRELAY_APP_ID;
  const key = overrides.appKey ?? env.PRESSRELAY_APP_KEY;
  const secret = overrides.appSecret ?? env.PRESSRELAY_APP_SECRET;
  if (id === undefined && key === undefined && secret === undefined) return null;
  const missing = [
    ['PRESSRELAY_APP_ID', id],
    ['PRESSRELAY_APP_KEY', key],
    ['PRESSRELAY_APP_SECRET', secret],
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new ConfigError(`${missing.join(', ')}: required when any of PRESSRELAY_APP_ID/KEY/SECRET is set`);
  }
  return withEnvAppOptions({ id: id!, key: key!, secret: secret! }, env, overrides);
}

function withEnvAppOptions(app: AppInput, env: Env, overrides: ConfigOverrides): AppInput {
  const enableClientMessages =
    overrides.enableClientMessages ??
    parseBoolean('PRESSRELAY_ENABLE_CLIENT_MESSAGES', env.PRESSRELAY_ENABLE_CLIENT_MESSAGES);
  const webhookUrls = overrides.webhookUrls ?? parseUrls(env.PRESSRELAY_WEBHOOK_URL);
  return {
    ...app,
    ...defined({ enableClientMessages }),
    ...(webhookUrls ? { webhooks: webhookUrls.map((url) => ({ url })) } : {}),
  };
}

function parseApp(input: AppInput, where: string): AppConfig {
  const parsed = appSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, where));
  return parsed.data;
}

function checkUnique(apps: AppConfig[]): void {
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const app of apps) {
    if (ids.has(app.id)) throw new ConfigError(`apps: the id ${JSON.stringify(app.id)} is used by two apps`);
    if (keys.has(app.key))
      throw new ConfigError(`apps: the key ${JSON.stringify(app.key)} is used by two apps`);
    ids.add(app.id);
    keys.add(app.key);
  }
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
