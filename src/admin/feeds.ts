import type { Counter, Gauge, Histogram } from 'prom-client';
import type { FeatureStats } from '../features/index.ts';
import { REDIS_ERROR_CODES, REDIS_OPERATIONS } from './labels.ts';

/**
 * How stages feed the metrics without knowing prom-client. The lead passes `metrics.feeds.<stage>`
 * (or the whole `MetricFeeds`) to a stage's constructor; a stage built without one uses `noFeeds`.
 *
 * - features (Redis): `feeds.redis.roundTrip('features', seconds)` after each pipeline. Failed features
 *   calls are already counted by the processor's retry hook (`feeds.redis.error(code)`; unknown codes
 *   count as `other`), so the stage should not count them again.
 * - graph: `feeds.watchGraph(() => graph.stats())` once; read at scrape time only.
 * - features (counters): `feeds.watchFeatures(() => stage.stats())` once; read at scrape time only.
 * - console: `feeds.console.clients(n)` when a client connects or leaves, `feeds.console.dropped(frames)`.
 * - rules: `feeds.rules.reloaded(version, rules)` after every hot reload, `feeds.rules.failed()` when one is
 *   refused; the processor calls `feeds.rules.inUse(version, graph rule ids)` for the rule set it starts with.
 * - live lists: `feeds.lists.watch(() => lists.sizes())` once (read at scrape time), `feeds.lists.applied()` /
 *   `feeds.lists.rejected()` per lists-topic message.
 */
export interface RedisFeed {
  roundTrip(operation: (typeof REDIS_OPERATIONS)[number], seconds: number): void;
  error(code: string): void;
}

export interface ConsoleFeed {
  clients(connected: number): void;
  dropped(frames: number): void;
}

export interface RulesFeed {
  /** This rule set is in use: `vigil_rules_info{version}` and every rule's hit series at zero. Counts nothing. */
  inUse(version: string, rules: readonly { id: string; shadow: boolean }[]): void;
  /** A hot reload succeeded: counts it, then `inUse`. */
  reloaded(version: string, rules: readonly { id: string; shadow: boolean }[]): void;
  failed(): void;
}

export interface ListsFeed {
  /** Registers the live lists' size source, read when Prometheus scrapes. */
  watch(sizes: () => LiveListCounts): void;
  applied(): void;
  rejected(): void;
}

export interface LiveListCounts {
  allow: number;
  block: number;
}

export interface MetricFeeds {
  redis: RedisFeed;
  console: ConsoleFeed;
  rules: RulesFeed;
  lists: ListsFeed;
  /** Registers the graph's size source, read when Prometheus scrapes. */
  watchGraph(size: () => GraphSize): void;
  /** Registers the velocity stage's counters (totals since start-up), read when Prometheus scrapes. */
  watchFeatures(counters: () => FeatureCounters): void;
}

/** The velocity stage's totals the metrics copy (src/features: `stage.stats()`). */
export type FeatureCounters = Pick<
  FeatureStats,
  'cachedEntities' | 'cachedBytes' | 'cacheHits' | 'cacheMisses' | 'cacheAdmitted' | 'cacheRefused' | 'loads' | 'conflicts' | 'duplicates' | 'lateWithin' | 'lateBeyond' | 'stale'
>;

export interface GraphSize {
  nodes: number;
  edges: number;
}

interface FeedTargets {
  redisRoundTrip: Histogram<'operation'>;
  redisErrors: Counter<'code'>;
  consoleClients: Gauge;
  consoleDroppedFrames: Counter;
  ruleReloads: Counter<'result'>;
  rulesInfo: Gauge<'version'>;
  ruleHits: Counter<'rule' | 'shadow'>;
  listChanges: Counter<'result'>;
}

const KNOWN_REDIS_ERRORS: ReadonlySet<string> = new Set(REDIS_ERROR_CODES);

export function createFeeds(graph: { size: () => GraphSize }, features: { counters: () => FeatureCounters | undefined }, liveLists: { sizes: () => LiveListCounts }, m: FeedTargets): MetricFeeds {
  m.consoleClients.set(0);
  const inUse: RulesFeed['inUse'] = (version, rules) => {
    m.rulesInfo.reset();
    m.rulesInfo.set({ version }, 1);
    for (const rule of rules) m.ruleHits.inc({ rule: rule.id, shadow: rule.shadow ? 'true' : 'false' }, 0);
  };

  return {
    redis: {
      roundTrip: (operation, seconds) => m.redisRoundTrip.observe({ operation }, seconds),
      error: (code) => m.redisErrors.inc({ code: KNOWN_REDIS_ERRORS.has(code) ? code : 'other' }),
    },
    console: {
      clients: (connected) => m.consoleClients.set(connected),
      dropped: (frames) => {
        if (frames > 0) m.consoleDroppedFrames.inc(frames);
      },
    },
    rules: {
      inUse,
      reloaded(version, rules) {
        m.ruleReloads.inc({ result: 'success' });
        inUse(version, rules);
      },
      failed: () => m.ruleReloads.inc({ result: 'failure' }),
    },
    lists: {
      watch(sizes) {
        liveLists.sizes = sizes;
      },
      applied: () => m.listChanges.inc({ result: 'applied' }),
      rejected: () => m.listChanges.inc({ result: 'rejected' }),
    },
    watchGraph(size) {
      graph.size = size;
    },
    watchFeatures(counters) {
      features.counters = counters;
    },
  };
}

/** For stages built without metrics (unit tests, tools). */
export const noFeeds: MetricFeeds = {
  redis: { roundTrip: () => {}, error: () => {} },
  console: { clients: () => {}, dropped: () => {} },
  rules: { inUse: () => {}, reloaded: () => {}, failed: () => {} },
  lists: { watch: () => {}, applied: () => {}, rejected: () => {} },
  watchGraph: () => {},
  watchFeatures: () => {},
};
