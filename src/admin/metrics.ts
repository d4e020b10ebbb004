import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../rules/decision.ts';
import { FixedHistogram } from './fixed-histogram.ts';
import { createFeeds, type FeatureCounters, type GraphSize, type LiveListCounts, type MetricFeeds } from './feeds.ts';
import {
  BATCH_SIZE_BUCKETS,
  DEAD_LETTER_CODES,
  DEPENDENCIES,
  LATENCY_BUCKETS,
  LATENCY_ORIGINS,
  LIST_CHANGE_RESULTS,
  LIVE_LISTS,
  OUTCOMES,
  REDIS_ERROR_CODES,
  REDIS_OPERATIONS,
  RELOAD_RESULTS,
  STAGES,
} from './labels.ts';


export type { Outcome, Stage } from './labels.ts';

/** Metric handles, created once per process and passed in (no global registry). */
export interface Metrics {
  registry: Registry;
  events: Counter<'outcome'>;
  deadLetters: Counter<'code'>;
  batchSize: Histogram;
  /** Per-event hot path: use `recordDecisions`, which resolves the series once. */
  decisionLatency: FixedHistogram<(typeof LATENCY_ORIGINS)[number]>;
  stageSeconds: Histogram<'stage'>;
  dependencyRetries: Counter<'dependency'>;
  ruleHits: Counter<'rule' | 'shadow'>;
  consumerLag: Gauge<'topic' | 'partition'>;
  redisRoundTrip: Histogram<'operation'>;
  redisErrors: Counter<'code'>;
  graphNodes: Gauge;
  graphEdges: Gauge;
  consoleClients: Gauge;
  consoleDroppedFrames: Counter;
  ruleReloads: Counter<'result'>;
  rulesInfo: Gauge<'version'>;
  liveListEntries: Gauge<'list'>;
  listChanges: Counter<'result'>;
  ready: Gauge;
  /** `vigil_ready` is read from `probe` at scrape time (the same answer as /readyz), once the processor gives one. */
  watchReady(probe: () => boolean): void;
  /** Narrow, prom-client-free doors for the stages (features, graph, rules, console): see feeds.ts. */
  feeds: MetricFeeds;
  /** Counts a batch's decisions (outcomes, rule hits) and their latencies; per batch, no per-event labels. */
  recordDecisions(decisions: readonly Decision[], fromIngestSeconds: number, producedAtMs: number): void;
  /** Consumer lag of one partition after a batch: high watermark minus the next offset to consume. */
  recordLag(topic: string, partition: number, lag: number): void;
  /** Forgets every partition's lag (on rebalance, so revoked partitions stop reporting a stale lag). */
  forgetLag(): void;
}

