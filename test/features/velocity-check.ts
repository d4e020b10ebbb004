import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Cluster } from 'ioredis';
import { createRedisClient, createRedisFeatureStage, type FeatureStats, type RedisClient } from '../../src/features/index.ts';
import { REDIS_URL } from '../support/env.ts';
import { VelocityModel } from './velocity-model.ts';
import { PROPERTY_LATENESS_MS, PROPERTY_SPECS, randomBatches, rebatch } from './velocity-streams.ts';

export interface StreamRun {
  live: FeatureStats;
  /** Stats of the second pass only (the same events replayed). */
  replay: FeatureStats;
  maxTimesCounted: number;
}

/**
 * Runs a random stream through Redis and through the reference model, then replays the whole stream in other
 * batches; every event's features must be equal, in both passes.
 */
export async function assertMatchesModel(client: RedisClient, prefix: string, seed: number, dedupRetentionMs = 0): Promise<StreamRun> {
  const options = { redis: client, specs: PROPERTY_SPECS, latenessMs: PROPERTY_LATENESS_MS, keyPrefix: prefix, dedupRetentionMs };
  const stage = createRedisFeatureStage(options);
  const model = new VelocityModel(PROPERTY_SPECS, PROPERTY_LATENESS_MS, dedupRetentionMs);
  const live = randomBatches(seed, 400);
  const passes = [['live', live], ['replay', rebatch(live, 37)]] as const;
  const stats: FeatureStats[] = [];
  for (const [pass, batches] of passes) {
    const replayStage = createRedisFeatureStage(options); // fresh counters per pass, same keys
    for (const [b, batch] of batches.entries()) {
      const actual = await (pass === 'live' ? stage : replayStage).compute(batch);
      const expected = model.process(batch);
      for (let i = 0; i < batch.length; i++) {
        assert.deepStrictEqual(actual[i], expected[i], `seed ${seed}, ${pass} batch ${b}, event ${batch[i]?.id} (ts ${batch[i]?.ts})`);
      }
    }
    stats.push((pass === 'live' ? stage : replayStage).stats());
  }
  return { live: stats[0] as FeatureStats, replay: stats[1] as FeatureStats, maxTimesCounted: Math.max(...model.timesCounted.values()) };
}

/** A Redis client for the suite; the keys under its prefix are deleted afterwards. */
export function redisPerSuite(prefix: string, use: (client: RedisClient) => void): void {
  let client: RedisClient;
  before(() => use((client = createRedisClient(REDIS_URL))));
  after(async () => {
    await deleteKeys(client, prefix);
    await client.quit();
  });
}

export async function deleteKeys(client: RedisClient, prefix: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}

/** Every key under the prefix has a TTL, so an entity that goes quiet is eventually forgotten. */
export async function assertAllKeysExpire(client: RedisClient, prefix: string): Promise<number> {
  let keys = 0;
  for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of found) {
        keys++;
        assert.ok((await node.pttl(key)) > 0, `${key} has no TTL`);
      }
    } while (cursor !== '0');
  }
  return keys;
}
