export { createMetrics, type Metrics, type MetricsOptions } from './metrics.ts';
export {
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
  type Outcome,
  type Stage,
} from './labels.ts';
export { noFeeds, type ConsoleFeed, type GraphSize, type ListsFeed, type LiveListCounts, type MetricFeeds, type RedisFeed, type RulesFeed } from './feeds.ts';
export { FixedHistogram, type HistogramCell } from './fixed-histogram.ts';
export { startAdminServer, type AdminServerOptions } from './server.ts';
