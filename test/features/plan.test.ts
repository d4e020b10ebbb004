import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityTag, planFeatures } from '../../src/features/plan.ts';
import { parseFeatureSpecs } from '../../src/features/spec.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';

const specs = parseFeatureSpecs(
  `version: 1
buckets: 10
features:
  - entity: card
    aggregates: [count, sum_amount, avg_amount, distinct_terminal]
    windows: [1m, 1h]
  - entity: card+terminal
    aggregates: [count]
    windows: [1h]
`,
  'plan-test',
);
const [card, pair] = planFeatures(specs, { latenessMs: 5000, idleTtlMs: 999, dedupRetentionMs: 0 });
const base: PaymentEvent = { id: 'e', ts: 0, type: 'payment', amount: 1, currency: 'EUR', account: 'A' };

describe('feature plan', () => {
  it('shares outputs between aggregates of one window (avg reuses count and sum)', () => {
    assert.ok(card);
    assert.equal(card.outputs.length, 6); // c, s, d for each of 2 windows
    const avg = card.reads.find((read) => read.name === 'card.avg_amount.1m');
    const sum = card.reads.find((read) => read.name === 'card.sum_amount.1m');
    const count = card.reads.find((read) => read.name === 'card.count.1m');
    assert.equal(avg?.output, sum?.output);
    assert.equal(avg?.countOutput, count?.output);
    assert.deepEqual(card.distinctFields, ['terminal']);
  });

  it('lays out windows, bucket sizes (how long each keeps its buckets) and the retention (longest window)', () => {
    assert.deepEqual(card?.windows, [
      { bucketMs: 6000, buckets: 10, counts: true, distinct: ['terminal'] },
      { bucketMs: 360_000, buckets: 10, counts: true, distinct: ['terminal'] },
    ]);
    assert.deepEqual(card?.bucketSizes.map((size) => [size.bucketMs, size.keep, size.counts, size.distinct]), [
      [6000, 10, true, ['terminal']],
      [360_000, 10, true, ['terminal']],
    ]);
    assert.equal(card?.retentionMs, 3_600_000);
    assert.equal(card?.latenessMs, 5000);
    assert.deepEqual(pair?.bucketSizes.map((size) => [size.bucketMs, size.counts, size.distinct]), [[360_000, true, []]]);
    const withRetention = planFeatures(specs, { latenessMs: 5000, idleTtlMs: 999, dedupRetentionMs: 7_200_000 })[0];
    assert.equal(withRetention?.retentionMs, 7_200_000);
  });

  it('tags an entity by its value, and a pair so that different pairs never collide', () => {
    assert.ok(card && pair);
    assert.equal(entityTag(card, { ...base, card: 'C1' }), 'card:C1');
    assert.equal(entityTag(card, base), undefined);
    assert.equal(entityTag(pair, { ...base, card: 'C1' }), undefined);
    const a = entityTag(pair, { ...base, card: 'a|b', terminal: 'c' });
    const b = entityTag(pair, { ...base, card: 'a', terminal: 'b|c' });
    assert.ok(a !== undefined && b !== undefined && a !== b, `${a} vs ${b}`);
  });
});
