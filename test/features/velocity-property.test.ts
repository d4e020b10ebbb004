import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRedisFeatureStage, parseFeatureSpecs, type RedisClient } from '../../src/features/index.ts';
import { VelocityModel } from './velocity-model.ts';
import { PROPERTY_LATENESS_MS, PROPERTY_SPECS, random, randomBatches } from './velocity-streams.ts';
import { assertAllKeysExpire, assertMatchesModel, redisPerSuite } from './velocity-check.ts';

describe('velocity features on Redis equal the reference model', () => {
  const prefix = `test:features:property:${randomUUID()}:`;
  let client: RedisClient;
  redisPerSuite(prefix, (c) => (client = c));

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random stream with redeliveries, late and stale events, replayed twice (seed ${seed})`, async () => {
      const run = await assertMatchesModel(client, `${prefix}${seed}:`, seed);
      assert.equal(run.maxTimesCounted, 1, 'the reference model counted an event id twice');
      assert.ok((await assertAllKeysExpire(client, `${prefix}${seed}:`)) > 0);
      // the stream exercised what it claims to
      assert.ok(run.live.duplicates > 0 && run.live.lateWithin > 0 && run.live.lateBeyond > 0 && run.live.stale > 0, JSON.stringify(run.live));
      // the replay found the events it could still recognise (the others are stale: too old to be counted again)
      assert.ok(run.replay.duplicates > 0, JSON.stringify(run.replay));
      // one write round trip per batch, one read before it when the batch has entities not cached here, and one more
      // per round of refused writes: a redelivery older than the id cache is looked up in Redis, found, and recounted
      assert.ok(run.live.roundTrips >= run.live.batches && run.live.roundTrips <= 2 * run.live.batches + run.live.conflicts, JSON.stringify(run.live));
      assert.ok(run.live.loads > 0 && run.replay.loads > 0, JSON.stringify([run.live, run.replay]));
      // a single stage on its own keys is refused only for redeliveries Redis vouched for: at most one refusal per
      // entity of a duplicate event (4 entity kinds)
      assert.ok(run.live.conflicts > 0 && run.live.conflicts <= 4 * run.live.duplicates, JSON.stringify(run.live));
    });
  }

  it('replay with ids kept longer than the stream returns every event\'s first features', async () => {
    const run = await assertMatchesModel(client, `${prefix}long:`, 6, 3_600_000);
    assert.equal(run.maxTimesCounted, 1);
    assert.equal(run.replay.duplicates, run.replay.events);
  });
});

describe('adding features to an entity that is already counted', () => {
  const prefix = `test:features:respec:${randomUUID()}:`;
  const head = 'version: 1\nfeatures:\n  - entity: card\n    aggregates: [count, distinct_terminal]\n    windows: [1m]\n    buckets: 30\n';
  // same 2 s buckets, fewer of them: the new windows are built from buckets the first spec keeps
  const more = `${head}  - entity: card\n    aggregates: [sum_amount, distinct_terminal]\n    windows: [40s]\n    buckets: 20\n`;
  let client: RedisClient;
  redisPerSuite(prefix, (c) => (client = c));

  it('gives the new features their full values at once, built from the kept buckets', async () => {
    const specsA = parseFeatureSpecs(head, 'a');
    const specsB = parseFeatureSpecs(more, 'b');
    const batches = randomBatches(41, 300);
    const modelA = new VelocityModel(specsA, PROPERTY_LATENESS_MS);
    const modelB = new VelocityModel(specsB, PROPERTY_LATENESS_MS);
    const stageA = createRedisFeatureStage({ redis: client, specs: specsA, latenessMs: PROPERTY_LATENESS_MS, keyPrefix: prefix });
    const stageB = createRedisFeatureStage({ redis: client, specs: specsB, latenessMs: PROPERTY_LATENESS_MS, keyPrefix: prefix });
    const half = Math.floor(batches.length / 2);
    let checked = 0;
    for (const [b, batch] of batches.entries()) {
      const expectedB = modelB.process(batch);
      const expectedA = modelA.process(batch);
      const actual = await (b < half ? stageA : stageB).compute(batch);
      assert.deepStrictEqual(actual, b < half ? expectedA : expectedB, `batch ${b}`);
      if (b >= half) checked += batch.length;
    }
    assert.ok(checked > 50);
  });
});

describe('velocity state shared and cached', () => {
  const prefix = `test:features:shared:${randomUUID()}:`;
  let client: RedisClient;
  redisPerSuite(prefix, (c) => (client = c));
  const options = (keyPrefix: string, cacheEntities?: number) => ({
    redis: client,
    specs: PROPERTY_SPECS,
    latenessMs: PROPERTY_LATENESS_MS,
    keyPrefix,
    ...(cacheEntities === undefined ? {} : { cacheEntities }),
  });

  it('two stages on the same entities (two processes) taking turns equal the reference model: stale cached writes are refused and recounted', async () => {
    const a = createRedisFeatureStage(options(`${prefix}turns:`));
    const b = createRedisFeatureStage(options(`${prefix}turns:`));
    const model = new VelocityModel(PROPERTY_SPECS, PROPERTY_LATENESS_MS);
    const rng = random(77);
    for (const [n, batch] of randomBatches(77, 400).entries()) {
      const stage = rng() < 0.5 ? a : b;
      assert.deepStrictEqual(await stage.compute(batch), model.process(batch), `batch ${n}`);
    }
    assert.ok(a.stats().conflicts > 0 && b.stats().conflicts > 0, JSON.stringify([a.stats(), b.stats()]));
    assert.equal(Math.max(...model.timesCounted.values()), 1);
  });

  it('runs of thousands of entities (read, counted and written in chunks) by two stages taking turns, one with a cache smaller than a run, equal the reference model', async () => {
    const shape = { accounts: 600, cards: 2000, terminals: 50, devices: 400, meanGapMs: 20, batchEndChance: 1 / 1500 };
    const a = createRedisFeatureStage(options(`${prefix}chunks:`));
    const b = createRedisFeatureStage(options(`${prefix}chunks:`, 500));
    const model = new VelocityModel(PROPERTY_SPECS, PROPERTY_LATENESS_MS);
    const batches = randomBatches(80, 9000, shape);
    for (const [n, batch] of batches.entries()) {
      assert.deepStrictEqual(await (n % 2 === 0 ? a : b).compute(batch), model.process(batch), `batch ${n}`);
    }
    assert.ok(batches.length >= 4, `${batches.length} batches`);
    // the writes of each stage made the other's cached states stale, and the small cache read states back
    assert.ok(a.stats().conflicts > 250 && b.stats().conflicts > 250 && b.stats().loads > 1000, JSON.stringify([a.stats(), b.stats()]));
    assert.equal(Math.max(...model.timesCounted.values()), 1);
  });

  it('batches computed concurrently on one stage count each entity\'s events in call order', async () => {
    const stage = createRedisFeatureStage(options(`${prefix}concurrent:`));
    const model = new VelocityModel(PROPERTY_SPECS, PROPERTY_LATENESS_MS);
    const batches = randomBatches(78, 400);
    for (let i = 0; i + 1 < batches.length; i += 3) {
      const group = batches.slice(i, i + 3);
      const actual = await Promise.all(group.map((batch) => stage.compute(batch)));
      assert.deepStrictEqual(actual, group.map((batch) => model.process(batch)), `batches ${i}..${i + group.length - 1}`);
    }
  });

  it('a cache smaller than the entities of a batch still equals the reference model', async () => {
    const stage = createRedisFeatureStage(options(`${prefix}tiny:`, 1));
    const model = new VelocityModel(PROPERTY_SPECS, PROPERTY_LATENESS_MS);
    for (const [n, batch] of randomBatches(79, 300).entries()) assert.deepStrictEqual(await stage.compute(batch), model.process(batch), `batch ${n}`);
    assert.ok(stage.stats().loads > 0 && stage.stats().cachedEntities <= 1, JSON.stringify(stage.stats()));
  });
});
