import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRedisClient, createRedisFeatureStage, parseFeatureSpecs } from '../../src/features/index.ts';
import { collect, testKafka } from '../support/kafka.ts';
import { deleteKeys } from '../features/velocity-check.ts';
import { payment, REDIS_URL, startTestApi } from './helpers.ts';

const SPECS = parseFeatureSpecs(
  `version: 1
buckets: 6
features:
  - entity: card
    aggregates: [count, sum_amount]
    windows: [1h]
`,
  'api-velocity-test',
);

test('with the velocity stage and no API cache, a retried event gets its first features and decision back, counted once', async (t) => {
  const client = createRedisClient(REDIS_URL);
  const prefix = `test:api:velocity:${randomUUID()}:`;
  t.after(async () => {
    await deleteKeys(client, prefix); // SCAN, not KEYS: a shared Redis may hold millions of keys
    client.disconnect();
  });
  const features = createRedisFeatureStage({ redis: client, specs: SPECS, keyPrefix: prefix });
  const vigil = await startTestApi({ features, env: { VIGIL_API_IDEMPOTENCY_CACHE: '0' } });
  t.after(() => vigil.cleanup());
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${vigil.credential}` };
  const ts = Date.now() - 1000;
  const first = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment('vel-1', { card: 'card-v', amount: 700, ts })));
  assert.equal(first.status, 200, first.body.toString());
  assert.equal(first.json<{ features: Record<string, number> }>().features['card.count.1h'], 1);
  const retry = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment('vel-1', { card: 'card-v', amount: 700, ts })));
  assert.equal(retry.status, 200);
  assert.equal(retry.headers['vigil-replayed'], undefined, 'the API cache is off: the stage itself must make the retry idempotent');
  const a = first.json<Record<string, unknown>>();
  const b = retry.json<Record<string, unknown>>();
  assert.deepEqual({ ...b, latencyMs: 0 }, { ...a, latencyMs: 0 });
  const next = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment('vel-2', { card: 'card-v', amount: 300, ts: ts + 1 })));
  assert.deepEqual(next.json<{ features: Record<string, number> }>().features, { 'card.count.1h': 2, 'card.sum_amount.1h': 1000 });
  const decided = await collect(testKafka(), [vigil.config.topicDecisions], (ms) => ms.length >= 3);
  assert.equal(decided.length, 3, 'without the cache each answer is also recorded (consumers dedup by eventId)');
});
