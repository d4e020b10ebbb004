import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { collect, testKafka } from '../support/kafka.ts';
import { payment, redisCountingStage, REDIS_URL, startTestApi, uniqueName } from './helpers.ts';

const headersOf = (credential: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${credential}` });

async function withCounter(t: { after(fn: () => Promise<void> | void): void }) {
  const redis = new Redis(REDIS_URL);
  const prefix = uniqueName('api-idem');
  t.after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return { redis, prefix, stage: redisCountingStage(redis, prefix) };
}

test('a retried request gets the same decision back, and its features are not counted twice', async (t) => {
  const { redis, prefix, stage } = await withCounter(t);
  const vigil = await startTestApi({ features: stage });
  t.after(() => vigil.cleanup());
  const body = JSON.stringify(payment('retry-1', { account: 'acc-r', amount: 7_000_000 }));
  const first = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), body);
  assert.equal(first.status, 200, first.body.toString());
  assert.deepEqual(first.json().features, { account_count: 1 });
  assert.equal(first.headers['vigil-replayed'], undefined);

  const again = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), body);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json(), first.json(), 'the retry got a different answer');
  assert.equal(again.headers['vigil-replayed'], 'true');
  assert.equal(await redis.get(`${prefix}:count:acc-r`), '1', 'the retry was counted again in Redis');

  // A different event of the same account is counted: the counter is live, the retry was the exception.
  const other = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), JSON.stringify(payment('retry-2', { account: 'acc-r' })));
  assert.deepEqual(other.json().features, { account_count: 2 });

  const messages = await collect(testKafka(), [vigil.config.topicDecisions], (ms) => ms.length >= 2);
  const ids = (await collect(testKafka(), [vigil.config.topicDecisions], () => false, 1500)).map((m) => JSON.parse(m.value.toString()).eventId);
  assert.ok(messages.length >= 2);
  assert.deepEqual(ids.sort(), ['retry-1', 'retry-2'], 'the retry wrote a second decision');
});

test('concurrent retries of one event id share one scoring; the same id with other content is a 409', async (t) => {
  const { redis, prefix, stage } = await withCounter(t);
  const vigil = await startTestApi({ features: stage });
  t.after(() => vigil.cleanup());
  const body = JSON.stringify(payment('race-1', { account: 'acc-race' }));
  const replies = await Promise.all(Array.from({ length: 8 }, () => vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), body)));
  for (const r of replies) assert.equal(r.status, 200, r.body.toString());
  const answers = replies.map((r) => r.json());
  for (const a of answers) assert.deepEqual(a, answers[0]);
  assert.equal(await redis.get(`${prefix}:count:acc-race`), '1');

  const conflict = await vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), JSON.stringify({ ...JSON.parse(body), amount: 99 }));
  assert.equal(conflict.status, 409);
  const { error } = conflict.json<{ error: { code: string; field: string } }>();
  assert.equal(error.code, 'IDEMPOTENCY_CONFLICT');
  assert.equal(error.field, 'amount');
});

test('concurrent requests are scored in shared micro-batches (fewer scorer calls than requests)', async (t) => {
  const { stage } = await withCounter(t);
  const vigil = await startTestApi({ features: stage, env: { VIGIL_API_MICROBATCH_CONCURRENCY: '1' } });
  t.after(() => vigil.cleanup());
  const n = 40;
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), JSON.stringify(payment(`mb-${i}`)))));
  assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
  assert.deepEqual(replies.map((r) => r.json().eventId), Array.from({ length: n }, (_, i) => `mb-${i}`));
  assert.ok(stage.calls < n, `${stage.calls} scorer calls for ${n} concurrent requests`);
});

test('with a linger (VIGIL_API_MICROBATCH_LINGER_MS), requests arriving a few ms apart share one scorer call', async (t) => {
  const { stage } = await withCounter(t);
  const vigil = await startTestApi({ features: stage, env: { VIGIL_API_MICROBATCH_LINGER_MS: '100' } });
  t.after(() => vigil.cleanup());
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < 5; i++) {
    pending.push(vigil.http.send('POST', '/v1/score', headersOf(vigil.credential), JSON.stringify(payment(`linger-${i}`))));
    await new Promise((r) => setTimeout(r, 5));
  }
  const replies = (await Promise.all(pending)) as { status: number }[];
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200, 200]);
  assert.equal(stage.calls, 1, 'five requests within the linger were not scored together');
});
