import { InvalidEventError } from '../errors.ts';
import { contentTypeOf, decodeEvent, type DecodeLimits, type IncomingBatch, type OutgoingRecord, type PaymentEvent, type RecordProducer } from '../ingest/index.ts';
import type { FeatureStage } from '../features/index.ts';
import type { GraphStage } from '../graph/index.ts';
import type { RuleEngine } from '../rules/index.ts';
import type { Decision } from '../rules/decision.ts';
import { deadLetterRecord, decisionRecords, type DecisionFormat, type SinkTopics } from '../sinks/index.ts';
import type { Metrics } from '../admin/metrics.ts';
import type { Logger } from '../log.ts';
import { untilDone, type RetryHooks } from './retry.ts';

export interface BatchProcessorDeps {
  features: FeatureStage;
  graph: GraphStage;
  /** Read once per batch, so a batch is never decided by two rule sets during a reload. */
  rules: () => RuleEngine;
  producer: RecordProducer;
  topics: SinkTopics;
  decisionFormat: DecisionFormat;
  limits: DecodeLimits;
  metrics: Metrics;
  log: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Told when a dependency fails or recovers, for readiness. */
  onDependency(dependency: 'redis' | 'kafka', healthy: boolean): void;
  /** Told of every batch's decisions once Kafka acknowledged them (used by tests and the sync API). */
  onDecided?(decisions: readonly Decision[]): void;
}

function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const SECONDS_PER_NS = 1e-9;

/** Decodes, scores and produces one batch; resolves only once its records are acknowledged by Kafka. */
export function createBatchProcessor(deps: BatchProcessorDeps): (batch: IncomingBatch) => Promise<void> {
  const { metrics, log } = deps;
  const stage = metrics.stageSeconds;
  const retryHooks = (batch: IncomingBatch, dependency: 'redis' | 'kafka'): RetryHooks => ({
    isActive: batch.isActive,
    heartbeat: batch.heartbeat,
    onRetry(attempt, delayMs, error) {
      deps.onDependency(dependency, false);
      metrics.dependencyRetries.inc({ dependency });
      log.warn(`${dependency} unavailable, retrying batch`, { topic: batch.topic, partition: batch.partition, attempt, delayMs, err: error });
    },
    onRecovered(attempts) {
      deps.onDependency(dependency, true);
      log.info(`${dependency} available again`, { partition: batch.partition, attempts });
    },
  });

  return async function processBatch(batch: IncomingBatch): Promise<void> {
    const started = process.hrtime.bigint();
    const nowMs = Date.now();
    const out: OutgoingRecord[] = [];
    const events: PaymentEvent[] = [];
    for (const message of batch.messages) {
      try {
        const type = contentTypeOf(headerText(message.headers?.['content-type']));
        events.push(decodeEvent(message.value, type, nowMs, deps.limits));
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        out.push(deadLetterRecord(message, batch.topic, batch.partition, error, deps.topics.dlq));
        metrics.deadLetters.inc({ code: error.code });
        metrics.events.inc({ outcome: 'invalid' });
      }
    }
    const decoded = process.hrtime.bigint();
    stage.observe({ stage: 'decode' }, Number(decoded - started) * SECONDS_PER_NS);

    const features = events.length === 0 ? [] : await untilDone('redis', () => deps.features.compute(events), retryHooks(batch, 'redis'), deps.retryBaseMs, deps.retryMaxMs);
    const featured = process.hrtime.bigint();
    stage.observe({ stage: 'features' }, Number(featured - decoded) * SECONDS_PER_NS);

    const hits = deps.graph.check(events, features);
    const graphed = process.hrtime.bigint();
    stage.observe({ stage: 'graph' }, Number(graphed - featured) * SECONDS_PER_NS);

    const rules = deps.rules();
    const decisions: Decision[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const eventFeatures = features[i]!;
      const verdict = rules.evaluate(event, eventFeatures, hits[i]!);
      const decision: Decision = {
        eventId: event.id,
        ts: event.ts,
        decision: verdict.decision,
        score: verdict.score,
        reasons: verdict.reasons,
        features: eventFeatures,
        rulesVersion: rules.version,
        latencyMs: 0,
      };
      decisions[i] = decision;
    }
    const ruled = process.hrtime.bigint();
    stage.observe({ stage: 'rules' }, Number(ruled - graphed) * SECONDS_PER_NS);
    const latencyMs = Number(ruled - started) / 1e6;
    for (let i = 0; i < decisions.length; i++) {
      const decision = decisions[i]!;
      decision.latencyMs = Math.round(latencyMs * 1000) / 1000;
      decisionRecords(decision, events[i]!.account, deps.topics, deps.decisionFormat, out);
    }

    await untilDone('kafka', () => deps.producer.send(out), retryHooks(batch, 'kafka'), deps.retryBaseMs, deps.retryMaxMs);
    const produced = process.hrtime.bigint();
    stage.observe({ stage: 'sinks' }, Number(produced - ruled) * SECONDS_PER_NS);

    const producedAtMs = Date.now();
    const fromIngest = Number(produced - started) * SECONDS_PER_NS;
    metrics.batchSize.observe(batch.messages.length);
    for (const decision of decisions) {
      metrics.events.inc({ outcome: decision.decision });
      metrics.decisionLatency.observe({ from: 'ingest' }, fromIngest);
      metrics.decisionLatency.observe({ from: 'event' }, Math.max(0, producedAtMs - decision.ts) / 1000);
      for (const reason of decision.reasons) metrics.ruleHits.inc({ rule: reason.rule, shadow: reason.shadow === true ? 'true' : 'false' });
    }
    deps.onDecided?.(decisions);
  };
}
