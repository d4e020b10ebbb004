import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntityState } from '../../src/features/entity-state.ts';
import { countEntityEvents } from '../../src/features/entity-velocity.ts';
import { planFeatures } from '../../src/features/plan.ts';
import { parseFeatureSpecs } from '../../src/features/spec.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';

const specs = parseFeatureSpecs(
  `version: 1
buckets: 10
features:
  - entity: card
    aggregates: [count, sum_amount, distinct_terminal]
    windows: [1m]
`,
  'entity-velocity-test',
);
const [card] = planFeatures(specs, { latenessMs: 5000, idleTtlMs: 3_600_000, dedupRetentionMs: 0 });
const payment = (i: number, terminal: string): PaymentEvent => ({ id: `e${i}`, ts: 60_000 + i, type: 'payment', amount: 10 * (i + 1), currency: 'EUR', account: 'A', card: 'C', terminal });

/** field -> values written to it, in order */
function writesByField(sets: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < sets.length; i += 2) out.set(sets[i] as string, [...(out.get(sets[i] as string) ?? []), sets[i + 1] as string]);
  return out;
}

describe('counting an entity', () => {
  it('writes each changed bucket field once per call, with its final count, sum and occurrences', () => {
    assert.ok(card);
    // five events in one 6 s bucket: terminals T1, T2, T1, T1, T3
    const events = ['T1', 'T2', 'T1', 'T1', 'T3'].map((terminal, i) => payment(i, terminal));
    const counted = countEntityEvents(card, new EntityState(), events, [0, 1, 2, 3, 4]);
    const fields = writesByField(counted.writes.sets);
    assert.deepEqual(fields.get('b:6000:10'), ['5:150']);
    assert.deepEqual(fields.get('d:6000:10:terminal:T1'), ['3']);
    assert.deepEqual(fields.get('d:6000:10:terminal:T2'), ['1']);
    assert.deepEqual(fields.get('d:6000:10:terminal:T3'), ['1']);
    assert.deepEqual(fields.get('w'), ['60004']);
    assert.deepEqual(
      counted.replies.map((reply) => reply.outputs),
      [
        [1, 10, 1],
        [2, 30, 2],
        [3, 60, 2],
        [4, 100, 2],
        [5, 150, 3],
      ],
    );
  });

  it('writes a bucket again in a later call, with the totals of both', () => {
    assert.ok(card);
    const state = new EntityState();
    const events = [payment(0, 'T1'), payment(1, 'T1')];
    countEntityEvents(card, state, events, [0]);
    const second = writesByField(countEntityEvents(card, state, events, [1]).writes.sets);
    assert.deepEqual(second.get('b:6000:10'), ['2:30']);
    assert.deepEqual(second.get('d:6000:10:terminal:T1'), ['2']);
  });

  it('lists counted ids in the commit script\'s form, by id bucket in counting order, a late one in its own group', () => {
    assert.ok(card);
    assert.equal(card.idBucketMs, 7500);
    // buckets 8, 8, 9, then 8 again (late, within the lateness), then 9
    const times = [60_000, 61_000, 68_000, 64_000, 69_000];
    const events = times.map((ts, i) => ({ ...payment(i, 'T1'), ts }));
    const { ids } = countEntityEvents(card, new EntityState(), events, [0, 1, 2, 3, 4]).writes;
    const groups: [string, string[]][] = [];
    for (let i = 0; i < ids.length; ) {
      const n = Number(ids[i + 1]);
      const pairs = ids.slice(i + 2, i + 2 + 2 * n);
      assert.equal(pairs.length, 2 * n);
      groups.push([ids[i] as string, pairs.filter((_, j) => j % 2 === 0)]);
      pairs.forEach((value, j) => j % 2 === 1 && assert.match(value, new RegExp(`^${times[Number(pairs[j - 1]!.slice(1))]},`)));
      i += 2 + 2 * n;
    }
    assert.deepEqual(groups, [
      ['8', ['e0', 'e1']],
      ['9', ['e2']],
      ['8', ['e3']],
      ['9', ['e4']],
    ]);
  });
});
