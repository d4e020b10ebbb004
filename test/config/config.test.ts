import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { paymentsConsumerOptions } from '../../src/processor/index.ts';

test('defaults match the local stack and the documented topic names', () => {
  const c = loadConfig({});
  assert.deepEqual(c.kafkaBrokers, ['127.0.0.1:9092']);
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6390');
  assert.equal(c.groupId, 'vigil');
  assert.deepEqual([c.topicPayments, c.topicDecisions, c.topicAlerts, c.topicDlq, c.topicLinks, c.topicLabels], ['payments', 'payments.decisions', 'fraud.alerts', 'payments.dlq', 'graph.links', 'fraud.labels']);
  assert.equal(c.consolePort, 8080);
  assert.equal(c.adminPort, 9464);
});

function failsOn(env: Record<string, string>, key: string) {
  assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && e.key === key && e.message.startsWith(`${key}:`));
}

test('a bad value stops start-up with a message naming the key', () => {
  failsOn({ VIGIL_ADMIN_PORT: 'abc' }, 'VIGIL_ADMIN_PORT');
  failsOn({ VIGIL_CONSOLE_PORT: '70000' }, 'VIGIL_CONSOLE_PORT');
  failsOn({ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS');
  failsOn({ REDIS_URL: 'http://x' }, 'REDIS_URL');
  failsOn({ VIGIL_TOPIC_ALERTS: 'bad topic' }, 'VIGIL_TOPIC_ALERTS');
  failsOn({ VIGIL_ALLOWED_CURRENCIES: 'EUR,EURO' }, 'VIGIL_ALLOWED_CURRENCIES');
  failsOn({ VIGIL_DECISION_FORMAT: 'xml' }, 'VIGIL_DECISION_FORMAT');
  failsOn({ VIGIL_CONSOLE: 'maybe' }, 'VIGIL_CONSOLE');
  failsOn({ VIGIL_REVIEW_THRESHOLD: '90', VIGIL_BLOCK_THRESHOLD: '80' }, 'VIGIL_BLOCK_THRESHOLD');
});

test('a config file is read and the environment overrides it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  const file = join(dir, 'vigil.yaml');
  writeFileSync(file, 'VIGIL_GROUP_ID: from-file\nVIGIL_ADMIN_PORT: 9000\nVIGIL_ALLOWED_CURRENCIES: [EUR, CHF]\n');
  const c = loadConfig({ VIGIL_CONFIG: file, VIGIL_ADMIN_PORT: '9100' });
  assert.equal(c.groupId, 'from-file');
  assert.equal(c.adminPort, 9100);
  assert.deepEqual(c.allowedCurrencies, ['EUR', 'CHF']);
  writeFileSync(file, 'VIGIL_TYPO: 1\n');
  failsOn({ VIGIL_CONFIG: file }, 'VIGIL_TYPO');
  failsOn({ VIGIL_CONFIG: join(dir, 'missing.yaml') }, 'VIGIL_CONFIG');
});

test("the payments consumer's fetch waits are configurable and reach its consumer options", () => {
  const defaults = paymentsConsumerOptions(loadConfig({}));
  assert.equal(defaults.fetchMinBytes, 1);
  assert.equal(defaults.fetchWaitMs, 500);
  const waiting = paymentsConsumerOptions(loadConfig({ VIGIL_FETCH_MIN_BYTES: '65536', VIGIL_FETCH_MAX_WAIT_MS: '3' }));
  assert.equal(waiting.fetchMinBytes, 65536);
  assert.equal(waiting.fetchWaitMs, 3);
  failsOn({ VIGIL_FETCH_MIN_BYTES: '0' }, 'VIGIL_FETCH_MIN_BYTES');
  failsOn({ VIGIL_FETCH_MAX_WAIT_MS: 'soon' }, 'VIGIL_FETCH_MAX_WAIT_MS');
});
