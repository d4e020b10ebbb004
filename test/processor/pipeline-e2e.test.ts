import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { encode } from '@msgpack/msgpack';
import { collect, produce, testKafka, type ReadMessage } from '../support/kafka.ts';
import { startTestProcessor } from '../support/processor.ts';
import { KAFKA_BROKERS } from '../support/env.ts';

const now = Date.now();
const payment = (id: string, extra: Record<string, unknown> = {}) => ({ id, ts: now - 1000, type: 'payment', amount: 1250, currency: 'EUR', account: `acc-${id}`, ...extra });

function decisionsById(messages: ReadMessage[], topic: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const m of messages) if (m.topic === topic) {
    const d = JSON.parse(m.value.toString()) as Record<string, unknown>;
    out.set(String(d.eventId), d);
  }
  return out;
}

test('a JSON payment produced by kcat gets a decision with reasons, and an alert', async (t) => {
  const vigil = await startTestProcessor();
  t.after(() => vigil.cleanup());
  const kafka = testKafka();
  const big = JSON.stringify(payment('kcat-1', { type: 'card_auth', amount: 5_000_000, card: 'card-9' }));
  const kcat = spawnSync('kcat', ['-P', '-b', KAFKA_BROKERS[0]!, '-t', vigil.topics.payments, '-k', 'acc-kcat-1'], { input: `${big}\n`, encoding: 'utf8' });
  assert.equal(kcat.status, 0, `kcat failed: ${kcat.stderr}`);

  const messages = await collect(kafka, [vigil.topics.decisions, vigil.topics.alerts], (ms) => ms.some((m) => m.topic === vigil.topics.alerts) && ms.some((m) => m.topic === vigil.topics.decisions));
  const decision = decisionsById(messages, vigil.topics.decisions).get('kcat-1');
  assert.ok(decision, 'no decision for kcat-1 on the decisions topic');
  assert.equal(decision.decision, 'block');
  assert.equal(decision.score, 100);
  const live = (decision.reasons as { rule: string; shadow?: boolean; detail: string }[]).filter((r) => !r.shadow);
  assert.deepEqual(live.map((r) => r.rule), ['amount.over_limit']);
  assert.match(live[0]!.detail, /card payment of 5000000 EUR is over the limit of 22000/);
  assert.match(String(decision.rulesVersion), /^default-[0-9a-f]+$/, 'decided by the shipped rule set');
  assert.equal(typeof decision.rulesVersion, 'string');
  assert.equal(typeof decision.latencyMs, 'number');
  const features = decision.features as Record<string, number>;
  assert.equal(features['card.count.1m'], 1, 'velocity features computed for the payment');
  assert.equal(features['account.sum_amount.24h'], 5_000_000);
  assert.ok(decisionsById(messages, vigil.topics.alerts).has('kcat-1'), 'the block decision was not written to the alerts topic');
});

