import { InvalidEventError } from '../errors.ts';
import { contentTypeOf, decodeEvent, type DecodeLimits, type IncomingBatch, type OutgoingRecord, type PaymentEvent, type RecordProducer } from '../ingest/index.ts';
import type { Decision } from '../rules/decision.ts';
import { deadLetterRecord, decisionRecords, type DecisionFormat, type SinkTopics } from '../sinks/index.ts';
import type { Metrics } from '../admin/metrics.ts';
import type { Logger } from '../log.ts';
import type { Scorer } from './scorer.ts';
import { untilDone, type RetryHooks } from '../retry.ts';

export interface BatchProcessorDeps {
  scorer: Scorer;
  producer: RecordProducer;
  /** Records produced with each batch's decisions, before its offsets are committed (e.g. graph links). */
  batchRecords?: (events: readonly PaymentEvent[]) => OutgoingRecord[];
  topics: SinkTopics;
  decisionFormat: DecisionFormat;
  limits: DecodeLimits;
  metrics: Metrics;
  log: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Told when a dependency fails or recovers, for readiness. */
  onDependency(dependency: 'redis' | 'kafka', healthy: boolean): void;
  /** Told of every batch's decisions once Kafka acknowledged them. */
  onDecided?(decisions: readonly Decision[]): void;
}

function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const SECONDS_PER_NS = 1e-9;

/** Records a batch's decisions in the metrics once they are acknowledged by Kafka (per batch, see Metrics.recordDecisions). */
export function observeDecisions(metrics: Metrics, decisions: readonly Decision[], fromIngestSeconds: number, producedAtMs: number): void {
  metrics.recordDecisions(decisions, fromIngestSeconds, producedAtMs);
}

/**
 * Decodes, scores and produces one batch. Resolves only once its records are acknowledged by Kafka,
 * so the caller commits offsets after that: a crash may repeat a decision, never lose one.
 */
export function createBatchProcessor(deps: BatchProcessorDeps): (batch: IncomingBatch) => Promise<void> {
  const { metrics, log } = deps;
  const retryHooks = (batch: IncomingBatch, dependency: 'redis' | 'kafka'): RetryHooks => ({
    isActive: batch.isActive,
    heartbeat: batch.heartbeat,
    onRetry(attempt, delayMs, error) {
      deps.onDependency(dependency, false);
      metrics.dependencyRetries.inc({ dependency });
      // The features stage is the processor's only Redis client: its failed compute is a failed Redis round trip.
      if (dependency === 'redis') metrics.feeds.redis.error(typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'other');
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
    const highWatermark = Number(batch.highWatermark);
    const first = batch.messages[0];
    if (first !== undefined) metrics.recordLag(batch.topic, batch.partition, highWatermark - Number(first.offset));
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
    metrics.stageSeconds.observe({ stage: 'decode' }, Number(process.hrtime.bigint() - started) * SECONDS_PER_NS);

    const decisions = await untilDone('redis', () => deps.scorer.score(events, started), retryHooks(batch, 'redis'), deps.retryBaseMs, deps.retryMaxMs);
    // A slow batch (busy Redis) must not cost the group membership: kafkajs only heartbeats when asked. A rebalance
    // reported here abandons the batch before anything is produced; the partition's next owner decides it.
    await batch.heartbeat();
    const encodeStart = process.hrtime.bigint();
    for (let i = 0; i < decisions.length; i++) decisionRecords(decisions[i]!, events[i]!.account, deps.topics, deps.decisionFormat, out);
    if (deps.batchRecords !== undefined) for (const record of deps.batchRecords(events)) out.push(record);
    await untilDone('kafka', () => deps.producer.send(out), retryHooks(batch, 'kafka'), deps.retryBaseMs, deps.retryMaxMs);
    const produced = process.hrtime.bigint();
    metrics.stageSeconds.observe({ stage: 'sinks' }, Number(produced - encodeStart) * SECONDS_PER_NS);
    metrics.batchSize.observe(batch.messages.length);
    const last = batch.messages[batch.messages.length - 1];
    if (last !== undefined) metrics.recordLag(batch.topic, batch.partition, highWatermark - Number(last.offset) - 1);
    observeDecisions(metrics, decisions, Number(produced - started) * SECONDS_PER_NS, Date.now());
    deps.onDecided?.(decisions);
  };
}
