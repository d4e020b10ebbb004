import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { DependencyUnavailableError, ErrorCodes, isRetriable } from '../../src/errors.ts';
import { createRedisClient, createRedisFeatureStage, type RedisClient } from '../../src/features/index.ts';
import { keySlot } from '../../src/features/key-slot.ts';
import { startTestCluster, type RedisClusterHandle } from '../support/redis-cluster.ts';
import { assertAllKeysExpire, assertMatchesModel, deleteKeys } from './velocity-check.ts';
import { PROPERTY_LATENESS_MS, PROPERTY_SPECS, randomBatches } from './velocity-streams.ts';

describe('velocity features on a real 3-master Redis Cluster', () => {
  const prefix = `test:features:cluster:${randomUUID()}:`;
  let cluster: RedisClusterHandle;
  let client: RedisClient;
  before(async () => {
    cluster = await startTestCluster();
    client = createRedisClient(cluster.url);
  });
  after(async () => {
    await client?.quit();
    await cluster?.stop();
  });

  it('computes the same hash slots as the cluster', async () => {
    const node = (client as Cluster).nodes('master')[0];
    assert.ok(node !== undefined);
    for (const key of ['123456789', 'vigil:{card:C1}:c', '{card+terminal:2.C1|T9}:r', 'plain-key', 'ünïcode:{ü}', 'a{}b', '{}x{y}']) {
      assert.equal(keySlot(key), await node.cluster('KEYSLOT', key), key);
    }
  });

  for (const seed of [11, 12, 13]) {
    it(`random streams equal the reference model, entities spread over the masters (seed ${seed})`, async () => {
      const run = await assertMatchesModel(client, `${prefix}${seed}:`, seed);
      assert.equal(run.maxTimesCounted, 1);
      assert.ok((await assertAllKeysExpire(client, `${prefix}${seed}:`)) > 0);
      // one pipeline per master per batch (the batch really was split over several nodes), and one more per node
      // with refused writes (old redeliveries looked up in Redis)
      assert.ok(run.live.roundTrips > run.live.batches, JSON.stringify(run.live));
      assert.ok(run.live.roundTrips <= run.live.batches * 3 * 2 + run.live.conflicts, JSON.stringify(run.live));
    });
  }

  it('sends one read pipeline (entities not cached yet) and one write pipeline per master for a batch touching many entities', async () => {
    const stage = createRedisFeatureStage({ redis: client, specs: PROPERTY_SPECS, latenessMs: PROPERTY_LATENESS_MS, keyPrefix: `${prefix}rt:` });
    const batch = randomBatches(21, 200).flat().slice(0, 100);
    await stage.compute(batch);
    const stats = stage.stats();
    assert.equal(stats.roundTrips, 6);
    assert.equal(stats.loads, stats.cachedEntities);
    assert.ok(stats.scriptCalls > 10, JSON.stringify(stats));
    await deleteKeys(client, prefix);
  });

  it('after a master is killed: retriable REDIS_UNAVAILABLE until its replica takes over, then features again', async () => {
    const stage = createRedisFeatureStage({ redis: client, specs: PROPERTY_SPECS, latenessMs: PROPERTY_LATENESS_MS, keyPrefix: `${prefix}fo:`, timeoutMs: 1500,
      dedupRetentionMs: 3_600_000 }); // every id of the batch stays known, so the retry must return first features
    const batch = randomBatches(31, 100).flat().slice(0, 60);
    const before = await stage.compute(batch);
    const master = (client as Cluster).nodes('master')[0];
    assert.ok(master !== undefined);
    // replication is asynchronous: make sure the replica has this batch, or the failover may lose it
    assert.equal(await master.wait(1, 5000), 1);
    await cluster.killNode(Number(master.options.port));
    let failures = 0;
    let after: Awaited<ReturnType<typeof stage.compute>> | undefined;
    for (let attempt = 0; attempt < 60 && after === undefined; attempt++) {
      try {
        after = await stage.compute(batch); // the same events again: redeliveries
      } catch (error) {
        assert.ok(isRetriable(error), String(error));
        assert.equal((error as DependencyUnavailableError).code, ErrorCodes.REDIS_UNAVAILABLE);
        failures++;
        await sleep(500);
      }
    }
    assert.ok(after !== undefined, 'no recovery after the failover');
    assert.ok(failures > 0, 'the kill was not noticed');
    // the promoted replica has the batch: every event is recognised and gets its first features
    assert.deepStrictEqual(after, before);
  });
});
