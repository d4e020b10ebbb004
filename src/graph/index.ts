import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from '../rules/decision.ts';

/**
 * The knowledge-graph stage: checks every event of a batch against the graph rules (as the graph was
 * before the event) and then records the event's links.
 */
export interface GraphStage {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  close(): Promise<void>;
}

/** Placeholder until the graph stage lands: no hits. */
export function createNoGraphStage(): GraphStage {
  return {
    check: (events) => events.map(() => []),
    close: async () => {},
  };
}
