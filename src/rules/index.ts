import type { PaymentEvent } from '../ingest/event.ts';
import type { DecisionKind, FeatureValues, Reason } from './decision.ts';

export type { Decision, DecisionKind, FeatureValues, Reason } from './decision.ts';

export interface Verdict {
  decision: DecisionKind;
  score: number;
  reasons: Reason[];
}

/** The decision stage: turns an event, its features and its graph hits into a verdict. */
export interface RuleEngine {
  /** Version of the rule set that produced the verdict; every decision carries it. */
  readonly version: string;
  evaluate(event: PaymentEvent, features: FeatureValues, graphHits: readonly Reason[]): Verdict;
  close(): Promise<void>;
}

export interface EventRulesOptions {
  /** Amount (minor units) above which a payment is suspicious. */
  amountLimit: number;
  /** ISO 4217 codes accepted; an empty list accepts all. */
  allowedCurrencies: readonly string[];
  reviewThreshold: number;
  blockThreshold: number;
}

/** The first rules, on the event itself. Replaced by the rules-as-data engine. */
export function createEventRuleEngine(options: EventRulesOptions): RuleEngine {
  const allowed = new Set(options.allowedCurrencies);
  return {
    version: 'builtin-1',
    evaluate(event, _features, graphHits) {
      const reasons: Reason[] = [];
      if (event.amount > options.amountLimit) {
        reasons.push({ rule: 'amount.over_limit', score: 60, detail: `amount ${event.amount} ${event.currency} is over the limit of ${options.amountLimit}` });
      }
      if (allowed.size > 0 && !allowed.has(event.currency)) {
        reasons.push({ rule: 'currency.not_allowed', score: 80, detail: `currency ${event.currency} is not accepted` });
      }
      for (const hit of graphHits) reasons.push(hit);
      let score = 0;
      for (const r of reasons) if (!r.shadow) score += r.score;
      score = Math.min(100, score);
      const decision: DecisionKind = score >= options.blockThreshold ? 'block' : score >= options.reviewThreshold ? 'review' : 'allow';
      return { decision, score, reasons };
    },
    close: async () => {},
  };
}
