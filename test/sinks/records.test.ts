import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { decisionRecords, encodeDecision } from '../../src/sinks/index.ts';
import type { OutgoingRecord } from '../../src/ingest/index.ts';
import type { Decision } from '../../src/rules/decision.ts';

function decision(id: string, kind: Decision['decision'], detail: string): Decision {
  return { eventId: id, ts: 1_764_000_000_000, decision: kind, score: kind === 'allow' ? 0 : 70, reasons: kind === 'allow' ? [] : [{ rule: 'r', score: 70, detail }], features: { 'card.count.1m': 2 }, rulesVersion: 'v1', latencyMs: 1.5, entities: { account: `acc-${id}` } };
}

test('decisions encode to JSON and MessagePack that decode to the same decision, one after another (the encoder is shared)', () => {
  const first = decision('e1', 'review', 'x'.repeat(5000));
  const second = decision('e2', 'allow', '');
  for (const format of ['json', 'msgpack'] as const) {
    const a = encodeDecision(first, format);
    const b = encodeDecision(second, format);
    const read = (v: Buffer | string) => (format === 'json' ? JSON.parse(v as string) : decode(v as Buffer));
    assert.deepEqual(read(a), first, format);
    assert.deepEqual(read(b), second, format);
  }
});

test('an alert goes to the decisions and the alerts topic, an allow only to decisions, keyed by account, with its content type', () => {
  const out: OutgoingRecord[] = [];
  const topics = { decisions: 'd', alerts: 'a', dlq: 'q' };
  decisionRecords(decision('e1', 'block', 'why'), 'acc-1', topics, 'msgpack', out);
  decisionRecords(decision('e2', 'allow', ''), 'acc-2', topics, 'json', out);
  assert.deepEqual(out.map((r) => [r.topic, r.key, r.headers?.['content-type']]), [
    ['d', 'acc-1', 'application/msgpack'], ['a', 'acc-1', 'application/msgpack'], ['d', 'acc-2', 'application/json'],
  ]);
  assert.equal((decode(out[1]!.value as Buffer) as Decision).eventId, 'e1');
});
