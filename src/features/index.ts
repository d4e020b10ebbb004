import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues } from '../rules/decision.ts';

/**
 * The velocity stage: counts each event once (deduplicated by id) and returns the features of every
 * event of a batch, in order. Rejects with a retriable DependencyUnavailableError when Redis is down:
 * the caller must not decide those events.
 */
export interface FeatureStage {
  compute(events: readonly PaymentEvent[]): Promise<FeatureValues[]>;
  /** Names of the features this stage computes, for docs and metrics. */
  readonly featureNames: readonly string[];
  close(): Promise<void>;
}

/** Placeholder until the velocity stage lands: no features. */
export function createNoFeatureStage(): FeatureStage {
  return {
    featureNames: [],
    compute: async (events) => events.map(() => ({})),
    close: async () => {},
  };
}

export { createRedisFeatureStage } from './redis-feature-stage.ts';
export type { FeatureStats, RedisFeatureStage, RedisFeatureStageOptions } from './stage-options.ts';
export { createRedisClient, type RedisClient, type RedisClientOptions } from './redis-client.ts';
export { loadFeatureSpecs, loadFeatureSpecsSync, parseFeatureSpecs, type FeatureSpec, type FeatureSpecs } from './spec.ts';
