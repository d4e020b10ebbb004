import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { collect, testKafka } from '../support/kafka.ts';
import { failFastRedis, payment, redisCountingStage, REDIS_URL, startRedisServer, startTestApi, uniqueName, unreachableKafkaProducer } from './helpers.ts';

const headersOf = (credential: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${credential}` });
/** The port the brief gives this helper for a redis-server a test stops and starts. */
const OWN_REDIS_PORT = 6403;

test('Redis down: 503 with Retry-After and no decision; after it is back, the retry is decided', async (t) => {
  const server = await startRedisServer(OWN_REDIS_PORT);
  t.after(() => server.stop());
  const redis = failFastRedis(server.url);
  t.after(() => redis.disconnect());
  const stage = redisCountingStage(redis, uniqueName('api-down'));
  const vigil = await startTestApi({ features: stage, env: { VIGIL_API_RETRY_AFTER_S: '2', VIGIL_API_DEADLINE_MS: '5000' } });
  t.after(() => vigil.cleanup());
  const headers = headersOf(vigil.credential);

  const before = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment('up-1')));
  assert.equal(before.status, 200, before.body.toString());

  await server.stop();
  const body = JSON.stringify(payment('down-1', { amount: 8_000_000 }));
  const down = await vigil.http.send('POST', '/v1/score', headers, body);
  assert.equal(down.status, 503, down.body.toString());
  assert.equal(down.headers['retry-after'], '2');
  assert.equal(down.json<{ error: { code: string } }>().error.code, 'REDIS_UNAVAILABLE');
  const batch = await vigil.http.send('POST', '/v1/score/batch', headers, JSON.stringify({ events: [payment('down-2')] }));
  assert.equal(batch.status, 503);
  assert.equal(batch.headers['retry-after'], '2');

  const restarted = await startRedisServer(OWN_REDIS_PORT);
  t.after(() => restarted.stop());
  let retry = await vigil.http.send('POST', '/v1/score', headers, body);
  for (let i = 0; retry.status === 503 && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    retry = await vigil.http.send('POST', '/v1/score', headers, body);
  }
  assert.equal(retry.status, 200, retry.body.toString());
  assert.equal(retry.json().decision, 'review');
  assert.deepEqual(retry.json().features, { account_count: 1 });

  const messages = await collect(testKafka(), [vigil.config.topicDecisions], (ms) => ms.length >= 2);
  const ids = (await collect(testKafka(), [vigil.config.topicDecisions], () => false, 1500)).map((m) => JSON.parse(m.value.toString()).eventId);
  assert.ok(messages.length >= 2);
  assert.deepEqual(ids.sort(), ['down-1', 'up-1'], 'an event was decided while Redis was down');
});

test('Kafka down: 503 with Retry-After, the decision is not answered unrecorded', async (t) => {
  const vigil = await startTestApi({ producer: unreachableKafkaProducer(), env: { VIGIL_API_DEADLINE_MS: '10000' } });
  t.after(() => vigil.cleanup());
  const reply = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), JSON.stringify(payment('kdown-1')));
  assert.equal(reply.status, 503, reply.body.toString());
  assert.equal(reply.headers['retry-after'], '1');
  assert.equal(reply.json<{ error: { code: string } }>().error.code, 'KAFKA_UNAVAILABLE');
});

test('past the deadline the caller gets the documented fallback, marked; a retry later gets the real decision', async (t) => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniqueName('api-slow');
  t.after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const stage = redisCountingStage(redis, prefix, { slowMs: 600 });
  const vigil = await startTestApi({ features: stage, env: { VIGIL_API_DEADLINE_MS: '100', VIGIL_API_FALLBACK_DECISION: 'block' } });
  t.after(() => vigil.cleanup());
  const body = JSON.stringify(payment('slow-1', { amount: 3_000_000 }));
  const reply = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), body);
  assert.equal(reply.status, 200, reply.body.toString());
  assert.equal(reply.headers['vigil-fallback'], 'deadline');
  const fallback = reply.json();
  assert.equal(fallback.fallback, true);
  assert.equal(fallback.decision, 'block');
  assert.equal(fallback.eventId, 'slow-1');
  assert.equal(fallback.rulesVersion, 'fallback');
  assert.deepEqual((fallback.reasons as { rule: string }[]).map((r) => r.rule), ['api.deadline_exceeded']);

  // The real decision is still made and recorded once; a retry gets it.
  const messages = await collect(testKafka(), [vigil.config.topicDecisions], (ms) => ms.length >= 1);
  const recorded = JSON.parse(messages[0]!.value.toString());
  assert.equal(recorded.eventId, 'slow-1');
  assert.equal(recorded.decision, 'review');
  assert.equal(recorded.fallback, undefined);
  const retry = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), body);
  assert.equal(retry.status, 200);
  assert.equal(retry.headers['vigil-fallback'], undefined);
  assert.deepEqual(retry.json(), recorded);
  assert.equal(await redis.get(`${prefix}:count:acc-slow-1`), '1');
});

test('Redis down behind a client that waits before failing: once the failure is known, callers get 503s, not fallbacks', async (t) => {
  const server = await startRedisServer(OWN_REDIS_PORT);
  t.after(() => server.stop());
  // Like the velocity stage's client: commands wait in the offline queue, then fail after a reconnect attempt or the timeout.
  const redis = new Redis(server.url, { commandTimeout: 500, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  redis.on('error', () => {});
  t.after(() => redis.disconnect());
  const vigil = await startTestApi({ features: redisCountingStage(redis, uniqueName('api-slowdown')), env: { VIGIL_API_DEADLINE_MS: '100' } });
  t.after(() => vigil.cleanup());
  const headers = headersOf(vigil.credential);
  const up = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment('sd-0')));
  assert.equal(up.status, 200);
  assert.equal(up.headers['vigil-fallback'], undefined);

  await server.stop();
  const seen: number[] = [];
  for (let i = 1; i <= 40 && !seen.includes(503); i++) {
    const reply = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment(`sd-${i}`)));
    seen.push(reply.status);
    if (reply.status === 200) assert.equal(reply.json().fallback, true, 'a real decision while Redis is down');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen.includes(503), `no 503 while Redis was down: ${seen.join(',')}`);
  for (let i = 0; i < 3; i++) {
    const reply = await vigil.http.send('POST', '/v1/score', headers, JSON.stringify(payment(`sd-late-${i}`)));
    assert.equal(reply.status, 503, reply.body.toString());
    assert.equal(reply.headers['retry-after'], '1');
    assert.equal(reply.json<{ error: { code: string } }>().error.code, 'REDIS_UNAVAILABLE');
  }
});
