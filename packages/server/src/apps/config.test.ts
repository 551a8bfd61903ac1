import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../protocol/limits.js';
import { ConfigError, DEVELOPMENT_APP, loadConfig } from './config.js';
import { originAllowed } from './registry.js';

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressrelay-config-test-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

const ENV_APP = { PRESSRELAY_APP_ID: 'id1', PRESSRELAY_APP_KEY: 'key1', PRESSRELAY_APP_SECRET: 'secret1' };

describe('loadConfig from the environment', () => {
  it('uses the development app when nothing is configured', () => {
    const config = loadConfig({});
    assert.equal(config.usingDevelopmentApp, true);
    assert.deepEqual(
      config.apps.map((app) => [app.id, app.key, app.secret]),
      [[DEVELOPMENT_APP.id, DEVELOPMENT_APP.key, DEVELOPMENT_APP.secret]],
    );
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 6001);
  });

  it('reads host, port and one app with its defaults', () => {
    const config = loadConfig({ ...ENV_APP, PRESSRELAY_HOST: '0.0.0.0', PRESSRELAY_PORT: '7000' });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 7000);
    assert.equal(config.usingDevelopmentApp, false);
    const [app] = config.apps;
    assert.equal(app?.id, 'id1');
    assert.equal(app?.enableClientMessages, false, 'client messages are off by default');
    assert.deepEqual(app?.webhooks, []);
    assert.deepEqual(app?.limits, { ...DEFAULT_LIMITS });
    assert.equal(app?.enabled, true);
    assert.deepEqual(app?.allowedOrigins, ['*']);
  });

  it('reads PRESSRELAY_ENABLE_CLIENT_MESSAGES and comma-separated PRESSRELAY_WEBHOOK_URL', () => {
    const config = loadConfig({
      ...ENV_APP,
      PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'true',
      PRESSRELAY_WEBHOOK_URL: 'http://a.test/hook, http://b.test/hook',
    });
    assert.equal(config.apps[0]?.enableClientMessages, true);
    assert.deepEqual(
      config.apps[0]?.webhooks.map((hook) => hook.url),
      ['http://a.test/hook', 'http://b.test/hook'],
    );
    assert.equal(
      loadConfig({ ...ENV_APP, PRESSRELAY_ENABLE_CLIENT_MESSAGES: '0' }).apps[0]?.enableClientMessages,
      false,
    );
  });

  it('reads PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS and PRESSRELAY_SHUTDOWN_TIMEOUT_MS', () => {
    const config = loadConfig({
      ...ENV_APP,
      PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS: '250',
      PRESSRELAY_SHUTDOWN_TIMEOUT_MS: '1500',
    });
    assert.equal(config.webhookLeaveDelayMs, 250);
    assert.equal(config.shutdownTimeoutMs, 1500);
    assert.equal(loadConfig(ENV_APP).webhookLeaveDelayMs, 3_000);
  });

  it('names the variable in every error', () => {
    assert.match(
      configError(() => loadConfig({ PRESSRELAY_APP_ID: 'x' })),
      /PRESSRELAY_APP_KEY, PRESSRELAY_APP_SECRET/,
    );
    assert.match(
      configError(() => loadConfig({ ...ENV_APP, PRESSRELAY_PORT: 'eighty' })),
      /^PRESSRELAY_PORT:/,
    );
    assert.match(
      configError(() => loadConfig({ ...ENV_APP, PRESSRELAY_PORT: '70000' })),
      /port/,
    );
    assert.match(
      configError(() => loadConfig({ ...ENV_APP, PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'maybe' })),
      /^PRESSRELAY_ENABLE_CLIENT_MESSAGES:/,
    );
    assert.match(
      configError(() => loadConfig({ ...ENV_APP, PRESSRELAY_WEBHOOK_URL: 'not a url' })),
      /webhooks\[0\]\.url/,
    );
    assert.match(
      configError(() => loadConfig({ ...ENV_APP, PRESSRELAY_APP_KEY: 'bad key' })),
      /key/,
    );
    assert.match(
      configError(() => loadConfig({ ...ENV_APP, PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS: '-1' })),
      /^PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS:/,
    );
  });

  it('lets command-line overrides win over the environment', () => {
    const config = loadConfig({ ...ENV_APP, PRESSRELAY_PORT: '7000' }, { port: 7001, appId: 'cli-app' });
    assert.equal(config.port, 7001);
    assert.equal(config.apps[0]?.id, 'cli-app');
  });
});

