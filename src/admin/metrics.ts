import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Metric handles, created once per process. Label values are bounded sets (outcomes, rule ids, codes). */
export interface Metrics {
  registry: Registry;
  events: Counter<'outcome'>;
  deadLetters: Counter<'code'>;
  batchSize: Histogram;
  decisionLatency: Histogram<'from'>;
  stageSeconds: Histogram<'stage'>;
  dependencyRetries: Counter<'dependency'>;
  ruleHits: Counter<'rule' | 'shadow'>;
  ready: Gauge;
}

export function createMetrics(options: { defaultMetrics: boolean } = { defaultMetrics: true }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    events: new Counter({ name: 'vigil_events_total', help: 'Payment events processed, by outcome (allow, review, block, invalid).', labelNames: ['outcome'], registers: [registry] }),
    deadLetters: new Counter({ name: 'vigil_dead_letters_total', help: 'Messages sent to the dead-letter topic, by error code.', labelNames: ['code'], registers: [registry] }),
    batchSize: new Histogram({ name: 'vigil_batch_size', help: 'Messages per processed batch.', buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000], registers: [registry] }),
    decisionLatency: new Histogram({
      name: 'vigil_decision_latency_seconds',
      help: 'Time to a produced decision, from event time (from="event") or from ingest (from="ingest").',
      labelNames: ['from'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    stageSeconds: new Histogram({ name: 'vigil_stage_duration_seconds', help: 'Processing time of one batch in each stage.', labelNames: ['stage'], buckets: latencyBuckets, registers: [registry] }),
    dependencyRetries: new Counter({ name: 'vigil_dependency_retries_total', help: 'Batches retried because a dependency (redis, kafka) was unavailable.', labelNames: ['dependency'], registers: [registry] }),
    ruleHits: new Counter({ name: 'vigil_rule_hits_total', help: 'Rule hits by rule id; shadow="true" for shadow rules.', labelNames: ['rule', 'shadow'], registers: [registry] }),
    ready: new Gauge({ name: 'vigil_ready', help: '1 when the processor consumes and its dependencies answer.', registers: [registry] }),
  };
}
