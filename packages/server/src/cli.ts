#!/usr/bin/env node
/**
 * `pressrelay start` runs a node; `pressrelay trigger` publishes through the signed HTTP API.
 * Every flag has an environment variable (docs/configuration.md); flags win.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { ConfigError, type ConfigOverrides, DEVELOPMENT_APP, loadConfig } from './apps/config.js';
import type { ServerConfig } from './apps/schema.js';
import { signApiRequest } from './protocol/signature.js';
import { PressRelayServer } from './server.js';

const program = new Command()
  .name('pressrelay')
  .description('PressRelay: a self-hosted, Pusher-compatible real-time server for WordPress')
  .showHelpAfterError();

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new InvalidArgumentError('expected a port number');
  return Number(value);
}

program
  .command('start')
  .description('run a PressRelay node (embedded, in memory, unless a Redis URL is given)')
  .addOption(new Option('--host <host>', 'address to listen on [env PRESSRELAY_HOST, default 127.0.0.1]'))
  .addOption(
    new Option(
      '--port <port>',
      'port to listen on, 0 for any free port [env PRESSRELAY_PORT, default 6001]',
    ).argParser(port),
  )
  .addOption(new Option('--config <file>', 'JSON file with apps and server settings [env PRESSRELAY_CONFIG]'))
  .addOption(
    new Option('--app-id <id>', 'id of the app configured from the command line [env PRESSRELAY_APP_ID]'),
  )
  .addOption(new Option('--app-key <key>', 'its public key [env PRESSRELAY_APP_KEY]'))
  .addOption(new Option('--app-secret <secret>', 'its secret [env PRESSRELAY_APP_SECRET]'))
  .addOption(
    new Option(
      '--enable-client-messages',
      'allow client events on private and presence channels [env PRESSRELAY_ENABLE_CLIENT_MESSAGES, default false]',
    ),
  )
  .addOption(
    new Option(
      '--webhook-url <urls>',
      'comma-separated webhook URLs for that app [env PRESSRELAY_WEBHOOK_URL]',
    ),
  )
  .addOption(
    new Option(
      '--redis-url <url>',
      'scale out on Redis, e.g. redis://127.0.0.1:6379 [env PRESSRELAY_REDIS_URL]',
    ),
  )
  .addOption(
    new Option(
      '--log-level <level>',
      'fatal, error, warn, info, debug, trace or silent [env PRESSRELAY_LOG_LEVEL, default info]',
    ),
  )
  .action(async (options: Record<string, unknown>) => {
    const overrides: ConfigOverrides = {
      host: options.host as string | undefined,
      port: options.port as number | undefined,
      config: options.config as string | undefined,
      appId: options.appId as string | undefined,
      appKey: options.appKey as string | undefined,
      appSecret: options.appSecret as string | undefined,
      enableClientMessages: options.enableClientMessages === true ? true : undefined,
      webhookUrls: typeof options.webhookUrl === 'string' ? options.webhookUrl.split(',') : undefined,
      redisUrl: options.redisUrl as string | undefined,
      logLevel: options.logLevel as string | undefined,
    };
    await start(overrides);
  });

program
  .command('trigger')
  .description('publish an event through the signed HTTP API')
  .argument('<channel>', 'channel name, or several separated by commas')
  .argument('<event>', 'event name')
  .argument('[json]', 'event data as JSON text (sent as the data string)', '{}')
  .addOption(new Option('--url <url>', 'server base URL [env PRESSRELAY_URL, default http://127.0.0.1:6001]'))
  .addOption(new Option('--app-id <id>', `app id [env PRESSRELAY_APP_ID, default ${DEVELOPMENT_APP.id}]`))
  .addOption(
    new Option('--app-key <key>', `app key [env PRESSRELAY_APP_KEY, default ${DEVELOPMENT_APP.key}]`),
  )
  .addOption(
    new Option(
      '--app-secret <secret>',
      'app secret [env PRESSRELAY_APP_SECRET, default the development secret]',
    ),
  )
  .addOption(new Option('--socket-id <id>', 'exclude this connection from delivery'))
  .addOption(
    new Option('--info <attributes>', 'ask for user_count and/or subscription_count after publishing'),
  )
  .action(
    async (channel: string, event: string, json: string, options: Record<string, string | undefined>) => {
      process.exitCode = await trigger(channel, event, json, options);
    },
  );

async function start(overrides: ConfigOverrides): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(process.env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pressrelay: configuration error\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'pressrelay' } });
  const server = new PressRelayServer(config, logger);
  let address: Awaited<ReturnType<PressRelayServer['start']>>;
  try {
    address = await server.start();
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    process.exit(1);
  }
  // Handlers first: whoever reads the "listening" line may signal at once, and a signal that arrives before
  // the handlers exist kills the process without a graceful shutdown.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2_000);
    force.unref();
    server.shutdown().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const url = `http://${address.host}:${address.port}`;
  logger.info({ host: address.host, port: address.port, url, apps: config.apps.length }, 'listening');
  printBanner(config, address.host, address.port);
}

function printBanner(config: ServerConfig, host: string, portNumber: number): void {
  const app = config.apps[0]!;
  const secret = config.usingDevelopmentApp ? app.secret : '(as configured)';
  const lines = [
    '',
    `PressRelay is listening on http://${host}:${portNumber}`,
    `  WebSocket   ws://${host}:${portNumber}/app/${app.key}?protocol=7`,
    `  HTTP API    http://${host}:${portNumber}/apps/${app.id}/events`,
    `  App         id ${app.id}  key ${app.key}  secret ${secret}`,
    ...(config.apps.length > 1 ? [`  (+${config.apps.length - 1} more apps from the configuration)`] : []),
    '',
    '  Connect a page with pusher-js:',
    `    const pusher = new Pusher('${app.key}', { wsHost: '${host}', wsPort: ${portNumber}, forceTLS: false,`,
    `      enabledTransports: ['ws'], cluster: 'mt1' });`,
    `    pusher.subscribe('my-channel').bind('my-event', (data) => console.log(data));`,
    '  Publish:',
    `    npx pressrelay trigger my-channel my-event '{"hello":"world"}'`,
    '',
  ];
  if (config.usingDevelopmentApp) {
    lines.push(
      '  WARNING: this is the development app and its secret is public. Do not use it in production:',
      '  set PRESSRELAY_APP_ID, PRESSRELAY_APP_KEY and PRESSRELAY_APP_SECRET, or PRESSRELAY_CONFIG.',
      '',
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

async function trigger(
  channel: string,
  event: string,
  json: string,
  options: Record<string, string | undefined>,
) {
  try {
    JSON.parse(json);
  } catch {
    process.stderr.write(`pressrelay trigger: the data argument is not valid JSON: ${json}\n`);
    return 2;
  }
  const base = (options.url ?? process.env.PRESSRELAY_URL ?? 'http://127.0.0.1:6001').replace(/\/+$/, '');
  const app = {
    id: options.appId ?? process.env.PRESSRELAY_APP_ID ?? DEVELOPMENT_APP.id,
    key: options.appKey ?? process.env.PRESSRELAY_APP_KEY ?? DEVELOPMENT_APP.key,
    secret: options.appSecret ?? process.env.PRESSRELAY_APP_SECRET ?? DEVELOPMENT_APP.secret,
  };
  const channels = channel.split(',').filter((name) => name !== '');
  const body = JSON.stringify({
    name: event,
    data: json,
    channels,
    ...(options.socketId ? { socket_id: options.socketId } : {}),
    ...(options.info ? { info: options.info } : {}),
  });
  const path = `/apps/${encodeURIComponent(app.id)}/events`;
  const signed = signApiRequest(app, 'POST', path, body);
  let response: Response;
  try {
    response = await fetch(`${base}${path}?${signed.query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
  } catch (error) {
    process.stderr.write(`pressrelay trigger: cannot reach ${base}: ${(error as Error).message}\n`);
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    process.stderr.write(`pressrelay trigger: HTTP ${response.status}: ${text}\n`);
    return 1;
  }
  process.stdout.write(`${text}\n`);
  return 0;
}

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`pressrelay: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
