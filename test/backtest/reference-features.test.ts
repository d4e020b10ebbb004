import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReferenceFeatureStage } from '../../src/backtest/reference-features.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';

test('reference features equal a brute-force count over (ts − window, ts], the event included, duplicates once', async () => {
  let seed = 7;
  const r = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const names = ['card.count.1h', 'card.sum_amount.1h', 'card.avg_amount.24h', 'terminal.count.10m', 'device.count.1h'];
  const stage = createReferenceFeatureStage(names);
  assert.deepEqual(stage.featureNames, names);
  const events: PaymentEvent[] = [];
  let ts = Date.parse('2018-04-01T00:00:00Z');
  for (let i = 0; i < 3000; i++) {
    ts += Math.floor(r() * 120_000);
    const e: PaymentEvent = { id: `e${i}`, ts, type: 'payment', amount: Math.floor(r() * 10_000), currency: 'EUR', account: 'a', card: `c${Math.floor(r() * 5)}`, terminal: `t${Math.floor(r() * 3)}` };
    events.push(e);
    if (r() < 0.05) events.push({ ...e }); // redelivery
  }
  const got: Record<string, number>[] = [];
  for (let i = 0; i < events.length; i += 97) got.push(...(await stage.compute(events.slice(i, i + 97))));
  const counted: PaymentEvent[] = [];
  const seen = new Set<string>();
  events.forEach((e, i) => {
    if (!seen.has(e.id)) { seen.add(e.id); counted.push(e); }
    const over = (field: 'card' | 'terminal', w: number) => counted.filter((x) => x[field] === e[field] && x.ts > e.ts - w && x.ts <= e.ts);
    const c1h = over('card', 3_600_000);
    const c24 = over('card', 86_400_000);
    const expected = {
      'card.count.1h': c1h.length,
      'card.sum_amount.1h': c1h.reduce((s, x) => s + x.amount, 0),
      'card.avg_amount.24h': c24.reduce((s, x) => s + x.amount, 0) / c24.length,
      'terminal.count.10m': over('terminal', 600_000).length,
    };
    assert.deepEqual(got[i], expected, `event ${i}`); // no device on the events: device features omitted
  });
});
