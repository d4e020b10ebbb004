import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEventRuleEngine } from '../../src/rules/index.ts';
import { event } from './helpers.ts';

test('the two first rules built from configuration: amount over the limit, currency not allowed', () => {
  const rules = createEventRuleEngine({ amountLimit: 10_000, allowedCurrencies: ['EUR', 'USD'], reviewThreshold: 50, blockThreshold: 80 });
  assert.match(rules.version, /^builtin-[0-9a-f]{10}$/);
  const big = rules.evaluate(event({ amount: 10_001 }), {}, []);
  assert.deepEqual([big.decision, big.score, big.reasons.map((r) => r.rule)], ['review', 60, ['amount.over_limit']]);
  assert.equal(big.reasons[0]!.detail, 'amount 10001 EUR is over the limit of 10000');
  const both = rules.evaluate(event({ amount: 10_001, currency: 'JPY' }), {}, [{ rule: 'graph.x', score: 10, detail: 'g' }]);
  assert.deepEqual([both.decision, both.score, both.reasons.map((r) => r.rule)], ['block', 100, ['amount.over_limit', 'currency.not_allowed', 'graph.x']]);
  assert.equal(rules.evaluate(event({ amount: 10_000 }), {}, []).decision, 'allow');
  const any = createEventRuleEngine({ amountLimit: 1, allowedCurrencies: [], reviewThreshold: 50, blockThreshold: 80 });
  assert.deepEqual(any.evaluate(event({ amount: 0, currency: 'XXX' }), {}, []).reasons, []);
});
