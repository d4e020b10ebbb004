import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cardPrecisionAtK, dailyAlerts, precisionRecallAtBudgets, rocAuc } from '../../src/backtest/metrics.ts';
import { ScoredRows } from '../../src/backtest/scored.ts';

const DAY = 86_400_000;
const D0 = Date.parse('2018-08-08T00:00:00Z');
const day = (d: number) => D0 + d * DAY + 3_600_000;

test('Card Precision@k follows the handbook protocol: known cards and cards detected earlier are removed', () => {
  const rows = new ScoredRows();
  // history: card K had a fraud 10 days before the first test day → known compromised, removed
  rows.push(0, day(-10), 'K', true, 'allow');
  // card L: fraud 7 days before test day 1 → becomes known only from test day 1 (day − 8 rule)
  rows.push(0, day(-7), 'L', true, 'allow');
  // test day 0: k = 2. K scores highest but is known; A (fraud), B (legit), L (fraud, not yet known)
  rows.push(99, day(0), 'K', true, 'block');
  rows.push(90, day(0), 'A', true, 'block');
  rows.push(10, day(0), 'A', false, 'allow'); // a card's highest score of the day counts
  rows.push(80, day(0), 'B', false, 'review');
  rows.push(70, day(0), 'L', true, 'review');
  // test day 1: A detected on day 0 → removed; L now known → removed; C fraud low score, D legit
  rows.push(95, day(1), 'A', true, 'block');
  rows.push(60, day(1), 'L', true, 'review');
  rows.push(5, day(1), 'C', true, 'allow');
  rows.push(50, day(1), 'D', false, 'review');
  const r = cardPrecisionAtK(rows, Math.floor(D0 / DAY), 2, 2);
  assert.deepEqual(r.perDay.map((d) => [d.day, d.precision, d.compromisedCards, d.detected]), [
    ['2018-08-08', 0.5, 2, 1], // top 2 of {A 90, B 80, L 70} = A, B
    ['2018-08-09', 0.5, 1, 1], // top 2 of {D 50, C 5} = D, C
  ]);
  assert.equal(r.mean, 0.5);
});

test('alert budgets, daily alerts and ROC AUC on a small example', () => {
  const rows = new ScoredRows();
  rows.push(90, day(0), 'a', true, 'block');
  rows.push(80, day(0), 'b', false, 'review');
  rows.push(70, day(0), 'c', true, 'review');
  rows.push(10, day(0), 'd', false, 'allow');
  const from = Math.floor(D0 / DAY);
  assert.deepEqual(precisionRecallAtBudgets(rows, from, from + 1, [1, 2, 3]), [
    { budget: 1, precision: 1, recall: 0.5 },
    { budget: 2, precision: 0.5, recall: 0.5 },
    { budget: 3, precision: 2 / 3, recall: 1 },
  ]);
  assert.deepEqual(dailyAlerts(rows, from, from + 1), [{ day: '2018-08-08', transactions: 4, frauds: 2, alerts: 3, blocks: 1, precision: 2 / 3, recall: 1 }]);
  assert.equal(rocAuc(rows, from, from + 1), 0.75); // pairs (fraud > legit): a>b a>d c>d, not c>b → 3/4
});
