import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode } from '@msgpack/msgpack';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateApiKey, startScoringApiService } from '../../src/api/index.ts';
import { createMetrics } from '../../src/admin/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { createScorer } from '../../src/processor/index.ts';
import { collect, createTopics, deleteTopics, testKafka } from '../support/kafka.ts';
import { testConfig } from '../support/processor.ts';
import { httpClient, payment, simpleStages, startTestApi, uniqueName } from './helpers.ts';

const json = (credential: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${credential}` });

test('a good JSON event gets the decision contract back, and the decision is on the decisions and alerts topics', async (t) => {
  const vigil = await startTestApi();
  t.after(() => vigil.cleanup());
  const event = payment('good-1', { amount: 5_000_000, card: 'card-1' });
  const reply = await vigil.http.send('POST', '/v1/score', json(vigil.credential), JSON.stringify(event));
  assert.equal(reply.status, 200, reply.body.toString());
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  const decision = reply.json();
  assert.equal(decision.eventId, 'good-1');
  assert.equal(decision.ts, event.ts);
  assert.equal(decision.decision, 'review');
  assert.equal(decision.score, 60);
  assert.deepEqual((decision.reasons as { rule: string }[]).map((r) => r.rule), ['amount.over_limit']);
  assert.equal(decision.rulesVersion, 'builtin-1');
  assert.equal(typeof decision.latencyMs, 'number');
  assert.equal(decision.fallback, undefined);

  const topics = [vigil.config.topicDecisions, vigil.config.topicAlerts];
  const messages = await collect(testKafka(), topics, (ms) => topics.every((topic) => ms.some((m) => m.topic === topic)));
  for (const topic of topics) {
    const record = messages.find((m) => m.topic === topic);
    assert.ok(record, `no record on ${topic}`);
    assert.equal(record.key, 'acc-good-1');
    assert.deepEqual(JSON.parse(record.value.toString()), decision, `the record on ${topic} differs from the answer`);
  }
  const metrics = await vigil.metrics.registry.metrics();
  assert.match(metrics, /^vigil_api_requests_total\{route="score",status="200"\} 1$/m);
  assert.match(metrics, /^vigil_events_total\{outcome="review"\} 1$/m);
  assert.match(metrics, /^vigil_rule_hits_total\{rule="amount.over_limit",shadow="false"\} 1$/m);
});

test('MessagePack in gives MessagePack out; an allowed payment is not an alert', async (t) => {
  const vigil = await startTestApi();
  t.after(() => vigil.cleanup());
  const reply = await vigil.http.send('POST', '/v1/score', { 'content-type': 'application/msgpack', 'x-api-key': vigil.credential }, Buffer.from(encode(payment('mp-1'))));
  assert.equal(reply.status, 200, reply.body.toString());
  assert.equal(reply.headers['content-type'], 'application/msgpack');
  const decision = decode(reply.body) as Record<string, unknown>;
  assert.equal(decision.eventId, 'mp-1');
  assert.equal(decision.decision, 'allow');
  const asJson = await vigil.http.send('POST', '/v1/score', { 'content-type': 'application/msgpack', accept: 'application/json', 'x-api-key': vigil.credential }, Buffer.from(encode(payment('mp-2'))));
  assert.equal(asJson.headers['content-type'], 'application/json');
  assert.equal(asJson.json().eventId, 'mp-2');

  const messages = await collect(testKafka(), [vigil.config.topicDecisions], (ms) => ms.length >= 2);
  assert.deepEqual(messages.map((m) => JSON.parse(m.value.toString()).eventId).sort(), ['mp-1', 'mp-2']);
  const alerts = await collect(testKafka(), [vigil.config.topicAlerts], () => false, 1500);
  assert.equal(alerts.length, 0, 'an allow decision was written to the alerts topic');
});

test('bad input gets a 4xx that names the field at fault, and nothing is decided', async (t) => {
  const vigil = await startTestApi();
  t.after(() => vigil.cleanup());
  const headers = json(vigil.credential);
  const cases: { body: string | Buffer; status: number; code: string; field?: string; headers?: Record<string, string> }[] = [
    { body: JSON.stringify(payment('neg', { amount: -5 })), status: 400, code: 'EVENT_INVALID', field: 'amount' },
    { body: JSON.stringify(payment('str', { amount: '12.50' })), status: 400, code: 'EVENT_INVALID', field: 'amount' },
    { body: JSON.stringify({ ts: Date.now(), type: 'payment', amount: 1, currency: 'EUR', account: 'a' }), status: 400, code: 'EVENT_INVALID', field: 'id' },
    { body: JSON.stringify(payment('cur', { currency: 'euro' })), status: 400, code: 'EVENT_INVALID', field: 'currency' },
    { body: JSON.stringify(payment('type', { type: 'teleport' })), status: 400, code: 'EVENT_INVALID', field: 'type' },
    { body: JSON.stringify(payment('future', { ts: Date.now() + 10 * 86_400_000 })), status: 400, code: 'EVENT_INVALID', field: 'ts' },
    { body: JSON.stringify(payment('dev', { device: 42 })), status: 400, code: 'EVENT_INVALID', field: 'device' },
    { body: '{"id": "x"', status: 400, code: 'EVENT_UNDECODABLE' },
    { body: '', status: 400, code: 'EVENT_UNDECODABLE' },
    { body: '[1,2]', status: 400, code: 'EVENT_INVALID' },
    { body: JSON.stringify(payment('big', { device: 'x'.repeat(70_000) })), status: 413, code: 'EVENT_TOO_LARGE' },
    { body: JSON.stringify(payment('csv')), status: 415, code: 'EVENT_UNDECODABLE', headers: { 'content-type': 'text/csv' } },
  ];
  for (const c of cases) {
    const reply = await vigil.http.send('POST', '/v1/score', { ...headers, ...c.headers }, c.body);
    const label = `${String(c.body).slice(0, 60)} ${JSON.stringify(c.headers ?? {})}`;
    assert.equal(reply.status, c.status, `${label}: ${reply.body.toString()}`);
    const { error } = reply.json<{ error: { code: string; message: string; field?: string } }>();
    assert.equal(error.code, c.code, label);
    assert.equal(error.field, c.field, label);
    assert.ok(error.message.length > 0);
  }
  const wrongMethod = await vigil.http.send('GET', '/v1/score', { authorization: headers.authorization });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.allow, 'POST');
  const unknown = await vigil.http.send('POST', '/v1/nothing', headers, '{}');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'ROUTE_NOT_FOUND');

  const decided = await collect(testKafka(), [vigil.config.topicDecisions], () => false, 1500);
  assert.equal(decided.length, 0, 'a bad request produced a decision');
});

test('callers without a valid key get 401 and no decision', async (t) => {
  const vigil = await startTestApi();
  t.after(() => vigil.cleanup());
  const body = JSON.stringify(payment('auth-1'));
  const [id, secret] = vigil.credential.split('.') as [string, string];
  const attempts: Record<string, string>[] = [
    {},
    { authorization: `Bearer ${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}` },
    { authorization: `Bearer nobody.${secret}` },
    { authorization: `Bearer ${secret}` },
    { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    { 'x-api-key': vigil.disabledCredential },
  ];
  for (const headers of attempts) {
    const reply = await vigil.http.send('POST', '/v1/score', { 'content-type': 'application/json', ...headers }, body);
    assert.equal(reply.status, 401, JSON.stringify(headers));
    assert.equal(reply.json<{ error: { code: string } }>().error.code, 'AUTH_FAILED');
    assert.match(String(reply.headers['www-authenticate']), /^Bearer/);
  }
  const decided = await collect(testKafka(), [vigil.config.topicDecisions], () => false, 1500);
  assert.equal(decided.length, 0);
  const ok = await vigil.http.send('POST', '/v1/score', json(vigil.credential), body);
  assert.equal(ok.status, 200);
});

test('batch: each event gets its decision or its own error, in order; too many events is 413', async (t) => {
  const vigil = await startTestApi({ env: { VIGIL_API_MAX_BATCH_EVENTS: '5' } });
  t.after(() => vigil.cleanup());
  const events = [payment('b-1'), payment('b-2', { amount: 'lots' }), payment('b-3', { amount: 9_000_000 }), { nope: true }, payment('b-1')];
  const reply = await vigil.http.send('POST', '/v1/score/batch', json(vigil.credential), JSON.stringify({ events }));
  assert.equal(reply.status, 200, reply.body.toString());
  const { results } = reply.json<{ results: { status: number; decision?: { eventId: string; decision: string }; error?: { code: string; field?: string } }[] }>();
  assert.deepEqual(
    results.map((r) => [r.status, r.decision?.eventId ?? r.error?.field, r.decision?.decision ?? r.error?.code]),
    [
      [200, 'b-1', 'allow'],
      [400, 'amount', 'EVENT_INVALID'],
      [200, 'b-3', 'review'],
      [400, 'id', 'EVENT_INVALID'],
      [200, 'b-1', 'allow'],
    ],
  );
  assert.deepEqual(results[4], results[0], 'the repeated id got another decision');
  const messages = await collect(testKafka(), [vigil.config.topicDecisions], (ms) => ms.length >= 2);
  assert.deepEqual(messages.map((m) => JSON.parse(m.value.toString()).eventId).sort(), ['b-1', 'b-3']);

  const tooMany = await vigil.http.send('POST', '/v1/score/batch', json(vigil.credential), JSON.stringify({ events: [1, 2, 3, 4, 5, 6] }));
  assert.equal(tooMany.status, 413);
  assert.equal(tooMany.json<{ error: { field: string } }>().error.field, 'events');
  const notWrapped = await vigil.http.send('POST', '/v1/score/batch', json(vigil.credential), JSON.stringify([payment('b-9')]));
  assert.equal(notWrapped.status, 400);
  assert.equal(notWrapped.json<{ error: { field: string } }>().error.field, 'events');
});

test('startScoringApiService reads VIGIL_API_KEYS_FILE and owns its producer; no keys file is a start-up error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateApiKey('service');
  writeFileSync(join(dir, 'keys.yaml'), stringify({ keys: [key.entry] }));
  const config = testConfig({ VIGIL_API_PORT: '0', VIGIL_API_HOST: '127.0.0.1', VIGIL_API_KEYS_FILE: join(dir, 'keys.yaml') });
  const kafka = testKafka();
  await createTopics(kafka, [config.topicDecisions, config.topicAlerts], 1);
  t.after(() => deleteTopics(kafka, [config.topicDecisions, config.topicAlerts]));
  const log = createLogger(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: false });
  const scorer = createScorer(simpleStages(config), metrics);
  await assert.rejects(startScoringApiService({ config: { ...config, apiKeysFile: '' }, log, scorer, metrics }), (e: unknown) => e instanceof ConfigError && e.key === 'VIGIL_API_KEYS_FILE');

  const api = await startScoringApiService({ config, log, scorer, metrics });
  const http = httpClient(api.port);
  try {
    const reply = await http.send('POST', '/v1/score', { 'x-api-key': key.credential }, JSON.stringify(payment('svc-1')));
    assert.equal(reply.status, 200, reply.body.toString());
    assert.equal(reply.json().eventId, 'svc-1');
  } finally {
    http.destroy();
    await api.close();
  }
});

test('records the scorer leaves for each batch (graph links) are produced with the API decisions', async (t) => {
  const links = uniqueName('api-links');
  const kafka = testKafka();
  await createTopics(kafka, [links], 1);
  t.after(() => deleteTopics(kafka, [links]));
  let calls = 0;
  const vigil = await startTestApi({ batchRecords: () => [{ topic: links, key: 'replica-1', value: `links-${++calls}` }] });
  t.after(() => vigil.cleanup());
  const reply = await vigil.http.send('POST', '/v1/score', { 'content-type': 'application/json', authorization: `Bearer ${vigil.credential}` }, JSON.stringify(payment('links-1')));
  assert.equal(reply.status, 200);
  const messages = await collect(kafka, [links], (ms) => ms.length >= 1);
  assert.deepEqual(messages.map((m) => m.value.toString()), ['links-1']);
});
