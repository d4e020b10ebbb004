import type { PaymentEvent } from '../../src/ingest/event.ts';
import { compileRuleSources } from '../../src/rules/index.ts';
import type { RuleSet } from '../../src/rules/index.ts';

export const SETTINGS = 'name: t\nthresholds:\n  review: 40\n  block: 80\n';

export function event(over: Partial<PaymentEvent> = {}): PaymentEvent {
  return { id: 'e1', ts: Date.parse('2026-11-25T10:30:00Z'), type: 'payment', amount: 5_000, currency: 'EUR', account: 'a1', card: 'c1', ...over };
}

/** Compiles an in-memory rule set; throws with the problems when it is invalid. */
export function ruleSet(files: Record<string, string>): RuleSet {
  const { ruleSet, problems } = compileRuleSources(new Map(Object.entries({ 'settings.yaml': SETTINGS, ...files })));
  if (!ruleSet) throw new Error(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'));
  return ruleSet;
}

/** A rule set with one rule `t.r` whose condition is `when`. */
export function oneRule(when: string, score: string | number = 50): RuleSet {
  return ruleSet({ 'r.yaml': `rules:\n  - id: t.r\n    when: ${JSON.stringify(when)}\n    score: ${typeof score === 'number' ? score : JSON.stringify(score)}\n` });
}
