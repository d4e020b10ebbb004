import { RulesInvalidError } from '../errors.ts';
import { compileRuleSources } from './loader.ts';
import type { RuleSet } from './rule-set.ts';

export interface EventRulesOptions {
  /** Amount (minor units) above which a payment is suspicious. */
  amountLimit: number;
  /** ISO 4217 codes accepted; an empty list accepts all. */
  allowedCurrencies: readonly string[];
  reviewThreshold: number;
  blockThreshold: number;
}

/**
 * The two first rules (amount over a limit: 60, currency not allowed: 80; scores add up, graph hits pass through)
 * as a data rule set built from configuration, for a processor started without a rules folder. The shipped
 * rules/ folder holds the same two rules; prefer `createRuleEngine({ dir: 'rules' })`.
 */
export function createEventRuleEngine(options: EventRulesOptions): RuleSet {
  const files = new Map<string, string>();
  files.set('settings.yaml', `name: builtin\nthresholds:\n  review: ${options.reviewThreshold}\n  block: ${options.blockThreshold}\ncombine: sum\n`);
  let rules = 'rules:\n';
  rules += `  - id: amount.over_limit\n    when: amount > ${Number(options.amountLimit)}\n    score: 60\n    detail: ${JSON.stringify(`amount {amount} {currency} is over the limit of ${options.amountLimit}`)}\n`;
  if (options.allowedCurrencies.length > 0) {
    rules += `  - id: currency.not_allowed\n    when: ${JSON.stringify(`currency not in [${options.allowedCurrencies.map((c) => JSON.stringify(c)).join(', ')}]`)}\n    score: 80\n    detail: "currency {currency} is not accepted"\n`;
  }
  files.set('payment.yaml', rules);
  const { ruleSet, problems } = compileRuleSources(files);
  if (!ruleSet) throw new RulesInvalidError(problems);
  return ruleSet;
}