export interface MetricsOptions {
  /** Process, heap, event-loop and GC metrics (prom-client's defaults, prefixed `vigil_`). Default true. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
    // Gauges named *_total fail `promtool check metrics`; each is the sum of the per-type gauge beside it
    // (e.g. sum(vigil_nodejs_active_handles)), so nothing is lost.
    for (const name of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`vigil_nodejs_active_${name}_total`);
  }
  const registers = [registry];
  const buckets = [...LATENCY_BUCKETS];

  const events = new Counter({ name: 'vigil_events_total', help: 'Payment events processed, by outcome (allow, review, block, invalid).', labelNames: ['outcome'], registers });
  const deadLetters = new Counter({ name: 'vigil_dead_letters_total', help: 'Messages sent to the dead-letter topic, by error code.', labelNames: ['code'], registers });
  const batchSize = new Histogram({ name: 'vigil_batch_size_messages', help: 'Messages per processed batch.', buckets: [...BATCH_SIZE_BUCKETS], registers });
  const decisionLatency = new FixedHistogram({
    name: 'vigil_decision_latency_seconds',
    help: 'Time until a decision is acknowledged by Kafka, from event time (from="event") or from ingest of its batch (from="ingest").',
    buckets,
    labelName: 'from',
    labelValues: LATENCY_ORIGINS,
    registry,
  });
  const stageSeconds = new Histogram({ name: 'vigil_stage_duration_seconds', help: 'Processing time of one batch in each stage.', labelNames: ['stage'], buckets, registers });
  const dependencyRetries = new Counter({ name: 'vigil_dependency_retries_total', help: 'Batch attempts retried because a dependency (redis, kafka) was unavailable.', labelNames: ['dependency'], registers });
  const ruleHits = new Counter({ name: 'vigil_rule_hits_total', help: 'Rule hits by rule id; shadow="true" for shadow rules, which never change a decision.', labelNames: ['rule', 'shadow'], registers });
  const consumerLag = new Gauge({ name: 'vigil_consumer_lag_messages', help: 'Messages behind the partition high watermark after the last batch, per assigned partition.', labelNames: ['topic', 'partition'], registers });
  const redisRoundTrip = new Histogram({ name: 'vigil_redis_round_trip_seconds', help: 'Redis round-trip time of one pipeline or command, by operation.', labelNames: ['operation'], buckets, registers });
  const redisErrors = new Counter({ name: 'vigil_redis_errors_total', help: 'Failed Redis round trips, by error code.', labelNames: ['code'], registers });
  // Read from the graph's own counters when Prometheus scrapes, never on the hot path.
  const graph: { size: () => GraphSize } = { size: () => ({ nodes: 0, edges: 0 }) };
  const graphNodes = new Gauge({ name: 'vigil_graph_nodes', help: 'Entities (nodes) in the in-memory knowledge graph.', registers, collect() { this.set(graph.size().nodes); } });
  const graphEdges = new Gauge({ name: 'vigil_graph_edges', help: 'Links (edges) in the in-memory knowledge graph.', registers, collect() { this.set(graph.size().edges); } });
  const features: { counters: () => FeatureCounters | undefined } = { counters: () => undefined };
  registerFeatureMetrics(registers, () => features.counters());
  const consoleClients = new Gauge({ name: 'vigil_console_clients', help: 'WebSocket clients connected to the analyst console.', registers });
  const consoleDroppedFrames = new Counter({ name: 'vigil_console_dropped_frames_total', help: 'Console frames dropped because a client was too slow (backpressure).', registers });
  const ruleReloads = new Counter({ name: 'vigil_rule_reloads_total', help: 'Rule-set reloads, by result (success, failure).', labelNames: ['result'], registers });
  const rulesInfo = new Gauge({ name: 'vigil_rules_info', help: 'Always 1; the label carries the version of the rule set in use.', labelNames: ['version'], registers });
  const liveLists: { sizes: () => LiveListCounts } = { sizes: () => ({ allow: 0, block: 0 }) };
  const liveListEntries = new Gauge({
    name: 'vigil_live_list_entries',
    help: 'Entries of the live allow / block lists (changes read from the lists topic), by list.',
    labelNames: ['list'],
    registers,
    collect() {
      const sizes = liveLists.sizes();
      for (const list of LIVE_LISTS) this.set({ list }, sizes[list]);
    },
  });
  const listChanges = new Counter({ name: 'vigil_list_changes_total', help: 'Messages of the lists topic applied to the live lists, or rejected as malformed, by result.', labelNames: ['result'], registers });
  let readyProbe: (() => boolean) | undefined;
  const ready = new Gauge({
    name: 'vigil_ready',
    help: '1 when the processor consumes and its dependencies answer.',
    registers,
    collect() {
      if (readyProbe !== undefined) this.set(readyProbe() ? 1 : 0);
    },
  });

  for (const outcome of OUTCOMES) events.inc({ outcome }, 0);
  for (const code of DEAD_LETTER_CODES) deadLetters.inc({ code }, 0);
  for (const stage of STAGES) stageSeconds.zero({ stage });
  for (const dependency of DEPENDENCIES) dependencyRetries.inc({ dependency }, 0);
  for (const operation of REDIS_OPERATIONS) redisRoundTrip.zero({ operation });
  for (const code of REDIS_ERROR_CODES) redisErrors.inc({ code }, 0);
  for (const result of RELOAD_RESULTS) ruleReloads.inc({ result }, 0);
  for (const result of LIST_CHANGE_RESULTS) listChanges.inc({ result }, 0);
  ready.set(0);

  const ingestLatency = decisionLatency.cell('ingest');
  const eventLatency = decisionLatency.cell('event');
  // Reused per batch: rule id → hits in this batch, one map per shadow flag.
  const liveHits = new Map<string, number>();
  const shadowHits = new Map<string, number>();
  const flushHits = (hits: Map<string, number>, shadow: 'true' | 'false') => {
    for (const [rule, n] of hits) ruleHits.inc({ rule, shadow }, n);
    hits.clear();
  };

  const feeds = createFeeds(graph, features, liveLists, { redisRoundTrip, redisErrors, consoleClients, consoleDroppedFrames, ruleReloads, rulesInfo, ruleHits, listChanges });

  return {
    registry,
    events,
    deadLetters,
    batchSize,
    decisionLatency,
    stageSeconds,
    dependencyRetries,
    ruleHits,
    consumerLag,
    redisRoundTrip,
    redisErrors,
    graphNodes,
    graphEdges,
    consoleClients,
    consoleDroppedFrames,
    ruleReloads,
    rulesInfo,
    liveListEntries,
    listChanges,
    ready,
    watchReady(probe) {
      readyProbe = probe;
    },
    feeds,
    recordDecisions(decisions, fromIngestSeconds, producedAtMs) {
      if (decisions.length === 0) return;
      let allow = 0;
      let review = 0;
      let block = 0;
      for (const decision of decisions) {
        if (decision.decision === 'allow') allow++;
        else if (decision.decision === 'review') review++;
        else block++;
        eventLatency.observe(Math.max(0, producedAtMs - decision.ts) / 1000);
        for (const reason of decision.reasons) {
          const hits = reason.shadow === true ? shadowHits : liveHits;
          hits.set(reason.rule, (hits.get(reason.rule) ?? 0) + 1);
        }
      }
      ingestLatency.observeMany(fromIngestSeconds, decisions.length);
      if (allow > 0) events.inc({ outcome: 'allow' }, allow);
      if (review > 0) events.inc({ outcome: 'review' }, review);
      if (block > 0) events.inc({ outcome: 'block' }, block);
      if (liveHits.size > 0) flushHits(liveHits, 'false');
      if (shadowHits.size > 0) flushHits(shadowHits, 'true');
    },
    recordLag(topic, partition, lag) {
      consumerLag.set({ topic, partition: String(partition) }, Math.max(0, lag));
    },
    forgetLag() {
      consumerLag.reset();
    },
  };
}

/** Before a velocity stage registers (or without the Redis one): every series at zero, so dashboards have data. */
const NO_FEATURE_COUNTERS: FeatureCounters = { cachedEntities: 0, cachedBytes: 0, cacheHits: 0, cacheMisses: 0, cacheAdmitted: 0, cacheRefused: 0, loads: 0, conflicts: 0, duplicates: 0, lateWithin: 0, lateBeyond: 0, stale: 0 };

/** The velocity stage's own totals, copied from its counters when Prometheus scrapes (nothing on the hot path). */
function registerFeatureMetrics(registers: Registry[], readStage: () => FeatureCounters | undefined): void {
  const read = () => readStage() ?? NO_FEATURE_COUNTERS;
  const total = (name: string, help: string, value: (c: FeatureCounters) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(value(read()));
      },
    });
  const byLabel = <L extends string>(name: string, help: string, labelName: L, values: Record<string, (c: FeatureCounters) => number>) =>
    new Counter({
      name,
      help,
      labelNames: [labelName],
      registers,
      collect() {
        const counters = read();
        this.reset();
        for (const [label, value] of Object.entries(values)) this.inc({ [labelName]: label } as Record<L, string>, value(counters));
      },
    });
  new Gauge({
    name: 'vigil_features_cached_entities',
    help: 'Entity states the velocity stage holds in memory (VIGIL_FEATURES_CACHE_ENTITIES bounds it).',
    registers,
    collect() {
      this.set(read().cachedEntities);
    },
  });
  new Gauge({
    name: 'vigil_features_cached_bytes',
    help: 'Approximate heap bytes of the entity states the velocity stage holds (VIGIL_FEATURES_CACHE_MB bounds it).',
    registers,
    collect() {
      this.set(read().cachedBytes);
    },
  });
  byLabel('vigil_features_cache_lookups_total', 'Entity uses of the velocity stage (one per entity per batch) whose state was cached here (hit) or not (miss).', 'result', {
    hit: (c) => c.cacheHits,
    miss: (c) => c.cacheMisses,
  });
  byLabel('vigil_features_cache_admissions_total', 'Missed entity states kept in the cache afterwards (admitted) or not, being used less often than the state they would replace (refused).', 'result', {
    admitted: (c) => c.cacheAdmitted,
    refused: (c) => c.cacheRefused,
  });
  total('vigil_features_state_loads_total', 'Entity states read from Redis because they were not cached here.', (c) => c.loads);
  total('vigil_features_write_conflicts_total', 'Entity writes Redis refused (another process changed the state): recounted from the stored state.', (c) => c.conflicts);
  total('vigil_features_duplicate_events_total', 'Events already counted (redelivered or replayed): their first features were returned.', (c) => c.duplicates);
  byLabel('vigil_features_late_events_total', 'Events older than their entity\'s newest: counted in their own bucket (within the lateness), at the lateness bound (beyond), or not counted (stale).', 'kind', {
    within: (c) => c.lateWithin,
    beyond: (c) => c.lateBeyond,
    stale: (c) => c.stale,
  });
}
