import type { PaymentEvent } from '../ingest/event.ts';
import type { Config } from '../config/index.ts';
import { createBatchConsumer, createKafka, createRecordProducer, ensureTopics, type BatchConsumer, type ConsumerOptions, type OutgoingRecord, type RecordProducer } from '../ingest/index.ts';
import type { FeatureStage } from '../features/index.ts';
import type { GraphStage } from '../graph/index.ts';
import type { RuleEngine } from '../rules/index.ts';
import { configuredStages } from './stages.ts';
import type { Decision } from '../rules/decision.ts';
import { createMetrics, type Metrics } from '../admin/metrics.ts';
import type { Logger } from '../log.ts';
import { createBatchProcessor } from './batch-processor.ts';
import { createScorer, type Scorer } from './scorer.ts';

/** How the processor consumes the payments topic; a baseline that stands in for it (bench/, load-tests/) consumes the same way. */
export function paymentsConsumerOptions(config: Config, groupId = config.groupId): ConsumerOptions {
  return {
    groupId,
    topic: config.topicPayments,
    fromBeginning: true,
    maxBytes: config.fetchMaxBytes,
    fetchMinBytes: config.fetchMinBytes,
    fetchWaitMs: config.fetchMaxWaitMs,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    sessionTimeoutMs: config.sessionTimeoutMs,
    commitIntervalMs: config.commitIntervalMs,
  };
}

export interface ProcessorStages {
  features: FeatureStage;
  graph: GraphStage;
  rules: () => RuleEngine;
}

export interface ProcessorOptions {
  config: Config;
  log: Logger;
  metrics?: Metrics;
  /** Stages to use instead of those built from the configuration. */
  stages?: Partial<ProcessorStages>;
  fromBeginning?: boolean;
  onDecided?: (decisions: readonly Decision[]) => void;
}

export interface Processor {
  start(): Promise<void>;
  /** Stops fetching, lets the batch in flight finish and commit, then closes every client. */
  stop(): Promise<void>;
  notReadyReason(): string | undefined;
  readonly metrics: Metrics;
  /** The scoring path of this processor, shared with the sync API. */
  readonly scorer: Scorer;
  /** Records to produce with any batch of decisions (graph links), for the sync API. */
  batchRecords(events: readonly PaymentEvent[]): OutgoingRecord[];
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { config } = options;
  const log = options.log.child('processor');
  const metrics = options.metrics ?? createMetrics();
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `vigil-${config.instanceId}`, logger: options.log });
  const configured = configuredStages(config, kafka, options.log, options.stages, metrics);
  const stages = configured.stages;
  const scorer = createScorer(stages, metrics);
  metrics.feeds.watchGraph(() => stages.graph.stats());
  const unhealthy = new Set<string>();
  let consumer: BatchConsumer | undefined;
  let producer: RecordProducer | undefined;
  let started = false;

  const notReadyReason = (): string | undefined => {
    if (!started || consumer === undefined) return 'starting';
    if (!consumer.brokerReachable()) return 'kafka unavailable (no broker answers)';
    if (!consumer.isConsuming()) return 'not consuming (no group membership)';
    if (unhealthy.size > 0) return `${[...unhealthy].join(', ')} unavailable`;
    return configured.notReadyReason();
  };

  metrics.watchReady(() => notReadyReason() === undefined);
  return {
    metrics,
    scorer,
    batchRecords: (events) => configured.batchRecords(events),
    notReadyReason,
    async start() {
      const created = await ensureTopics(
        kafka,
        [
          ...[config.topicPayments, config.topicDecisions, config.topicAlerts, config.topicDlq, config.topicLinks, config.topicLabels].map((topic) => ({ topic, partitions: config.topicPartitions })),
          { topic: config.topicRulesUpdates, partitions: 1 },
          // The console creates it too; the processor reads it from the start, so it must exist.
          { topic: config.topicLists, partitions: config.topicPartitions },
        ],
      );
      if (created.length > 0) log.info('created topics', { topics: created });
      await configured.start();
      producer = createRecordProducer(kafka);
      await producer.connect();
      consumer = createBatchConsumer(kafka, {
        ...paymentsConsumerOptions(config),
        fromBeginning: options.fromBeginning ?? true,
        onRebalance: () => metrics.forgetLag(),
      });
      const handler = createBatchProcessor({
        scorer,
        producer,
        batchRecords: configured.batchRecords,
        topics: { decisions: config.topicDecisions, alerts: config.topicAlerts, dlq: config.topicDlq },
        decisionFormat: config.decisionFormat,
        limits: { maxBytes: config.maxMessageBytes, maxFutureSkewMs: 24 * 3600_000 },
        metrics,
        log,
        retryBaseMs: 100,
        retryMaxMs: config.retryMaxDelayMs,
        onDependency(dependency, healthy) {
          if (healthy) unhealthy.delete(dependency);
          else unhealthy.add(dependency);
          metrics.ready.set(notReadyReason() === undefined ? 1 : 0);
        },
        ...(options.onDecided ? { onDecided: options.onDecided } : {}),
      });
      metrics.feeds.rules.inUse(stages.rules().version, configured.ruleIds);
      await consumer.start(handler);
      started = true;
      metrics.ready.set(1);
      log.info('consuming', { topic: config.topicPayments, groupId: config.groupId });
    },
    async stop() {
      metrics.ready.set(0);
      await consumer?.stop();
      await producer?.close();
      await stages.features.close();
      await stages.graph.close();
      await configured.close();
      await stages.rules().close();
      log.info('stopped');
    },
  };
}
