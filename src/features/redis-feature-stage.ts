import { Cluster, type ChainableCommander } from 'ioredis';
import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues } from '../rules/decision.ts';
import { ConfigError, DependencyUnavailableError, ErrorCodes } from '../errors.ts';
import { parseConflicts, registerCommitScript, type CommitEntry } from './commit-script.ts';
import { EntityState } from './entity-state.ts';
import { registerLoadScript, statesOf } from './load-script.ts';
import { FeatureObjects } from './feature-object.ts';
import { CoalescingRuns } from './coalescing-runs.ts';
import { countEntityEvents, Status, type EntityReply } from './entity-velocity.ts';
import { entityTag, planFeatures, type EntityPlan } from './plan.ts';
import { createRedisClient, nodeGroupOf, pingRedis, toRedisError, whenReady, withDeadline } from './redis-client.ts';
import type { FeatureStats, RedisFeatureStage, RedisFeatureStageOptions } from './stage-options.ts';
import { StateCache } from './state-cache.ts';

/** One entity's events in a batch, and what counting them gave. */
interface Group {
  readonly plan: EntityPlan;
  readonly tag: string;
  readonly key: string;
  readonly events: number[];
  state: EntityState;
  replies: EntityReply[];
  entry: CommitEntry;
  /** Ids Redis already held, found in earlier rounds of this batch: id, value, … */
  found: string[];
}

/** Entities in one script call on a single node: bounds how long one call holds Redis. */
const MAX_ENTITIES_PER_CALL = 500;
/**
 * Entities read, counted and written together within a run: a run's first round is cut into chunks of this many so
 * that Redis reads and writes one chunk while this process counts another.
 */
const GROUPS_PER_CHUNK = 250;
/** Events counted in one run (several concurrent batches): bounds one run's script calls and its latency. */
const MAX_EVENTS_PER_RUN = 5000;
/** Rounds of refused writes before a batch gives up (retriable): only writers racing on the same entities get there. */
const MAX_COMMIT_ROUNDS = 8;

const FLAG_DUPLICATE = 1;
const FLAG_WITHIN = 2;
const FLAG_BEYOND = 4;
const FLAG_STALE = 8;
const STATUS_FLAGS: Record<Status, number> = {
  [Status.IN_ORDER]: 0,
  [Status.LATE]: FLAG_WITHIN,
  [Status.CLAMPED]: FLAG_BEYOND,
  [Status.STALE]: FLAG_STALE,
  [Status.DUPLICATE]: FLAG_DUPLICATE,
};

function chunksOf<T>(list: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
  return chunks;
}

function replyOf(results: [Error | null, unknown][], index: number): unknown {
  const [error, reply] = results[index] ?? [new Error('missing pipeline reply'), null];
  if (error) throw error;
  return reply;
}

function assertReplicated(reply: [Error | null, unknown] | undefined, minReplicas: number): void {
  const [error, acknowledged] = reply ?? [new Error('missing WAIT reply'), 0];
  if (error) throw error;
  if (typeof acknowledged !== 'number' || acknowledged < minReplicas) {
    throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `feature writes reached ${String(acknowledged)} of ${minReplicas} required Redis replicas`);
  }
}

/**
 * The velocity stage on Redis or a Redis Cluster. Features are computed here from each entity's state (cached
 * between batches); Redis holds the state, one hash per entity, and takes a run's writes in one pipeline per chunk of
 * entities per node through a compare-and-set script, so several processes may share the entities and each count lands exactly once.
 */