describe('loadConfig from a file (PRESSRELAY_CONFIG)', () => {
  it('reads several apps with per-app settings, server settings, and fills defaults', () => {
    const file = configFile({
      webhookLeaveDelayMs: 10,
      apps: [
        {
          id: 'a',
          key: 'a-key',
          secret: 'a-secret',
          enableClientMessages: true,
          maxConnections: 5,
          allowedOrigins: ['https://*.example.com'],
          limits: { maxPayloadBytes: 100, clientEventsPerSecond: 3 },
          webhooks: [
            { url: 'http://127.0.0.1:1/hook', eventTypes: ['member_added'], channelPrefix: 'presence-' },
          ],
        },
        { id: 'b', key: 'b-key', secret: 'b-secret', enabled: false },
      ],
    });
    const config = loadConfig({ PRESSRELAY_CONFIG: file });
    assert.equal(config.webhookLeaveDelayMs, 10);
    const [a, b] = config.apps;
    assert.equal(a?.enableClientMessages, true);
    assert.equal(a?.maxConnections, 5);
    assert.equal(a?.limits.maxPayloadBytes, 100);
    assert.equal(a?.limits.clientEventsPerSecond, 3);
    assert.equal(a?.limits.maxBatchSize, DEFAULT_LIMITS.maxBatchSize);
    assert.deepEqual(a?.webhooks[0]?.eventTypes, ['member_added']);
    assert.equal(b?.enabled, false);
    assert.equal(b?.enableClientMessages, false);
  });

  it('adds the PRESSRELAY_APP_* app to the file apps', () => {
    const file = configFile({ apps: [{ id: 'a', key: 'a-key', secret: 's' }] });
    const config = loadConfig({ ...ENV_APP, PRESSRELAY_CONFIG: file });
    assert.deepEqual(
      config.apps.map((app) => app.id),
      ['a', 'id1'],
    );
  });

  it('stops with a message that names the file and the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ apps: [{ id: 'a', key: 'a-key' }] }, /apps\[0\]\.secret/],
      [{ apps: [{ id: 'a', key: 'a-key', secret: 's', maxConnections: -1 }] }, /apps\[0\]\.maxConnections/],
      [
        { apps: [{ id: 'a', key: 'a-key', secret: 's', limits: { maxPayloadBytes: 'big' } }] },
        /apps\[0\]\.limits\.maxPayloadBytes/,
      ],
      [
        { apps: [{ id: 'a', key: 'a-key', secret: 's', limits: { maxChannelNameLength: 500 } }] },
        /apps\[0\]\.limits\.maxChannelNameLength/,
      ],
      [{ apps: [{ id: 'a', key: 'a-key', secret: 's', typo: true }] }, /apps\[0\].*typo/],
      [
        { apps: [{ id: 'a', key: 'a-key', secret: 's', webhooks: [{ url: 'x' }] }] },
        /apps\[0\]\.webhooks\[0\]\.url/,
      ],
      [
        {
          apps: [
            {
              id: 'a',
              key: 'a-key',
              secret: 's',
              webhooks: [{ url: 'http://x.test', eventTypes: ['nope'] }],
            },
          ],
        },
        /apps\[0\]\.webhooks\[0\]\.eventTypes\[0\]/,
      ],
      [{ port: 'x', apps: [] }, /port/],
      [{ apps: {} }, /apps/],
    ];
    for (const [content, field] of cases) {
      const file = configFile(content);
      const message = configError(() => loadConfig({ PRESSRELAY_CONFIG: file }));
      assert.ok(message.includes(file), `${message} should name ${file}`);
      assert.match(message, field);
    }
  });

  it('refuses duplicate ids and keys, unreadable files and invalid JSON', () => {
    const dupId = configFile({
      apps: [
        { id: 'a', key: 'k1', secret: 's' },
        { id: 'a', key: 'k2', secret: 's' },
      ],
    });
    assert.match(
      configError(() => loadConfig({ PRESSRELAY_CONFIG: dupId })),
      /id "a" is used by two apps/,
    );
    const dupKey = configFile({
      apps: [
        { id: 'a', key: 'k', secret: 's' },
        { id: 'b', key: 'k', secret: 's' },
      ],
    });
    assert.match(
      configError(() => loadConfig({ PRESSRELAY_CONFIG: dupKey })),
      /key "k" is used by two apps/,
    );
    assert.match(
      configError(() => loadConfig({ PRESSRELAY_CONFIG: '/nonexistent/pressrelay.json' })),
      /^PRESSRELAY_CONFIG: cannot read/,
    );
    assert.match(
      configError(() => loadConfig({ PRESSRELAY_CONFIG: configFile('{"apps": [') })),
      /is not valid JSON/,
    );
  });
});

describe('originAllowed', () => {
  it('allows everything with *, and connections without an Origin header', () => {
    assert.equal(originAllowed('https://evil.test', ['*']), true);
    assert.equal(originAllowed(undefined, ['https://a.test']), true);
  });

  it('matches exact origins and * wildcards, nothing else', () => {
    const allowed = ['https://a.test', 'https://*.example.com'];
    assert.equal(originAllowed('https://a.test', allowed), true);
    assert.equal(originAllowed('https://shop.example.com', allowed), true);
    assert.equal(originAllowed('http://a.test', allowed), false);
    assert.equal(originAllowed('https://a.test.evil.test', allowed), false);
    assert.equal(originAllowed('https://example.com.evil.test', allowed), false);
    assert.equal(originAllowed('https://shopXexample.com', allowed), false, 'dots are literal');
  });
});
