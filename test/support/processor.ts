import { loadConfig, type Config } from '../../src/config/index.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { createProcessor, type Processor, type ProcessorStages } from '../../src/processor/index.ts';
import { createMetrics, type Metrics } from '../../src/admin/index.ts';
import { KAFKA_BROKERS, REDIS_URL, uniqueName } from './env.ts';
import { deleteTopics, testKafka } from './kafka.ts';
import type { Counter } from 'prom-client';

export interface TestProcessor {
  config: Config;
  processor: Processor;
  topics: { payments: string; decisions: string; alerts: string; dlq: string; links: string; labels: string; lists: string };
  stop(): Promise<void>;
  /** Stops the processor and deletes its topics. */
  cleanup(): Promise<void>;
}

/** Configuration with topics and a group of its own, so tests can run side by side. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const base = uniqueName('t');
  return loadConfig({
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    REDIS_URL,
    VIGIL_GROUP_ID: `${base}-group`,
    VIGIL_TOPIC_PAYMENTS: `${base}.payments`,
    VIGIL_TOPIC_DECISIONS: `${base}.decisions`,
    VIGIL_TOPIC_ALERTS: `${base}.alerts`,
    VIGIL_TOPIC_DLQ: `${base}.dlq`,
    VIGIL_TOPIC_LINKS: `${base}.links`,
    VIGIL_TOPIC_LABELS: `${base}.labels`,
    VIGIL_TOPIC_LISTS: `${base}.lists`,
    VIGIL_TOPIC_AUDIT: `${base}.audit`,
    VIGIL_TOPIC_PARTITIONS: '3',
    VIGIL_FEATURES_KEY_PREFIX: `${base}:`,
    VIGIL_LOG_LEVEL: process.env.VIGIL_TEST_LOG_LEVEL ?? 'error',
    ...overrides,
  });
}

export async function startTestProcessor(options: { config?: Config; stages?: Partial<ProcessorStages>; metrics?: Metrics; log?: Logger } = {}): Promise<TestProcessor> {
  const config = options.config ?? testConfig();
  const processor = createProcessor({
    config,
    log: options.log ?? createLogger(config.logLevel),
    metrics: options.metrics ?? createMetrics({ defaultMetrics: false }),
    ...(options.stages ? { stages: options.stages } : {}),
  });
  await processor.start();
  const topics = {
    payments: config.topicPayments,
    decisions: config.topicDecisions,
    alerts: config.topicAlerts,
    dlq: config.topicDlq,
    links: config.topicLinks,
    labels: config.topicLabels,
    lists: config.topicLists,
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await processor.stop();
  };
  return {
    config,
    processor,
    topics,
    stop,
    async cleanup() {
      await stop();
      await deleteTopics(testKafka(), Object.values(topics));
    },
  };
}

/** Messages of the lists topic the processor has applied (or rejected), from its metrics. */
export async function listChanges(vigil: TestProcessor, result: 'applied' | 'rejected'): Promise<number> {
  const counter = vigil.processor.metrics.listChanges as Counter<'result'>;
  return (await counter.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
}

/** Waits until the processor has applied (or rejected) at least `count` list changes; fails after 60 s. */
export async function untilListChanges(vigil: TestProcessor, result: 'applied' | 'rejected', count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await listChanges(vigil, result)) < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} list changes ${result} (have ${await listChanges(vigil, result)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
