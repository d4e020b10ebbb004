import type { PaymentEvent } from '../ingest/index.ts';
import type { Decision, DecisionKind } from '../rules/decision.ts';

/** A decision-contract answer that did not come from the rules, marked `fallback: true`. */
export interface FallbackDecision extends Decision {
  fallback: true;
}

export const FALLBACK_RULE = 'api.deadline_exceeded';
export const FALLBACK_RULES_VERSION = 'fallback';

/**
 * The documented answer when no decision is ready within the deadline: the configured decision,
 * score 0, no features, one reason naming the deadline. The real decision is still made, recorded
 * on the topics, and returned to a retry of the same event id.
 */
export function fallbackDecision(event: PaymentEvent, decision: DecisionKind, deadlineMs: number, latencyMs: number): FallbackDecision {
  return {
    eventId: event.id,
    ts: event.ts,
    decision,
    score: 0,
    reasons: [{ rule: FALLBACK_RULE, score: 0, detail: `no decision within the deadline of ${deadlineMs} ms: fallback answer "${decision}"; retry the same event id for the real decision` }],
    features: {},
    rulesVersion: FALLBACK_RULES_VERSION,
    latencyMs,
    fallback: true,
  };
}
