import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpression } from '../../src/rules/compile.ts';
import { interpret } from '../../src/rules/interpret.ts';
import { parseExpression } from '../../src/rules/parser.ts';
import { event } from './helpers.ts';

/** Small seeded PRNG so a failure can be replayed. */
function rng(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
}

const NUMS = ['amount', 'hour', 'card.count.1m', 'card.avg_amount.30d', 'graph.near_fraud', '3', '0', '2.5'];
const STRS = ['currency', 'country', 'card', '"EUR"', '"FR"'];

function numExpr(r: () => number, depth: number): string {
  const k = r();
  if (depth <= 0 || k < 0.35) return NUMS[Math.floor(r() * NUMS.length)]!;
  if (k < 0.7) return `(${numExpr(r, depth - 1)} ${['+', '-', '*', '/'][Math.floor(r() * 4)]} ${numExpr(r, depth - 1)})`;
  if (k < 0.8) return `-${numExpr(r, depth - 1)}`;
  return `${['min', 'max', 'coalesce'][Math.floor(r() * 3)]}(${numExpr(r, depth - 1)}, ${numExpr(r, depth - 1)})`;
}

function boolExpr(r: () => number, depth: number): string {
  const k = r();
  if (depth <= 0 || k < 0.3) return `${numExpr(r, 1)} ${['>', '>=', '<', '<=', '==', '!='][Math.floor(r() * 6)]} ${numExpr(r, 1)}`;
  if (k < 0.4) return `${STRS[Math.floor(r() * STRS.length)]} ${['==', '!='][Math.floor(r() * 2)]} ${STRS[Math.floor(r() * STRS.length)]}`;
  if (k < 0.5) return `${STRS[Math.floor(r() * 3)]} ${r() < 0.5 ? 'in' : 'not in'} [EUR, FR, c1]`;
  if (k < 0.6) return `not (${boolExpr(r, depth - 1)})`;
  if (k < 0.65) return `exists(${['country', 'card.count.1m', 'graph.near_fraud'][Math.floor(r() * 3)]})`;
  return `(${boolExpr(r, depth - 1)}) ${r() < 0.5 ? 'and' : 'or'} (${boolExpr(r, depth - 1)})`;
}

test('compiled evaluators agree with the reference interpreter on random expressions and inputs', () => {
  const r = rng(42);
  let checked = 0;
  for (let n = 0; n < 400; n++) {
    const src = r() < 0.5 ? boolExpr(r, 3) : `${numExpr(r, 3)} > ${numExpr(r, 2)}`;
    const tree = parseExpression(src, 'bool');
    const compiled = compileExpression<boolean>(tree);
    for (let k = 0; k < 10; k++) {
      const e = event({ amount: Math.floor(r() * 10_000), country: r() < 0.5 ? undefined : r() < 0.5 ? 'FR' : 'DE', currency: r() < 0.5 ? 'EUR' : 'USD' });
      const f: Record<string, number> = {};
      if (r() < 0.6) f['card.count.1m'] = Math.floor(r() * 4);
      if (r() < 0.6) f['card.avg_amount.30d'] = r() * 5_000;
      const g = r() < 0.5 ? [] : [{ rule: 'graph.near_fraud', score: Math.floor(r() * 100), detail: '', ...(r() < 0.3 ? { shadow: true } : {}) }];
      assert.equal(compiled(e, f, g), interpret(tree, e, f, g), `${src} on ${JSON.stringify({ e, f, g })}`);
      checked++;
    }
  }
  assert.equal(checked, 4000);
});
