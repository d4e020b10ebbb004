import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { FixedHistogram } from '../../src/admin/fixed-histogram.ts';
import { LATENCY_BUCKETS } from '../../src/admin/labels.ts';

/** The exposition lines of one family, with the family name replaced so two families compare. */
async function lines(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(name)).map((l) => l.replace(name, 'X')).sort();
}

test('FixedHistogram exports exactly what a prom-client Histogram exports for the same observations', async () => {
  const registry = new Registry();
  const reference = new Histogram({ name: 'ref_seconds', help: 'h', labelNames: ['from'], buckets: [...LATENCY_BUCKETS], registers: [registry] });
  const fixed = new FixedHistogram({ name: 'fix_seconds', help: 'h', buckets: LATENCY_BUCKETS, labelName: 'from', labelValues: ['event', 'ingest'], registry });
  for (const from of ['event', 'ingest'] as const) reference.zero({ from });
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const event = fixed.cell('event');
  const ingest = fixed.cell('ingest');
  for (let i = 0; i < 5000; i++) {
    // Spread over 1 µs … 100 s on a log scale, plus exact bucket bounds (le is inclusive).
    const value = i % 50 === 0 ? LATENCY_BUCKETS[i % LATENCY_BUCKETS.length]! : 10 ** (random() * 8 - 6);
    event.observe(value);
    reference.observe({ from: 'event' }, value);
  }
  for (const [value, n] of [[0.003, 7], [0.0001, 3], [42, 2]] as const) {
    ingest.observeMany(value, n);
    for (let i = 0; i < n; i++) reference.observe({ from: 'ingest' }, value);
  }
  const got = await lines(registry, 'fix_seconds');
  const want = await lines(registry, 'ref_seconds');
  assert.equal(got.length, want.length);
  // Sums may differ in the last bits (one multiplication vs repeated additions); compare them numerically.
  const split = (l: string) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))] as const;
  for (let i = 0; i < got.length; i++) {
    const [gk, gv] = split(got[i]!);
    const [wk, wv] = split(want[i]!);
    assert.equal(gk, wk);
    if (gk.startsWith('X_sum')) assert.ok(Math.abs(gv - wv) <= 1e-9 * Math.max(1, Math.abs(wv)), `${gk}: ${gv} vs ${wv}`);
    else assert.equal(gv, wv, gk);
  }
});

test('FixedHistogram refuses unknown label values and bad buckets, ignores non-finite values', () => {
  const registry = new Registry();
  const h = new FixedHistogram({ name: 'h_seconds', help: 'h', buckets: [1, 2], labelName: 'from', labelValues: ['a'], registry });
  assert.throws(() => h.cell('b' as 'a'), /unknown from "b"/);
  assert.throws(() => new FixedHistogram({ name: 'g_seconds', help: 'h', buckets: [1, 1], labelName: 'x', labelValues: ['a'], registry }), RangeError);
  h.cell('a').observe(Number.NaN);
  h.cell('a').observe(Number.POSITIVE_INFINITY);
  return h.get().then((m) => assert.equal(m.values.find((v) => v.metricName === 'h_seconds_count')?.value, 0));
});
