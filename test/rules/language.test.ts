import assert from 'node:assert/strict';
import { test } from 'node:test';
import { event, oneRule } from './helpers.ts';

const hits = (when: string, over = {}, features: Record<string, number> = {}, graph: { rule: string; score: number; detail: string; shadow?: boolean }[] = []) =>
  oneRule(when).evaluate(event(over), features, graph).reasons.some((r) => r.rule === 't.r');

test('comparison operators on numbers', () => {
  assert.equal(hits('amount > 4999'), true);
  assert.equal(hits('amount > 5000'), false);
  assert.equal(hits('amount >= 5000'), true);
  assert.equal(hits('amount < 5000'), false);
  assert.equal(hits('amount <= 5000'), true);
  assert.equal(hits('amount == 5000'), true);
  assert.equal(hits('amount != 5000'), false);
  assert.equal(hits('amount != 1'), true);
});

test('arithmetic, precedence, unary minus and number literals with _', () => {
  assert.equal(hits('amount == 2_000 + 3 * 1_000'), true);
  assert.equal(hits('amount == (2_000 + 3) * 1_000'), false);
  assert.equal(hits('amount - 6000 == -1000'), true);
  assert.equal(hits('amount / 2 == 2500'), true);
  assert.equal(hits('amount > 5 * account.avg_amount.30d', {}, { 'account.avg_amount.30d': 999 }), true);
  assert.equal(hits('amount > 5 * account.avg_amount.30d', {}, { 'account.avg_amount.30d': 1000 }), false);
  assert.equal(hits('1.5e3 < amount'), true);
});

test('division by zero gives a missing value, so comparisons on it are false', () => {
  assert.equal(hits('amount / card.count.1m > 1', {}, { 'card.count.1m': 0 }), false);
  assert.equal(hits('amount / card.count.1m <= 1', {}, { 'card.count.1m': 0 }), false);
});

test('strings: == != in, not in, with quoted and bare list items', () => {
  assert.equal(hits('currency == "EUR"'), true);
  assert.equal(hits("currency != 'EUR'"), false);
  assert.equal(hits('country in [FR, "DE"]', { country: 'DE' }), true);
  assert.equal(hits('country not in [FR, DE]', { country: 'DE' }), false);
  assert.equal(hits('country not in [FR, DE]', { country: 'US' }), true);
  assert.equal(hits('type in [payment, transfer]'), true);
  assert.equal(hits('amount in [1, 5000]'), true);
  assert.equal(hits('amount not in [1, -2]'), true);
});

test('logic: and, or, not, parentheses', () => {
  assert.equal(hits('amount > 1 and currency == "EUR"'), true);
  assert.equal(hits('amount > 1 and currency == "USD"'), false);
  assert.equal(hits('amount > 9999 or currency == "EUR"'), true);
  assert.equal(hits('not (amount > 9999)'), true);
  assert.equal(hits('not amount > 1 or true'), true);
  assert.equal(hits('false or (true and not false)'), true);
});

test('a missing feature or field makes a comparison false and never throws', () => {
  for (const op of ['>', '>=', '<', '<=', '==', '!=']) assert.equal(hits(`card.count.1m ${op} 5`), false, op);
  assert.equal(hits('card.count.1m in [1, 2]'), false);
  assert.equal(hits('card.count.1m not in [1, 2]'), false);
  assert.equal(hits('country == "FR"'), false);
  assert.equal(hits('country != "FR"'), false);
  assert.equal(hits('country not in [FR]'), false);
  assert.equal(hits('card.count.1m + 1 > 0'), false);
  assert.equal(hits('exists(card.count.1m)'), false);
  assert.equal(hits('exists(card.count.1m)', {}, { 'card.count.1m': 0 }), true);
  assert.equal(hits('exists(country)', { country: 'FR' }), true);
  assert.equal(hits('coalesce(card.count.1m, 0) == 0'), true);
});

test('functions min max abs sqrt log coalesce', () => {
  assert.equal(hits('min(amount, 10, 20) == 10'), true);
  assert.equal(hits('max(amount, 10) == 5000'), true);
  assert.equal(hits('abs(-3) == 3'), true);
  assert.equal(hits('sqrt(amount / 50) == 10'), true);
  assert.equal(hits('log(0) > -1000 or log(0) <= -1000'), false);
  assert.equal(hits('coalesce(card.count.1m, card.count.24h, 7) == 3', {}, { 'card.count.24h': 3 }), true);
});

test('event fields hour and pair features', () => {
  assert.equal(hits('hour == 10'), true);
  assert.equal(hits('card+terminal.count.1h > 2', {}, { 'card+terminal.count.1h': 3 }), true);
  assert.equal(hits('`card+terminal.count.1h` > 2', {}, { 'card+terminal.count.1h': 3 }), true);
});

test('graph hits: a rule reads the score of a live hit, missing when absent or shadow', () => {
  const g = [{ rule: 'graph.near_fraud', score: 70, detail: 'x' }];
  assert.equal(hits('graph.near_fraud >= 70', {}, {}, g), true);
  assert.equal(hits('graph.near_fraud >= 70'), false);
  assert.equal(hits('exists(graph.near_fraud)', {}, {}, [{ ...g[0]!, shadow: true }]), false);
});

test('score expressions are evaluated per hit and clamped to 0..100', () => {
  const rs = oneRule('amount > 0', 'amount / 100');
  const v = rs.evaluate(event({ amount: 2_550 }), {}, []);
  assert.equal(v.reasons[0]!.score, 25.5);
  assert.equal(rs.evaluate(event({ amount: 1_000_000 }), {}, []).reasons[0]!.score, 100);
  assert.equal(oneRule('amount > 0', '0 - amount').evaluate(event(), {}, []).reasons[0]!.score, 0);
  // a score over a missing value: the rule does not apply
  assert.equal(oneRule('amount > 0', 'card.count.1m * 10').evaluate(event(), {}, []).reasons.length, 0);
});
