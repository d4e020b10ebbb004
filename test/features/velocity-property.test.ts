import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRedisClient, type RedisClient } from '../../src/features/index.ts';
import { assertMatchesModel, deleteKeys } from './velocity-check.ts';

import { REDIS_URL } from '../support/env.ts';

describe('velocity features on Redis equal the reference model', () => {
  const prefix = `test:features:property:${randomUUID()}:`;
  let client: RedisClient;
  before(() => {
    client = createRedisClient(REDIS_URL);
  });
  after(async () => {
    await deleteKeys(client, prefix);
    await client.quit();
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random stream with redeliveries, late and stale events, replayed twice (seed ${seed})`, async () => {
      const run = await assertMatchesModel(client, `${prefix}${seed}:`, seed);
      assert.equal(run.maxTimesCounted, 1, 'the reference model counted an event id twice');
      // the stream exercised what it claims to
      assert.ok(run.live.duplicates > 0 && run.live.lateWithin > 0 && run.live.lateBeyond > 0 && run.live.stale > 0, JSON.stringify(run.live));
      // the replay found the events it could still recognise (the others are stale: too old to be counted again)
      assert.ok(run.replay.duplicates > 0, JSON.stringify(run.replay));
    });
  }

  it('replay with ids kept longer than the stream returns every event\'s first features', async () => {
    const run = await assertMatchesModel(client, `${prefix}long:`, 6, 3_600_000);
    assert.equal(run.maxTimesCounted, 1);
    assert.equal(run.replay.duplicates, run.replay.events);
  });
});
