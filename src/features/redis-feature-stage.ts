import { Cluster } from 'ioredis';
import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues } from '../rules/decision.ts';
import { ConfigError, DependencyUnavailableError, ErrorCodes } from '../errors.ts';
import type { FeatureStage } from './index.ts';
import { entityTag, planFeatures, type EntityPlan } from './plan.ts';
import { createRedisClient, nodeGroupOf, pingRedis, toRedisError, whenReady, withDeadline, type RedisClient } from './redis-client.ts';
import type { FeatureSpecs } from './spec.ts';
import { registerVelocityScript } from './velocity-script.ts';

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
   * compute() and ping() reject with a retriable REDIS_UNAVAILABLE after this long. Default 5000. Keep batches small
   * enough that Redis runs a whole batch's scripts well within it (see docs/features.md for measured costs).
   */
  timeoutMs?: number;
  /**
   * Per-command timeout of a client created from a URL. Default timeoutMs: the commands of a pipeline wait behind
   * each other on the server, so the last one of a big batch must not time out while Redis is merely busy.
   */
  commandTimeoutMs?: number;
  /**
   * Features are returned only once every write of the batch has reached this many replicas of its master (WAIT
   * after the scripts, in the same pipeline); fewer is a retriable REDIS_UNAVAILABLE, and the retry is deduplicated by
   * event id. With 1 on a cluster with replicas, a failover cannot lose a count that a decision was made with; while a
   * master has no replica, its entities wait. Default 0: replication stays asynchronous (see docs/features.md).
   */
  minReplicas?: number;
  /** Told the duration of every pipeline round trip (for the Redis round-trip metric). */
  onRoundTrip?: (seconds: number) => void;
}

/** Counters since start-up, for the lead's metrics. Per event, not per entity. */
export interface FeatureStats {
  batches: number;
  events: number;
  /** Pipelines sent: one per Redis node per batch. */
  roundTrips: number;
  /** Script calls: one per entity per batch on a cluster, one per entity kind (up to 200 entities) on one node. */
  scriptCalls: number;
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

interface Group {
  plan: EntityPlan;
  tag: string;
  events: number[];
}

/** Entities of one kind in one script call on a single node: bounds how long one call holds Redis. */
const MAX_ENTITIES_PER_CALL = 200;

interface Call {
  plan: EntityPlan;
  groups: Group[];
}

const FLAG_DUPLICATE = 1;
const FLAG_WITHIN = 2;
const FLAG_BEYOND = 4;
const FLAG_STALE = 8;
/** By the script's status code: 0 in order, 1 late within the lateness, 2 clamped, 3 stale, 4 duplicate. */
const STATUS_FLAGS: readonly number[] = [0, FLAG_WITHIN, FLAG_BEYOND, FLAG_STALE, FLAG_DUPLICATE];

function assertReplicated(reply: [Error | null, unknown] | undefined, minReplicas: number): void {
  const [error, acknowledged] = reply ?? [new Error('missing WAIT reply'), 0];
  if (error) throw error;
  if (typeof acknowledged !== 'number' || acknowledged < minReplicas) {
    throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `feature writes reached ${String(acknowledged)} of ${minReplicas} required Redis replicas`);
  }
}

