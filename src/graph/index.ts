import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from '../rules/decision.ts';
import type { LabelEvent } from './label-codec.ts';
import type { LinkRecord } from './link-codec.ts';
import { createGraphCore, type GraphStageOptions } from './stage.ts';
import type { EntityGraphStats } from './entity-graph.ts';

/**
 * The knowledge-graph stage: checks every event of a batch against the graph rules (as the graph was
 * before the event) and then records the event's links.
 *
 * Replication: after `check`, each batch publishes `takeOutgoingLinks(its events)` with its decisions; a GraphReplicator feeds other instances' links and all labels into `applyLinks`/`applyLabel`.
 */
export interface GraphStage {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  /** Links recorded by `check` since the last call, in order, to publish on the links topic. */
  drainOutgoingLinks(): readonly LinkRecord[];
  /** The not yet published links of these events (see GraphStageCore.takeOutgoingLinks). */
  takeOutgoingLinks(events: readonly PaymentEvent[]): LinkRecord[];
  /** Links replicated from other instances (applied as they arrive). */
  applyLinks(links: readonly LinkRecord[]): void;
  /** A label event; false when a later label of the same entity is already applied. */
  applyLabel(label: LabelEvent): boolean;
  stats(): EntityGraphStats;
  close(): Promise<void>;
}

export function createGraphStage(options: GraphStageOptions): GraphStage {
  const core = createGraphCore(options);
  return {
    check: core.check,
    drainOutgoingLinks: core.drainOutgoingLinks,
    takeOutgoingLinks: core.takeOutgoingLinks,
    applyLinks: core.applyLinks,
    applyLabel: core.applyLabel,
    stats: core.stats,
    close: async () => {},
  };
}

/** Placeholder until the graph stage lands: no hits. */
export function createNoGraphStage(): GraphStage {
  return {
    check: (events) => events.map(() => []),
    drainOutgoingLinks: () => [],
    takeOutgoingLinks: () => [],
    applyLinks: () => {},
    applyLabel: () => false,
    stats: () => ({ nodes: 0, edges: 0, labels: 0, refusedEdges: 0, prunedEdges: 0, staleLinks: 0 }),
    close: async () => {},
  };
}

export type { GraphStageOptions } from './stage.ts';
export type { EntityGraphStats, DegreeLimits } from './entity-graph.ts';
export { DEFAULT_DEGREE_LIMITS } from './entity-graph.ts';
export type { LabelEvent, LabelDecoding } from './label-codec.ts';
export { decodeLabel, encodeLabel, validateLabel } from './label-codec.ts';
export type { LinkRecord, LinkBatch } from './link-codec.ts';
export { decodeLinkBatch, encodeLinkBatch } from './link-codec.ts';
export type { GraphRule, RuleKind } from './rule-types.ts';
export { loadGraphRules, parseGraphRules } from './rule-file.ts';
export { GraphReplicator, replicaId, type GraphReplicatorOptions, type ReplicatorStats, type ReplicaTarget } from './replicator.ts';
export type { ReplicationLog, LabelPublisher, LogMessage, PartitionOffsets } from './replication-log.ts';
export { createKafkaReplicationLog, type KafkaReplicationLogOptions } from './kafka-log.ts';
export { importLabels, type ImportLabelsOptions, type ImportLabelsResult } from './import-labels.ts';
export { parseDuration } from './duration.ts';
