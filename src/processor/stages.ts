import type { PaymentEvent } from '../ingest/event.ts';
import type { Kafka } from 'kafkajs';
import type { Config } from '../config/index.ts';
import type { OutgoingRecord } from '../ingest/index.ts';
import { createRedisFeatureStage, loadFeatureSpecsSync, type FeatureSpecs, type FeatureStage, type RedisFeatureStage } from '../features/index.ts';
import { GraphReplicator, createGraphStage, createKafkaReplicationLog, encodeLinkBatch, loadGraphRules, replicaId } from '../graph/index.ts';
import { createEventRuleEngine, createRuleEngine, followRulesUpdates, type KnownFeatures, type ReloadableRuleEngine, type RuleEngine, type RuleSet } from '../rules/index.ts';
import { createBatchConsumer, type BatchConsumer } from '../ingest/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../admin/index.ts';
import type { ProcessorStages } from './processor.ts';
import { liveListsSource } from './live-lists.ts';

const LINKS_PER_MESSAGE = 500;

function redisFeatures(config: Config, specs: FeatureSpecs, metrics?: Metrics): RedisFeatureStage {
  const feed = metrics?.feeds.redis;
  const stage = createRedisFeatureStage({
    ...(feed ? { onRoundTrip: (seconds: number) => feed.roundTrip('features', seconds) } : {}),
    redis: config.redisUrl,
    specs,
    latenessMs: config.featuresLatenessMs,
    dedupRetentionMs: config.featuresDedupRetentionMs,
    timeoutMs: config.featuresTimeoutMs,
    minReplicas: config.featuresMinReplicas,
    keyPrefix: config.featuresKeyPrefix,
    cacheEntities: config.featuresCacheEntities,
    cacheBytes: config.featuresCacheMb * 1024 * 1024,
  });
  metrics?.feeds.watchFeatures(() => stage.stats());
  return stage;
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

/**
 * The rules-as-data engine of VIGIL_RULES_DIR (`builtin` = the two event rules from configuration),
 * loaded in start(), hot-reloaded from its files and from the rules-updates topic, deciding with the
 * analysts' live allow / block lists (the lists topic) consulted too.
 */
function dataRules(config: Config, kafka: Kafka, log: Logger, metrics: Metrics | undefined, instance: string, knownFeatures: KnownFeatures | undefined) {
  const rulesLog = log.child('rules');
  let engine: ReloadableRuleEngine | undefined;
  let updates: BatchConsumer | undefined;
  const live = liveListsSource(config, kafka, log, metrics, instance);
  const builtin = config.rulesDir === 'builtin' ? eventRules(config) : undefined;
  // The live lists stay outside the immutable sets: each set in use gets one wrapper that consults them.
  let wrappedSet: RuleSet | undefined;
  let wrapped: RuleEngine | undefined;
  const withLiveLists = (set: RuleSet): RuleEngine => {
    if (set !== wrappedSet) {
      wrappedSet = set;
      wrapped = set.withLiveLists(live.lists);
    }
    return wrapped!;
  };
  return {
    rules: () => withLiveLists(builtin ?? engine!.current()),
    notReadyReason: live.notReadyReason,
    async start() {
      if (!builtin) {
        engine = await createRuleEngine({
          dir: config.rulesDir,
          watch: config.rulesWatch,
          ...(knownFeatures ? { knownFeatures } : {}),
          onReload(result) {
            if (result.ok) {
              if (result.changed) rulesLog.info('rule set reloaded', { origin: result.origin, version: result.version, previous: result.previousVersion });
              if (result.changed) metrics?.feeds.rules.reloaded(result.version, engine?.current().rules.map((r) => ({ id: r.id, shadow: r.shadow })) ?? []);
            } else {
              rulesLog.error('rule set refused; the running set keeps serving', { origin: result.origin, kept: result.keptVersion, problems: result.problems.slice(0, 20) });
              metrics?.feeds.rules.failed();
            }
          },
        });
        rulesLog.info('rule set loaded', { dir: config.rulesDir, version: engine.version });
        updates = createBatchConsumer(kafka, { groupId: `${config.groupId}.rules.${instance}`, topic: config.topicRulesUpdates, fromBeginning: false, maxBytes: 4 * 1024 * 1024, partitionsConsumedConcurrently: 1, sessionTimeoutMs: config.sessionTimeoutMs });
        await followRulesUpdates(updates, engine);
      }
      await live.start();
    },
    async close() {
      await updates?.stop();
      await engine?.close();
      await live.close();
    },
  };
}

function eventRules(config: Config): RuleSet {
  return createEventRuleEngine({
    amountLimit: config.amountLimit,
    allowedCurrencies: config.allowedCurrencies,
    reviewThreshold: config.reviewThreshold,
    blockThreshold: config.blockThreshold,
  });
}

/** The stages `vigil run` uses, built from the configuration, with what they need around them. */
export interface ConfiguredStages {
  stages: ProcessorStages;
  /** Records to produce with a batch's decisions (the graph links this instance observed). */
  /** Records to produce with a batch's decisions: the graph links of its events. */
  batchRecords(events: readonly PaymentEvent[]): OutgoingRecord[];
  /** Starts background parts (the graph replica); resolves once they run. */
  start(): Promise<void>;
  notReadyReason(): string | undefined;
  close(): Promise<void>;
  /** Rule ids the stages were built with (graph rules), so their hit series exist from start-up. */
  ruleIds: readonly { id: string; shadow: boolean }[];
}

/** Builds what `overrides` does not give (tests and tools pass their own stages). */
export function configuredStages(config: Config, kafka: Kafka, log: Logger, overrides: Partial<ProcessorStages> = {}, metrics?: Metrics): ConfiguredStages {
  // With the Redis stage the rule engine knows which features exist; a stage given by a test or tool may compute others.
  const specs = overrides.features === undefined ? loadFeatureSpecsSync(config.featuresFile) : undefined;
  const features = overrides.features ?? redisFeatures(config, specs!, metrics);
  const knownFeatures = specs && { names: new Set(specs.features.map((f) => f.name)), source: specs.source };
  const redis = redisHealth(features);
  const instance = replicaId(config.instanceId);
  const ruleEngine = overrides.rules === undefined ? dataRules(config, kafka, log, metrics, instance, knownFeatures) : undefined;
  const rules = overrides.rules ?? ruleEngine!.rules;
  if (overrides.graph !== undefined) {
    return {
      stages: { features, graph: overrides.graph, rules },
      batchRecords: () => [],
      async start() {
        redis.start();
        await ruleEngine?.start();
      },
      notReadyReason: () => redis.reason() ?? ruleEngine?.notReadyReason(),
      async close() {
        redis.stop();
        await ruleEngine?.close();
      },
      ruleIds: [],
    };
  }
  const graphRules = loadGraphRules(config.graphRulesDir);
  const graph = createGraphStage({ rules: graphRules, horizonMs: config.graphHorizon });
  const replicator = new GraphReplicator({
    log: createKafkaReplicationLog({ kafka, groupId: `${config.groupId}.graph.${instance}`, sessionTimeoutMs: config.sessionTimeoutMs }),
    target: graph,
    instanceId: instance,
    linksTopic: config.topicLinks,
    labelsTopic: config.topicLabels,
  });
  return {
    stages: { features, graph, rules },
    batchRecords(events) {
      const links = graph.takeOutgoingLinks(events);
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
      await ruleEngine?.start();
      await replicator.start();
      log.child('graph').info('graph replica started', { instance, rules: config.graphRulesDir });
    },
    notReadyReason: () => redis.reason() ?? ruleEngine?.notReadyReason() ?? (replicator.isCaughtUp() ? undefined : 'graph replica catching up'),
    ruleIds: graphRules.map((rule) => ({ id: rule.id, shadow: rule.shadow })),
    async close() {
      redis.stop();
      await ruleEngine?.close();
      await replicator.close();
    },
  };
}