export function createRedisFeatureStage(options: RedisFeatureStageOptions): RedisFeatureStage {
  const latenessMs = options.latenessMs ?? 300_000;
  const keyPrefix = options.keyPrefix ?? 'vigil:';
  const timeoutMs = options.timeoutMs ?? 5000;
  const minReplicas = options.minReplicas ?? 0;
  const cacheEntities = options.cacheEntities ?? 50_000;
  const cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
  if (!Number.isSafeInteger(minReplicas) || minReplicas < 0) throw new ConfigError('features.minReplicas', 'must be a non-negative integer');
  if (!Number.isSafeInteger(cacheEntities) || cacheEntities < 0) throw new ConfigError('features.cacheEntities', 'must be a non-negative integer');
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0) throw new ConfigError('features.cacheBytes', 'must be a non-negative integer');
  // WAIT blocks for at most this long, so a missing replica fails the batch well within the stage's own deadline
  const replicaWaitMs = Math.max(50, Math.floor(timeoutMs / 4));
  if (!Number.isSafeInteger(latenessMs) || latenessMs < 0) throw new ConfigError('features.latenessMs', 'must be a non-negative integer');
  if (/[{}]/.test(keyPrefix)) throw new ConfigError('features.keyPrefix', 'must not contain { or } (they make the cluster hash tag)');
  const longest = Math.max(0, ...options.specs.features.map((spec) => spec.windowMs));
  const dedupRetentionMs = options.dedupRetentionMs ?? 0;
  if (!Number.isSafeInteger(dedupRetentionMs) || dedupRetentionMs < 0) throw new ConfigError('features.dedupRetentionMs', 'must be a non-negative integer');
  const idleTtlMs = options.idleTtlMs ?? Math.max(longest, dedupRetentionMs) + latenessMs + 86_400_000;
  const plans = planFeatures(options.specs, { latenessMs, idleTtlMs, dedupRetentionMs });
  if (plans.length > 30) throw new ConfigError('features', `${plans.length} entity kinds: at most 30`);
  const featureObjects = new FeatureObjects(plans);
  const ownsClient = typeof options.redis === 'string';
  const client = typeof options.redis === 'string' ? createRedisClient(options.redis, { commandTimeoutMs: options.commandTimeoutMs ?? 2 * timeoutMs }) : options.redis;
  const script = registerCommitScript(client);
  const loadScript = registerLoadScript(client);
  const isCluster = client instanceof Cluster;
  const cache = new StateCache(cacheEntities, cacheBytes);
  // version tokens: unique to this stage, so a hash that expired and was written anew never matches an old cached one
  const token = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}.`;
  let writes = 0;
  const counters: Omit<FeatureStats, 'cachedEntities' | 'cachedBytes' | 'cacheAdmitted' | 'cacheRefused'> = { batches: 0, events: 0, roundTrips: 0, scriptCalls: 0, conflicts: 0, loads: 0, cacheHits: 0, cacheMisses: 0, duplicates: 0, lateWithin: 0, lateBeyond: 0, stale: 0, maxLatenessMs: 0 };
  /** Of recent cache misses, the share Redis already held (moving average); decides whether misses are read first. */
  let heldShare = 0.5;
  // one run at a time counts every batch waiting, so no two runs ever count into the same state
  const runs = new CoalescingRuns(run, MAX_EVENTS_PER_RUN, (error) => {
    // after a failover the slot map may still name a dead master: re-read it before the callers retry
    if (client instanceof Cluster) client.refreshSlotsCache();
    return toRedisError(error);
  });

  function count(group: Group, events: readonly PaymentEvent[]): void {
    const counted = countEntityEvents(group.plan, group.state, events, group.events);
    group.replies = counted.replies;
    const { sets, deletes, ids } = counted.writes;
    const checks: string[] = [];
    if (counted.writes.checks !== undefined) for (const [idx, list] of counted.writes.checks) checks.push(String(idx), String(list.length), ...list);
    if (sets.length > 0 || deletes.length > 0 || ids.length > 0 || counted.writes.idBucketDeletes.length > 0) sets.unshift('v', token + (writes++).toString(36));
    group.entry = {
      key: group.key,
      expected: group.state.version,
      expire: counted.expire,
      sets,
      deletes,
      ids,
      idBucketDeletes: counted.writes.idBucketDeletes.map(String),
      checks,
      expireIdBuckets: counted.expireIdBuckets.map(String),
    };
  }

  /** Reads the state hashes of entities not cached here (one pipeline per node). */
  async function load(groups: readonly Group[]): Promise<void> {
    await Promise.all(
      byNode(groups).map(async (list) => {
        // one script call for up to MAX_ENTITIES_PER_CALL keys on a single node, one per key on a cluster (slots differ)
        const per = isCluster ? 1 : MAX_ENTITIES_PER_CALL;
        const calls = chunksOf(list, per);
        const results = await send((pipeline) => {
          for (const call of calls) loadScript.queue(pipeline, call.map((group) => group.key));
        });
        counters.loads += list.length;
        calls.forEach((call, c) => {
          const states = statesOf(replyOf(results, c));
          for (let j = 0; j < states.length; j++) (call[j] as Group).state = states[j] as EntityState;
        });
      }),
    );
  }

  /** The groups by the Redis node serving their keys ('' on a single node). */
  function byNode(groups: readonly Group[]): Group[][] {
    const lists = new Map<string, Group[]>();
    for (const group of groups) {
      const node = nodeGroupOf(client, group.key);
      const list = lists.get(node);
      if (list === undefined) lists.set(node, [group]);
      else list.push(group);
    }
    return [...lists.values()];
  }

  /** One pipeline, one round trip, within the deadline (the round trip's: waiting for this process's CPU is not Redis being down). */
  async function send(fill: (pipeline: ChainableCommander) => void): Promise<[Error | null, unknown][]> {
    const pipeline = client.pipeline();
    fill(pipeline);
    const sent = process.hrtime.bigint();
    const results = await withDeadline(pipeline.exec(), timeoutMs);
    options.onRoundTrip?.(Number(process.hrtime.bigint() - sent) / 1e9);
    counters.roundTrips++;
    if (results === null) throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, 'Redis pipeline was discarded');
    return results;
  }

  /** Sends the groups' writes, one pipeline per node; returns the groups Redis refused, recounted from its state. */
  async function commit(groups: readonly Group[], events: readonly PaymentEvent[]): Promise<Group[]> {
    const refused: Group[] = [];
    await Promise.all(
      byNode(groups).map(async (list) => {
        // one script call for up to MAX_ENTITIES_PER_CALL entities on a single node, one per entity on a cluster
        const per = isCluster ? 1 : MAX_ENTITIES_PER_CALL;
        const calls = chunksOf(list, per);
        const results = await send((pipeline) => {
          for (const call of calls) script.queue(pipeline, idleTtlMs, call.map((group) => group.entry));
          if (minReplicas > 0) pipeline.wait(minReplicas, replicaWaitMs);
        });
        counters.scriptCalls += calls.length;
        calls.forEach((call, c) => {
          for (const { index, hash, found } of parseConflicts(replyOf(results, c))) {
            const group = call[index] as Group;
            group.state = EntityState.fromHash(hash);
            // a stored first counting never changes: keep what earlier rounds found, or the recount asks again
            group.found.push(...found);
            for (let i = 0; i + 1 < group.found.length; i += 2) group.state.addFound(group.found[i] as string, group.found[i + 1] as string);
            refused.push(group);
          }
        });
        if (minReplicas > 0) assertReplicated(results[calls.length], minReplicas);
      }),
    );
    counters.conflicts += refused.length;
    for (const group of refused) count(group, events);
    return refused;
  }

  /**
   * The first round of a run, in chunks so that Redis and this process work at the same time: every chunk's read is
   * sent at once, the states at hand are counted and their writes sent while Redis reads the others, and each chunk
   * read is counted and written as it arrives. Returns the groups Redis refused, recounted.
   */
  async function countAndCommit(ready: readonly Group[], toLoad: readonly Group[], events: readonly PaymentEvent[]): Promise<Group[]> {
    const pending: Promise<unknown>[] = [];
    // every promise is awaited below, but a failure stops the loop early: the others must not reject unhandled
    const track = <T>(promise: Promise<T>): Promise<T> => {
      promise.catch(() => undefined);
      pending.push(promise);
      return promise;
    };
    const loadChunks = chunksOf(toLoad, GROUPS_PER_CHUNK);
    const loads = loadChunks.map((chunk) => track(load(chunk)));
    const commits: Promise<Group[]>[] = [];
    const countAndSend = (chunk: readonly Group[]): void => {
      for (const group of chunk) count(group, events);
      commits.push(track(commit(chunk, events)));
    };
    try {
      for (const chunk of chunksOf(ready, GROUPS_PER_CHUNK)) countAndSend(chunk);
      for (let k = 0; k < loads.length; k++) {
        await loads[k];
        countAndSend(loadChunks[k] as Group[]);
      }
      return (await Promise.all(commits)).flat();
    } finally {
      // on failure, nothing in flight may still write to a state the caller's retry reads from Redis
      await Promise.allSettled(pending);
    }
  }

  async function run(events: readonly PaymentEvent[]): Promise<FeatureValues[]> {
    await whenReady(client, timeoutMs);
    const byTag = new Map<string, Group>();
    // for event i and plan p: its group, and its position among the group's events
    const P = plans.length;
    const slotGroup = new Array<Group | undefined>(events.length * P);
    const slotPosition = new Int32Array(events.length * P);
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as PaymentEvent;
      for (let p = 0; p < P; p++) {
        const plan = plans[p] as EntityPlan;
        const tag = entityTag(plan, event);
        if (tag === undefined) continue;
        let group = byTag.get(tag);
        if (group !== undefined) group.events.push(i);
        else byTag.set(tag, (group = { plan, tag, key: `${keyPrefix}{${tag}}:s`, events: [i], state: undefined as unknown as EntityState, replies: [], entry: undefined as unknown as CommitEntry, found: [] }));
        slotGroup[i * P + p] = group;
        slotPosition[i * P + p] = group.events.length - 1;
      }
    }
    const groups = [...byTag.values()];
    try {
      const hits: Group[] = [];
      const missing: Group[] = [];
      for (const group of groups) {
        const cached = cache.get(group.tag);
        if (cached === undefined) missing.push(group);
        else {
          group.state = cached;
          hits.push(group);
        }
      }
      counters.cacheMisses += missing.length;
      counters.cacheHits += hits.length;
      // entities not cached here are read first when most recent misses were in Redis already (a restart, a cache
      // smaller than the active entities), else counted as new, and a refused write brings back the stored state
      const readFirst = missing.length > 0 && heldShare >= 0.5;
      if (!readFirst) {
        for (const group of missing) group.state = new EntityState();
      }
      const refused = readFirst ? await countAndCommit(hits, missing, events) : await countAndCommit(groups, [], events);
      // before any later round: a state read, or brought back by a refusal, has a version when Redis held the entity
      let existed = 0;
      for (const group of missing) if (group.state.version !== '') existed++;
      let pending = refused;
      for (let round = 1; pending.length > 0; round++) {
        if (round === MAX_COMMIT_ROUNDS) {
          throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `the velocity state of ${pending.length} entities kept changing under other writers for ${round} rounds`);
        }
        pending = await commit(pending, events);
      }
      if (missing.length > 0) heldShare = 0.9 * heldShare + 0.1 * (existed / missing.length);
      for (const group of groups) {
        if (group.entry.sets.length > 0) group.state.version = group.entry.sets[1] as string;
        cache.set(group.tag, group.state);
      }
    } catch (error) {
      // what was counted here may or may not be in Redis: forget it, the retry reads what Redis holds
      for (const group of groups) cache.delete(group.tag);
      throw error;
    }

    const features = new Array<FeatureValues>(events.length);
    const flags = new Uint8Array(events.length);
    const outputs = new Array<readonly number[] | undefined>(P);
    for (let i = 0; i < events.length; i++) {
      let mask = 0;
      for (let p = 0; p < P; p++) {
        const group = slotGroup[i * P + p];
        if (group === undefined) {
          outputs[p] = undefined;
          continue;
        }
        const reply = group.replies[slotPosition[i * P + p] as number] as EntityReply;
        flags[i]! |= STATUS_FLAGS[reply.status];
        if (reply.lateMs > counters.maxLatenessMs) counters.maxLatenessMs = reply.lateMs;
        outputs[p] = reply.outputs;
        mask |= 1 << p;
      }
      features[i] = featureObjects.build(mask, outputs);
    }
    counters.events += events.length;
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
      const features = await runs.submit(events);
      counters.batches++;
      return features;
    },
    ping: () => pingRedis(client, timeoutMs),
    stats: () => {
      const { admitted, refused, bytes } = cache.stats();
      return { ...counters, cachedEntities: cache.size, cachedBytes: bytes, cacheAdmitted: admitted, cacheRefused: refused };
    },
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