test('garbage goes to the DLQ with its reason and position, and the good events behind it are still decided', async (t) => {
  const vigil = await startTestProcessor();
  t.after(() => vigil.cleanup());
  const kafka = testKafka();
  const key = 'same-partition';
  const bad: { value: string | Buffer; code: string; field?: string; headers?: Record<string, string> }[] = [
    { value: Buffer.from([0xff, 0x00, 0x13, 0x37]), code: 'EVENT_UNDECODABLE' },
    { value: '{"id": "x"', code: 'EVENT_UNDECODABLE' },
    { value: JSON.stringify(payment('neg', { amount: -5 })), code: 'EVENT_INVALID', field: 'amount' },
    { value: JSON.stringify(payment('str', { amount: '12.50' })), code: 'EVENT_INVALID', field: 'amount' },
    { value: JSON.stringify({ ts: now, type: 'payment', amount: 1, currency: 'EUR', account: 'a' }), code: 'EVENT_INVALID', field: 'id' },
    { value: JSON.stringify(payment('type', { type: 'teleport' })), code: 'EVENT_INVALID', field: 'type' },
    { value: JSON.stringify(payment('cur', { currency: 'euro' })), code: 'EVENT_INVALID', field: 'currency' },
    { value: JSON.stringify(payment('future', { ts: now + 10 * 86_400_000 })), code: 'EVENT_INVALID', field: 'ts' },
    { value: JSON.stringify(payment('huge', { device: 'x'.repeat(70_000) })), code: 'EVENT_TOO_LARGE' },
    { value: '[1,2,3]', code: 'EVENT_INVALID' },
    { value: JSON.stringify(payment('ct')), code: 'EVENT_UNDECODABLE', headers: { 'content-type': 'text/csv' } },
  ];
  const good = [
    { value: JSON.stringify(payment('good-1')) },
    { value: JSON.stringify(payment('good-iso', { ts: new Date(now - 5000).toISOString() })) },
    { value: Buffer.from(encode(payment('good-msgpack', { device: 'dev-1' }))), headers: { 'content-type': 'application/msgpack' } },
  ];
  await produce(kafka, vigil.topics.payments, [
    ...bad.map((b) => ({ key, value: b.value, ...(b.headers ? { headers: b.headers } : {}) })),
    ...good.map((g) => ({ key, value: g.value, ...(g.headers ? { headers: g.headers } : {}) })),
  ]);

  const messages = await collect(
    kafka,
    [vigil.topics.decisions, vigil.topics.dlq],
    (ms) => ms.filter((m) => m.topic === vigil.topics.dlq).length >= bad.length && ms.filter((m) => m.topic === vigil.topics.decisions).length >= good.length,
  );
  const dlq = messages.filter((m) => m.topic === vigil.topics.dlq).sort((a, b) => Number(a.headers['vigil-source-offset']) - Number(b.headers['vigil-source-offset']));
  assert.equal(dlq.length, bad.length, 'every bad message lands on the DLQ exactly once');
  dlq.forEach((m, i) => {
    const expected = bad[i]!;
    assert.deepEqual(m.value, Buffer.isBuffer(expected.value) ? expected.value : Buffer.from(expected.value), `DLQ keeps the original bytes of message ${i}`);
    assert.equal(m.headers['vigil-error-code'], expected.code, `code of message ${i}: ${m.headers['vigil-error-reason']}`);
    if (expected.field) assert.equal(m.headers['vigil-error-field'], expected.field);
    assert.ok((m.headers['vigil-error-reason'] ?? '').length > 5, 'a readable reason');
    assert.equal(m.headers['vigil-source-topic'], vigil.topics.payments);
    assert.equal(m.headers['vigil-source-offset'], String(i));
    assert.match(m.headers['vigil-source-partition'] ?? '', /^\d+$/);
  });
  const decided = decisionsById(messages, vigil.topics.decisions);
  for (const id of ['good-1', 'good-iso', 'good-msgpack']) assert.equal(decided.get(id)?.decision, 'allow', `${id} decided`);
  assert.equal(decided.size, good.length, 'nothing bad was decided');
  const invalid = await vigil.processor.metrics.events.get();
  assert.equal(invalid.values.find((v) => v.labels.outcome === 'invalid')?.value, bad.length);
});

test('the same 8 card payments within a minute, delivered twice, give card.count.1m = 8', async (t) => {
  const vigil = await startTestProcessor();
  t.after(() => vigil.cleanup());
  const kafka = testKafka();
  const payments = Array.from({ length: 8 }, (_, i) => ({ key: 'acc-velo', value: JSON.stringify(payment(`velo-${i}`, { account: 'acc-velo', card: 'card-velo', ts: now - 50_000 + i * 5000 })) }));
  await produce(kafka, vigil.topics.payments, payments);
  await produce(kafka, vigil.topics.payments, payments);
  const messages = await collect(kafka, [vigil.topics.decisions], (ms) => ms.length >= 16, 90_000, 2000);
  assert.equal(messages.length, 16, 'each delivery is decided');
  const counts = messages.map((m) => (JSON.parse(m.value.toString()) as { eventId: string; features: Record<string, number> }));
  const last = counts.filter((d) => d.eventId === 'velo-7');
  assert.equal(last.length, 2);
  for (const d of last) assert.equal(d.features['card.count.1m'], 8, 'the redelivery is not counted again');
  const byId = new Map<string, number[]>();
  for (const d of counts) byId.set(d.eventId, [...(byId.get(d.eventId) ?? []), d.features['card.count.1m']!]);
  for (const [id, values] of byId) assert.equal(values[0], values[1], `${id}: a redelivered event gets the features of its first counting`);
  assert.deepEqual([...byId.keys()].sort().map((id) => byId.get(id)![0]), [1, 2, 3, 4, 5, 6, 7, 8]);
});
