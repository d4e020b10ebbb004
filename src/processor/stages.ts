import type { Kafka } from 'kafkajs';
import type { Config } from '../config/index.ts';
import type { OutgoingRecord } from '../ingest/index.ts';
import { createRedisFeatureStage, loadFeatureSpecsSync, type FeatureStage, type RedisFeatureStage } from '../features/index.ts';
import { GraphReplicator, createGraphStage, createKafkaReplicationLog, encodeLinkBatch, loadGraphRules, replicaId } from '../graph/index.ts';
import { createEventRuleEngine } from '../rules/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../admin/index.ts';
import type { ProcessorStages } from './processor.ts';

const LINKS_PER_MESSAGE = 500;

function redisFeatures(config: Config, metrics?: Metrics): RedisFeatureStage {
  const feed = metrics?.feeds.redis;
  return createRedisFeatureStage({
    ...(feed ? { onRoundTrip: (seconds: number) => feed.roundTrip('features', seconds) } : {}),
    redis: config.redisUrl,
    specs: loadFeatureSpecsSync(config.featuresFile),
    latenessMs: config.featuresLatenessMs,
    dedupRetentionMs: config.featuresDedupRetentionMs,
    timeoutMs: config.featuresTimeoutMs,
    keyPrefix: config.featuresKeyPrefix,
  });
}

/** Pings Redis every few seconds while the processor runs, so /readyz tells even between batches. */
function redisHealth(stage: FeatureStage | RedisFeatureStage): { start(): void; stop(): void; reason(): string | undefined } {
  if (!('ping' in stage)) return { start() {}, stop() {}, reason: () => undefined };
  let healthy = true;
  let timer: NodeJS.Timeout | undefined;
  const probe = () => stage.ping().then(() => (healthy = true), () => (healthy = false));
  return {
    start() {
      timer = setInterval(probe, 2000);
      timer.unref();
    },
    stop: () => clearInterval(timer),
    reason: () => (healthy ? undefined : 'redis unavailable'),
  };
}

function eventRules(config: Config): ProcessorStages['rules'] {
  const engine = createEventRuleEngine({
    amountLimit: config.amountLimit,
    allowedCurrencies: config.allowedCurrencies,
    reviewThreshold: config.reviewThreshold,
    blockThreshold: config.blockThreshold,
  });
  return () => engine;
}

/** The stages `vigil run` uses, built from the configuration, with what they need around them. */
export interface ConfiguredStages {
  stages: ProcessorStages;
  /** Records to produce with a batch's decisions (the graph links this instance observed). */
  batchRecords(): OutgoingRecord[];
  /** Starts background parts (the graph replica); resolves once they run. */
  start(): Promise<void>;
  notReadyReason(): string | undefined;
  close(): Promise<void>;
  /** Rule ids the stages were built with (graph rules), so their hit series exist from start-up. */
  ruleIds: readonly { id: string; shadow: boolean }[];
}

/** Builds what `overrides` does not give (tests and tools pass their own stages). */
export function configuredStages(config: Config, kafka: Kafka, log: Logger, overrides: Partial<ProcessorStages> = {}, metrics?: Metrics): ConfiguredStages {
  const features = overrides.features ?? redisFeatures(config, metrics);
  const redis = redisHealth(features);
  if (overrides.graph !== undefined) {
    const rules = overrides.rules ?? eventRules(config);
    return {
      stages: { features, graph: overrides.graph, rules },
      batchRecords: () => [],
      start: async () => redis.start(),
      notReadyReason: redis.reason,
      close: async () => redis.stop(),
      ruleIds: [],
    };
  }
  const graphRules = loadGraphRules(config.graphRulesDir);
  const graph = createGraphStage({ rules: graphRules, horizonMs: config.graphHorizon });
  const instance = replicaId(config.instanceId);
  const replicator = new GraphReplicator({
    log: createKafkaReplicationLog({ kafka, groupId: `${config.groupId}.graph.${instance}`, sessionTimeoutMs: config.sessionTimeoutMs }),
    target: graph,
    instanceId: instance,
    linksTopic: config.topicLinks,
    labelsTopic: config.topicLabels,
  });
  return {
    stages: { features, graph, rules: overrides.rules ?? eventRules(config) },
    batchRecords() {
      const links = graph.drainOutgoingLinks();
      if (links.length === 0) return [];
      const out: OutgoingRecord[] = [];
      for (let i = 0; i < links.length; i += LINKS_PER_MESSAGE) {
        const chunk = links.length <= LINKS_PER_MESSAGE ? links : links.slice(i, i + LINKS_PER_MESSAGE);
        out.push({ topic: config.topicLinks, key: instance, value: Buffer.from(encodeLinkBatch(instance, chunk)) });
      }
      return out;
    },
    async start() {
      redis.start();
      await replicator.start();
      log.child('graph').info('graph replica started', { instance, rules: config.graphRulesDir });
    },
    notReadyReason: () => redis.reason() ?? (replicator.isCaughtUp() ? undefined : 'graph replica catching up'),
    ruleIds: graphRules.map((rule) => ({ id: rule.id, shadow: rule.shadow })),
    async close() {
      redis.stop();
      await replicator.close();
    },
  };
}
