import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistinctCounts } from '../../src/features/distinct-counts.ts';
import type { DistinctField } from '../../src/features/spec.ts';

const FIELDS: DistinctField[] = ['card', 'account', 'terminal'];

/** Deterministic pseudo-random numbers (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('distinct counts of a bucket', () => {
  for (const seed of [1, 2, 3]) {
    it(`equal a map per field through the switch from the flat array to maps (seed ${seed})`, () => {
      const rng = random(seed);
      const counts = new DistinctCounts('card', 'v0', 1);
      const model = new Map<DistinctField, Map<string, number>>(FIELDS.map((field) => [field, new Map()]));
      (model.get('card') as Map<string, number>).set('v0', 1);
      for (let op = 0; op < 60; op++) {
        const field = FIELDS[Math.floor(rng() * FIELDS.length)] as DistinctField;
        // few values at first (the flat array), then many (maps)
        const value = `v${Math.floor(rng() * (op < 20 ? 4 : 40))}`;
        const by = 1 + Math.floor(rng() * 3);
        const values = model.get(field) as Map<string, number>;
        values.set(value, (values.get(value) ?? 0) + by);
        assert.equal(counts.add(field, value, by), values.get(value), `op ${op}`);
        assert.equal(counts.size, [...model.values()].reduce((n, m) => n + m.size, 0), `op ${op}`);
        for (const f of FIELDS) {
          const seen = new Set<string>();
          counts.collect(f, seen);
          assert.deepEqual([...seen].sort(), [...(model.get(f) as Map<string, number>).keys()].sort(), `op ${op} ${f}`);
          const totals = new Map<string, number>([['v0', 100]]);
          counts.addTo(f, totals, 1);
          counts.addTo(f, totals, -1);
          assert.deepEqual([...totals], [['v0', 100]], 'adding then subtracting a bucket leaves the totals');
        }
      }
      assert.ok(counts.large, 'the bucket grew past the flat array');
      const listed: [string, string, number][] = [];
      counts.forEach((field, value, occurrences) => listed.push([field, value, occurrences]));
      const expected = [...model].flatMap(([field, values]) => [...values].map(([value, n]) => [field, value, n] as [string, string, number]));
      assert.deepEqual(listed.sort(), expected.sort());
    });
  }

  it('subtracting a bucket deletes the values whose window total reaches zero', () => {
    const counts = new DistinctCounts('card', 'C1', 2);
    counts.add('card', 'C2', 1);
    counts.add('terminal', 'T1', 1);
    const totals = new Map([['C1', 2], ['C2', 3]]);
    counts.addTo('card', totals, -1);
    assert.deepEqual([...totals], [['C2', 2]]);
  });
});
