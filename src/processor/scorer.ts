import type { PaymentEvent } from '../ingest/index.ts';
import type { FeatureStage } from '../features/index.ts';
import type { GraphStage } from '../graph/index.ts';
import type { RuleEngine } from '../rules/index.ts';
import type { Decision, DecisionEntities } from '../rules/decision.ts';
import type { Metrics } from '../admin/metrics.ts';

export interface ScorerStages {
  features: FeatureStage;
  graph: GraphStage;
  /** Read once per call, so a batch is never decided by two rule sets during a reload. */
  rules: () => RuleEngine;
}

/**
 * features → graph → rules for a batch of valid events: the one scoring path shared by the stream
 * processor, the sync API and the backtest. Rejects (retriably) when a dependency is down, before
 * anything is decided.
 */
export interface Scorer {
  /** `startedNs` (process.hrtime.bigint) is when the batch was received; decisions' latencyMs count from it. */
  score(events: readonly PaymentEvent[], startedNs: bigint): Promise<Decision[]>;
}

const SECONDS_PER_NS = 1e-9;

function entitiesOf(event: PaymentEvent): DecisionEntities {
  const out: DecisionEntities = { account: event.account };
  if (event.card !== undefined) out.card = event.card;
  if (event.device !== undefined) out.device = event.device;
  if (event.ip !== undefined) out.ip = event.ip;
  if (event.terminal !== undefined) out.terminal = event.terminal;
  if (event.merchant !== undefined) out.merchant = event.merchant;
  if (event.beneficiary !== undefined) out.beneficiary = event.beneficiary;
  return out;
}

export function createScorer(stages: ScorerStages, metrics: Metrics): Scorer {
  const stage = metrics.stageSeconds;
  return {
    async score(events, startedNs) {
      if (events.length === 0) return [];
      const t0 = process.hrtime.bigint();
      const features = await stages.features.compute(events);
      const t1 = process.hrtime.bigint();
      stage.observe({ stage: 'features' }, Number(t1 - t0) * SECONDS_PER_NS);
      const hits = stages.graph.check(events, features);
      const t2 = process.hrtime.bigint();
      stage.observe({ stage: 'graph' }, Number(t2 - t1) * SECONDS_PER_NS);
      const rules = stages.rules();
      const decisions: Decision[] = new Array(events.length);
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        const eventFeatures = features[i]!;
        const verdict = rules.evaluate(event, eventFeatures, hits[i]!);
        decisions[i] = {
          eventId: event.id,
          ts: event.ts,
          decision: verdict.decision,
          score: verdict.score,
          reasons: verdict.reasons,
          features: eventFeatures,
          rulesVersion: rules.version,
          latencyMs: 0,
          entities: entitiesOf(event),
        };
      }
      const t3 = process.hrtime.bigint();
      stage.observe({ stage: 'rules' }, Number(t3 - t2) * SECONDS_PER_NS);
      const latencyMs = Math.round(Number(t3 - startedNs) / 1000) / 1000;
      for (const d of decisions) d.latencyMs = latencyMs;
      return decisions;
    },
  };
}
