import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { Random } from '../../src/generator/index.ts';
import { collect, produce, testKafka } from '../support/kafka.ts';
import { startTestProcessor, testConfig } from '../support/processor.ts';
import { uniqueName } from '../support/env.ts';

const TOTAL = 100_000;

interface Fuzzed {
  value: Buffer;
  headers?: Record<string, string>;
  /** The id a good message is decided under; undefined when it must land on the DLQ. */
  goodId?: string;
}

/** A seeded mix of good payments and every kind of bad input the contract must reject. */
function fuzz(random: Random, now: number, run: string): Fuzzed[] {
  const out: Fuzzed[] = [];
  const goods: Fuzzed[] = [];
  const event = (n: number) => ({ id: `${run}-${n}`, ts: now - random.int(3_600_000), type: 'payment', amount: random.int(100_000), currency: 'EUR', account: `acc-${random.int(500)}`, card: `card-${random.int(500)}` });
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  for (let n = 0; out.length < TOTAL; n++) {
    const kind = random.int(12);
    const e = event(n);
    switch (kind) {
      case 0:
      case 1:
      case 2: {
        const good: Fuzzed = { value: json(e), goodId: e.id };
        goods.push(good);
        out.push(good);
        break;
      }
      case 3:
        out.push(goods.length > 0 ? random.pick(goods) : { value: json(e), goodId: e.id }); // a redelivered duplicate id
        break;
      case 4:
        out.push({ value: Buffer.from(Array.from({ length: 1 + random.int(200) }, () => random.int(256)).map((b, i) => (i === 0 && (b === 0x7b || b === 0x5b || b === 0x22 || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x20 || b === 0x74 || b === 0x66 || b === 0x6e) ? 0x01 : b))) });
        break;
      case 5:
        out.push({ value: json(random.pick([42, 'payment', [e], null, true, { nested: e }])) });
        break;
      case 6: {
        const field = random.pick(['id', 'ts', 'type', 'amount', 'currency', 'account', 'card']);
        // null is "absent": fine for the optional card, invalid for the required fields
        const wrong = random.pick<unknown>(field === 'card' ? [{}, [], true, -1.5, 'x'.repeat(300)] : [{}, [], true, -1.5, 'x'.repeat(300), null]);
        out.push({ value: json({ ...e, [field]: wrong }) });
        break;
      }
      case 7:
        out.push({ value: Buffer.from(`{"id":"${e.id}","ts":${e.ts},"type":"payment","currency":"EUR","account":"a","amount":${'['.repeat(5000)}${']'.repeat(5000)}}`) });
        break;
      case 8:
        out.push({ value: json({ ...e, account: 'x'.repeat(70_000 + random.int(100_000)) }) });
        break;
      case 9:
        out.push({ value: Buffer.from(encode({ ...e, amount: random.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) })), headers: { 'content-type': 'application/msgpack' } });
        break;
      case 10:
        out.push({ value: json({ ...e, ts: random.pick([-1, 0, 86_400_000, now + 400 * 86_400_000, 8.64e15, '1999-12-31T23:59:59Z', '3026-01-01T00:00:00Z']) }) });
        break;
      default:
        out.push({ value: Buffer.from(encode(e)), headers: { 'content-type': 'text/plain' } });
    }
  }
  return out;
}

test('100,000 fuzzed messages mixed with good ones: no crash, every bad one on the DLQ with a reason, every good one decided', async (t) => {
  const config = testConfig({ VIGIL_MAX_MESSAGE_BYTES: '65536' });
  const kafka = testKafka();
  const vigil = await startTestProcessor({ config });
  t.after(() => vigil.cleanup());
  const messages = fuzz(new Random(20261125), Date.now(), uniqueName('fz'));
  const goodIds = new Set(messages.flatMap((m) => (m.goodId ? [m.goodId] : [])));
  const good = messages.filter((m) => m.goodId !== undefined).length;
  const bad = TOTAL - good;
  for (let i = 0; i < TOTAL; i += 100) {
    await produce(kafka, vigil.topics.payments, messages.slice(i, i + 100).map((m, j) => ({ key: `k${(i + j) % 64}`, value: m.value, ...(m.headers ? { headers: m.headers } : {}) })));
  }
  const read = await collect(
    kafka,
    [vigil.topics.decisions, vigil.topics.dlq],
    (ms) => ms.length >= TOTAL,
    300_000,
    3000,
  );
  const dlq = read.filter((m) => m.topic === vigil.topics.dlq);
  const decisions = read.filter((m) => m.topic === vigil.topics.decisions).map((m) => JSON.parse(m.value.toString()) as { eventId: string; decision: string; score: number });
  assert.equal(dlq.length, bad, 'every bad message on the DLQ exactly once');
  for (const m of dlq) {
    assert.match(m.headers['vigil-error-code'] ?? '', /^EVENT_(UNDECODABLE|INVALID|TOO_LARGE)$/);
    assert.ok((m.headers['vigil-error-reason'] ?? '').length > 0, 'with a reason');
  }
  assert.equal(decisions.length, good, 'one decision per good message (a redelivered duplicate id is decided again)');
  const decidedIds = new Set(decisions.map((d) => d.eventId));
  assert.deepEqual([...goodIds].filter((id) => !decidedIds.has(id)), [], 'every good event decided');
  assert.equal(decidedIds.size, goodIds.size, 'nothing bad was decided');
  const byId = new Map<string, string>();
  for (const d of decisions) {
    const verdict = `${d.decision}/${d.score}`;
    const first = byId.get(d.eventId);
    if (first !== undefined) assert.equal(verdict, first, `a duplicate of ${d.eventId} was decided alike`);
    else byId.set(d.eventId, verdict);
  }
  assert.equal(vigil.processor.notReadyReason(), undefined, 'still consuming after the poison');
  t.diagnostic(`${good} good (${goodIds.size} distinct ids), ${bad} bad → ${dlq.length} dead letters`);
});