/** The velocity stage on Redis or a Redis Cluster: one pipelined script call per entity, one pipeline per node. */
export function createRedisFeatureStage(options: RedisFeatureStageOptions): RedisFeatureStage {
  const latenessMs = options.latenessMs ?? 300_000;
  const keyPrefix = options.keyPrefix ?? 'vigil:';
  const timeoutMs = options.timeoutMs ?? 5000;
  const minReplicas = options.minReplicas ?? 0;
  if (!Number.isSafeInteger(minReplicas) || minReplicas < 0) throw new ConfigError('features.minReplicas', 'must be a non-negative integer');
  // WAIT blocks for at most this long, so a missing replica fails the batch well within the stage's own deadline
  const replicaWaitMs = Math.max(50, Math.floor(timeoutMs / 4));
  if (!Number.isSafeInteger(latenessMs) || latenessMs < 0) throw new ConfigError('features.latenessMs', 'must be a non-negative integer');
  if (/[{}]/.test(keyPrefix)) throw new ConfigError('features.keyPrefix', 'must not contain { or } (they make the cluster hash tag)');
  const longest = Math.max(0, ...options.specs.features.map((spec) => spec.windowMs));
  const dedupRetentionMs = options.dedupRetentionMs ?? 0;
  if (!Number.isSafeInteger(dedupRetentionMs) || dedupRetentionMs < 0) throw new ConfigError('features.dedupRetentionMs', 'must be a non-negative integer');
  const idleTtlMs = options.idleTtlMs ?? Math.max(longest, dedupRetentionMs) + latenessMs + 86_400_000;
  const plans = planFeatures(options.specs, { latenessMs, idleTtlMs, dedupRetentionMs });
  const ownsClient = typeof options.redis === 'string';
  const client = typeof options.redis === 'string' ? createRedisClient(options.redis, { commandTimeoutMs: options.commandTimeoutMs ?? timeoutMs }) : options.redis;
  const script = registerVelocityScript(client);
  const isCluster = client instanceof Cluster;
  const counters: FeatureStats = { batches: 0, events: 0, roundTrips: 0, scriptCalls: 0, duplicates: 0, lateWithin: 0, lateBeyond: 0, stale: 0, maxLatenessMs: 0 };

  async function run(events: readonly PaymentEvent[]): Promise<FeatureValues[]> {
    await whenReady(client, timeoutMs);
    const groups = new Map<string, Group>();
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as PaymentEvent;
      for (const plan of plans) {
        const tag = entityTag(plan, event);
        if (tag === undefined) continue;
        let group = groups.get(tag);
        if (group === undefined) groups.set(tag, (group = { plan, tag, events: [] }));
        group.events.push(i);
      }
    }
    // One call per entity on a cluster (an entity's keys share one slot), one call per entity kind on a single node.
    const byNode = new Map<string, Call[]>();
    let scriptCalls = 0;
    for (const group of groups.values()) {
      const node = nodeGroupOf(client, keyPrefix + '{' + group.tag + '}');
      let calls = byNode.get(node);
      if (calls === undefined) byNode.set(node, (calls = []));
      const open = isCluster ? undefined : calls.find((call) => call.plan === group.plan && call.groups.length < MAX_ENTITIES_PER_CALL);
      if (open !== undefined) open.groups.push(group);
      else {
        calls.push({ plan: group.plan, groups: [group] });
        scriptCalls++;
      }
    }
    const replies = await Promise.all(
      [...byNode.values()].map(async (calls) => {
        const pipeline = client.pipeline();
        for (const call of calls) {
          const keys: string[] = [];
          const argv = [...call.plan.header, String(call.groups.length)];
          for (const group of call.groups) {
            const base = keyPrefix + '{' + group.tag + '}';
            keys.push(base + ':c', base + ':i', base + ':r');
            argv.push(String(group.events.length));
            for (const index of group.events) {
              const event = events[index] as PaymentEvent;
              argv.push(event.id, String(event.ts), String(event.amount));
              for (const field of call.plan.distinctFields) argv.push(event[field] ?? '');
            }
          }
          script.queue(pipeline, keys, argv);
        }
        if (minReplicas > 0) pipeline.wait(minReplicas, replicaWaitMs);
        const sent = process.hrtime.bigint();
        const results = await pipeline.exec();
        options.onRoundTrip?.(Number(process.hrtime.bigint() - sent) / 1e9);
        if (results === null) throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, 'Redis pipeline was discarded');
        if (minReplicas > 0) assertReplicated(results[calls.length], minReplicas);
        return { calls, results };
      }),
    );

    const features: FeatureValues[] = events.map(() => ({}));
    const flags = new Uint8Array(events.length);
    for (const { calls, results } of replies) {
      calls.forEach((call, c) => {
        const [error, reply] = results[c] ?? [new Error('missing pipeline reply'), null];
        if (error) throw error;
        const lines = reply as number[][];
        let line = 0;
        for (const group of call.groups) {
          for (const index of group.events) {
            const parts = lines[line++] as number[];
            flags[index]! |= STATUS_FLAGS[parts[0] as number] ?? 0;
            const late = parts[1] as number;
            if (late > counters.maxLatenessMs) counters.maxLatenessMs = late;
            const target = features[index] as FeatureValues;
            for (const read of call.plan.reads) {
              const value = parts[read.output + 2] as number;
              if (read.countOutput === undefined) target[read.name] = value;
              else {
                const count = parts[read.countOutput + 2] as number;
                target[read.name] = count === 0 ? 0 : value / count;
              }
            }
          }
        }
      });
    }
    counters.batches++;
    counters.events += events.length;
    counters.roundTrips += byNode.size;
    counters.scriptCalls += scriptCalls;
    for (const flag of flags) {
      if (flag & FLAG_DUPLICATE) counters.duplicates++;
      if (flag & FLAG_STALE) counters.stale++;
      else if (flag & FLAG_BEYOND) counters.lateBeyond++;
      else if (flag & FLAG_WITHIN) counters.lateWithin++;
    }
    return features;
  }

  return {
    featureNames: options.specs.features.map((spec) => spec.name),
    async compute(events) {
      if (events.length === 0) return [];
      try {
        return await withDeadline(run(events), timeoutMs);
      } catch (error) {
        // after a failover the slot map may still name a dead master: re-read it before the caller retries
        if (client instanceof Cluster) client.refreshSlotsCache();
        throw toRedisError(error);
      }
    },
    ping: () => pingRedis(client, timeoutMs),
    stats: () => ({ ...counters }),
    async close() {
      if (!ownsClient) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
