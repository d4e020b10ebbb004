import type { Kafka } from 'kafkajs';
import type { Config } from '../config/index.ts';
import type { OutgoingRecord } from '../ingest/index.ts';
import { createNoFeatureStage } from '../features/index.ts';
import { GraphReplicator, createGraphStage, createKafkaReplicationLog, encodeLinkBatch, loadGraphRules, replicaId } from '../graph/index.ts';
import { createEventRuleEngine } from '../rules/index.ts';
import type { Logger } from '../log.ts';
import type { ProcessorStages } from './processor.ts';

const LINKS_PER_MESSAGE = 500;

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
}

/** Builds what `overrides` does not give (tests and tools pass their own stages). */
export function configuredStages(config: Config, kafka: Kafka, log: Logger, overrides: Partial<ProcessorStages> = {}): ConfiguredStages {
  if (overrides.graph !== undefined) {
    const rules = overrides.rules ?? eventRules(config);
    return {
      stages: { features: overrides.features ?? createNoFeatureStage(), graph: overrides.graph, rules },
      batchRecords: () => [],
      start: async () => {},
      notReadyReason: () => undefined,
      close: async () => {},
    };
  }
  const graph = createGraphStage({ rules: loadGraphRules(config.graphRulesDir), horizonMs: config.graphHorizon });
  const instance = replicaId(config.instanceId);
  const replicator = new GraphReplicator({
    log: createKafkaReplicationLog({ kafka, groupId: `${config.groupId}.graph.${instance}`, sessionTimeoutMs: config.sessionTimeoutMs }),
    target: graph,
    instanceId: instance,
    linksTopic: config.topicLinks,
    labelsTopic: config.topicLabels,
  });
  return {
    stages: { features: overrides.features ?? createNoFeatureStage(), graph, rules: overrides.rules ?? eventRules(config) },
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
      await replicator.start();
      log.child('graph').info('graph replica started', { instance, rules: config.graphRulesDir });
    },
    notReadyReason: () => (replicator.isCaughtUp() ? undefined : 'graph replica catching up'),
    async close() {
      await replicator.close();
    },
  };
}
