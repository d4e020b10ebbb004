import type { FeatureStage } from './index.ts';
import type { RedisClient } from './redis-client.ts';
import type { FeatureSpecs } from './spec.ts';

export interface RedisFeatureStageOptions {
  /** `redis://host:port`, `redis-cluster://host:port,...`, or a client made by createRedisClient (not closed by the stage). */
  redis: string | RedisClient;
  specs: FeatureSpecs;
  /** Events up to this much older than their entity's newest event are counted in their own bucket. Default 300000 (5 min). */
  latenessMs?: number;
  /** Prefix of every key; tests use a unique one. No braces. Default `vigil:`. */
  keyPrefix?: string;
  /**
   * Event ids are remembered (and a redelivery returns its first features) while they are no older than
   * max(longest window of the entity, this) + lateness behind the entity's newest event. Raise it to replay a
   * dataset longer than the longest window twice into the same keys. Default 0.
   */
  dedupRetentionMs?: number;
  /** Wall-clock TTL refreshed on every write of an entity. Default longest window + lateness + 1 day. */
  idleTtlMs?: number;
  /**
   * A Redis round trip of compute(), and ping(), reject with a retriable REDIS_UNAVAILABLE after this long. Default
   * 5000. Keep batches small enough that Redis runs a whole batch's script calls well within it.
   */
  timeoutMs?: number;
  /**
   * Per-command timeout of a client created from a URL. Default twice timeoutMs: the commands of a pipeline wait behind
   * each other on the server, so the last one of a big batch must not time out while Redis is merely busy, and the
   * round trip's own deadline (timeoutMs, judged after a turn of I/O so that a stall of this process is not taken for
   * Redis being late) is the one that decides.
   */
  commandTimeoutMs?: number;
  /**
   * Features are returned only once every write of the batch has reached this many replicas of its master (WAIT
   * after the scripts, in the same pipeline); fewer is a retriable REDIS_UNAVAILABLE, and the retry is deduplicated by
   * event id. With 1 on a cluster with replicas, a failover cannot lose a count that a decision was made with; while a
   * master has no replica, its entities wait. Default 0: replication stays asynchronous (see docs/features.md).
   */
  minReplicas?: number;
  /**
   * Entities whose state this process keeps between batches (once full, an entity replaces the least recently used one
   * only if it was used more often recently: src/features/state-cache.ts). A cached state saves
   * reading it: every write still names the version it was computed from, and one that Redis no longer holds is
   * refused and recomputed from the stored state. Default 50000 (about 3 KB of heap each, measured by bench/features.bench.ts).
   */
  cacheEntities?: number;
  /**
   * The cached states' approximate heap, in bytes (each state's size estimated from its buckets, distinct values and
   * ids): least recently used states are dropped beyond it. Default 256 MiB.
   */
  cacheBytes?: number;
  /** Told the duration of every pipeline round trip (for the Redis round-trip metric). */
  onRoundTrip?: (seconds: number) => void;
}

/** Counters since start-up, for the lead's metrics. Per event, not per entity. */
export interface FeatureStats {
  batches: number;
  events: number;
  /** Pipelines sent: per Redis node, one read and one write per chunk of up to 250 entities of a run, and one more per round of refused writes. */
  roundTrips: number;
  /** Write script calls: one per chunk of a run on a single node (up to 250 entities; 500 in a later round), one per entity on a cluster. */
  scriptCalls: number;
  /** Entity writes Redis refused: it held another version (written by another process), or an id counted here as new. */
  conflicts: number;
  /** Entity states read from Redis because they were not cached here. */
  loads: number;
  /** Entities whose state this process holds now, and their approximate heap bytes. */
  cachedEntities: number;
  cachedBytes: number;
  /** Entity uses (one per entity per batch) whose state was cached here, and those whose state was not. */
  cacheHits: number;
  cacheMisses: number;
  /** Of the misses, states kept in the cache afterwards, and those not kept (used less often than what they would replace). */
  cacheAdmitted: number;
  cacheRefused: number;
  /** Events already counted (redelivered or replayed): their first features were returned. */
  duplicates: number;
  /** Events older than their entity's newest event but within the lateness: counted in their own bucket. */
  lateWithin: number;
  /** Events later than the lateness: counted at (newest - lateness). */
  lateBeyond: number;
  /** Events older than newest - lateness - retention (longest window or dedupRetentionMs): not counted (their ids may be forgotten). */
  stale: number;
  /** Largest lateness seen, ms. */
  maxLatenessMs: number;
}

export interface RedisFeatureStage extends FeatureStage {
  /** Resolves when every Redis master answers; rejects with a retriable REDIS_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  stats(): Readonly<FeatureStats>;
}
