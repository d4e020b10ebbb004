import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError, ErrorCodes, isRetriable } from '../../src/errors.ts';
import { createRedisClient, createRedisFeatureStage, parseFeatureSpecs, type RedisClient } from '../../src/features/index.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';
import { redisPerSuite } from './velocity-check.ts';

const T0 = 1_700_000_400_000; // a multiple of every bucket size below (10 s, 10 min)
const SPECS = parseFeatureSpecs(
  `version: 1
buckets: 6
features:
  - entity: card
    aggregates: [count, sum_amount, avg_amount]
    windows: [1m, 1h]
  - entity: device
    aggregates: [count, distinct_account]
    windows: [1m]
`,
  'stage-test',
);

function event(id: string, offsetMs: number, amount: number, extra: Partial<PaymentEvent> = {}): PaymentEvent {
  return { id, ts: T0 + offsetMs, type: 'payment', amount, currency: 'EUR', account: 'A1', card: 'C1', ...extra };
}

describe('Redis feature stage', () => {
  let client: RedisClient;
  const prefix = `test:features:stage:${randomUUID()}:`;
  let n = 0;
  const stage = (latenessMs = 20_000) =>
    createRedisFeatureStage({ redis: client, specs: SPECS, latenessMs, keyPrefix: `${prefix}${n++}:` });
  redisPerSuite(prefix, (c) => (client = c));

  it('counts a card\'s events in event time, each event seeing the earlier ones of its batch', async () => {
    const features = await stage().compute([event('e1', 0, 100), event('e2', 10_000, 300), event('e3', 50_000, 200)]);
    assert.deepEqual(features.map((f) => f['card.count.1m']), [1, 2, 3]);
    assert.deepEqual(features.map((f) => f['card.sum_amount.1m']), [100, 400, 600]);
    assert.deepEqual(features.map((f) => f['card.avg_amount.1h']), [100, 200, 200]);
  });

  it('drops events out of the window once their bucket is older than the last 6 buckets', async () => {
    const s = stage();
    await s.compute([event('e1', 0, 100)]);
    const [late] = await s.compute([event('e2', 60_000, 50)]); // 1m later: e1's 10 s bucket is the 7th back
    assert.equal(late?.['card.count.1m'], 1);
    assert.equal(late?.['card.count.1h'], 2);
  });

  it('omits the features of an entity the event does not name', async () => {
    const [withDevice, without] = await stage().compute([event('e1', 0, 1, { device: 'D1' }), event('e2', 1, 1)]);
    assert.deepEqual(Object.keys(withDevice ?? {}).sort(), [...SPECS.features.map((f) => f.name)].sort());
    assert.equal(without?.['device.count.1m'], undefined);
    assert.equal('device.count.1m' in (without ?? {}), false);
    assert.equal(without?.['card.count.1m'], 2);
  });

  it('counts distinct accounts per device', async () => {
    const features = await stage().compute([
      event('e1', 0, 1, { device: 'D1', account: 'A1' }),
      event('e2', 1, 1, { device: 'D1', account: 'A2' }),
      event('e3', 2, 1, { device: 'D1', account: 'A1' }),
    ]);
    assert.deepEqual(features.map((f) => f['device.distinct_account.1m']), [1, 2, 2]);
  });

  it('counts a redelivered event once and returns its first features, within a batch and across batches', async () => {
    const s = stage();
    const first = await s.compute([event('e1', 0, 100), event('e2', 1000, 100), event('e1', 0, 100)]);
    assert.deepEqual(first[2], first[0]);
    const again = await s.compute([event('e2', 1000, 100), event('e3', 2000, 100)]);
    assert.deepEqual(again[0], first[1]);
    assert.equal(again[1]?.['card.count.1m'], 3);
    assert.equal(s.stats().duplicates, 2);
  });

  it('with minReplicas, returns features only once the writes reached that many replicas, else a retriable REDIS_UNAVAILABLE; the retry counts each event once', async () => {
    const replicas = Number(/connected_slaves:(\d+)/.exec(await client.info('replication'))?.[1] ?? 0);
    const keyPrefix = `${prefix}${n++}:`;
    const strict = createRedisFeatureStage({ redis: client, specs: SPECS, latenessMs: 20_000, keyPrefix, minReplicas: replicas + 1, timeoutMs: 1000 });
    await assert.rejects(strict.compute([event('w1', 0, 100), event('w2', 1000, 100)]), (error: unknown) => {
      assert.ok(error instanceof DependencyUnavailableError, String(error));
      assert.equal(error.code, ErrorCodes.REDIS_UNAVAILABLE);
      assert.equal(isRetriable(error), true);
      assert.match(error.message, new RegExp(`reached ${replicas} of ${replicas + 1} required Redis replicas`));
      return true;
    });
    const met = createRedisFeatureStage({ redis: client, specs: SPECS, latenessMs: 20_000, keyPrefix, minReplicas: replicas });
    const features = await met.compute([event('w1', 0, 100), event('w2', 1000, 100), event('w3', 2000, 100)]);
    assert.deepEqual(features.map((f) => f['card.count.1m']), [1, 2, 3]);
    assert.equal(met.stats().duplicates, 2, 'the events of the refused attempt were counted then, and only then');
  });

  it('counts a late event in its own bucket within the lateness, clamps it beyond, ignores it beyond the retention', async () => {
    const s = stage(20_000);
    const base = 7_200_000; // 2 h after T0, so that T0 is older than lateness + the 1 h retention
    await s.compute([event('e1', base, 10)]);
    const [within] = await s.compute([event('e2', base - 15_000, 10)]);
    assert.equal(within?.['card.count.1m'], 1, 'its 1m window ends 15 s before e1: only itself');
    assert.equal(within?.['card.count.1h'], 1, 'e1 is in the next 10 min bucket');
    const [beyond] = await s.compute([event('e3', base - 50_000, 10)]);
    assert.equal(beyond?.['card.count.1m'], 2, 'counted at base - 20 s, so with e2 and not e1');
    const [stale] = await s.compute([event('e4', 0, 10)]);
    assert.equal(stale?.['card.count.1h'], 2, 'read at base - 20 s and not counted itself');
    const [later] = await s.compute([event('e5', base, 10)]);
    assert.equal(later?.['card.count.1h'], 4, 'e1, e2, e3 and itself; not e4');
    const stats = s.stats();
    assert.deepEqual([stats.lateWithin, stats.lateBeyond, stats.stale, stats.maxLatenessMs], [1, 1, 1, base]);
  });

  it('keeps memory bounded: old buckets and ids are deleted as event time moves on', async () => {
    const s = createRedisFeatureStage({ redis: client, specs: SPECS, latenessMs: 20_000, keyPrefix: `${prefix}mem:` });
    const batch: PaymentEvent[] = [];
    for (let i = 0; i < 2000; i++) batch.push(event(`m${i}`, i * 10_000, 1, { device: `D${i % 3}`, account: `A${i % 50}` }));
    for (let i = 0; i < batch.length; i += 100) await s.compute(batch.slice(i, i + 100));
    const fieldsOf = async (tag: string): Promise<string[]> => client.hkeys(`${prefix}mem:{${tag}}:s`);
    const card = await fieldsOf('card:C1');
    // what stays is 6 + 2 (lateness) + 1 buckets of 10 s and 6 + 1 of 10 min, plus v, w, x, ib: not 2000 events' worth
    const buckets = card.filter((field) => field.startsWith('b:'));
    assert.ok(buckets.length > 0 && buckets.length <= 9 + 7, `bucket fields ${buckets.length}`);
    assert.equal(card.length, buckets.length + 4, card.filter((field) => !field.startsWith('b:')).join(' '));
    assert.ok((await client.pttl(`${prefix}mem:{card:C1}:s`)) > 0);
    // distinct values are kept per 10 s bucket of the device: only the buckets a read can still reach
    const distinctBuckets = new Set((await fieldsOf('device:D0')).filter((field) => field.startsWith('d:')).map((field) => field.split(':').slice(1, 3).join(':')));
    assert.ok(distinctBuckets.size > 0 && distinctBuckets.size <= 6 + 3, `distinct buckets ${distinctBuckets.size}`);
    // one state hash per entity (1 card, 3 devices; accounts are not entities of this spec), and its ids in buckets of
    // an eighth of the retention (1 h): ids stay for the retention plus the lateness (3,620 s), plus at most one
    // bucket, not 2000 events' worth
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = await client.scan(cursor, 'MATCH', `${prefix}mem:*`, 'COUNT', 100_000);
      keys.push(...page);
      cursor = next;
    } while (cursor !== '0');
    const idKeys = keys.filter((key) => key.startsWith(`${prefix}mem:{card:C1}:s:i:`));
    let ids = 0;
    for (const key of idKeys) {
      ids += await client.hlen(key);
      assert.ok((await client.pttl(key)) > 0, `${key} has no TTL`);
    }
    assert.ok(ids > 0 && ids <= (3_620_000 + 450_000) / 10_000 + 1, `ids ${ids}`);
    assert.ok(idKeys.length <= 10, `id buckets ${idKeys.length}`);
    assert.equal(card.find((field) => field === 'ib') !== undefined, true);
    assert.equal(idKeys.length, (await client.hget(`${prefix}mem:{card:C1}:s`, 'ib'))?.split(',').length);
    assert.deepEqual(keys.filter((key) => key.endsWith(':s')).sort(), [`${prefix}mem:{card:C1}:s`, `${prefix}mem:{device:D0}:s`, `${prefix}mem:{device:D1}:s`, `${prefix}mem:{device:D2}:s`]);
  });
});

describe('Redis feature stage when Redis is unavailable', () => {
  let server: ChildProcess | undefined;
  let port = 0;
  const start = async (): Promise<void> => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = createRedisClient(`redis://127.0.0.1:${port}`);
    try {
      for (let i = 0; i < 100 && (await probe.ping().catch(() => '')) !== 'PONG'; i++) await sleep(50);
    } finally {
      probe.disconnect();
    }
  };
  const stop = async (): Promise<void> => {
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL'));
  };
  before(async () => {
    port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
  });
  after(stop);

  it('rejects with a retriable REDIS_UNAVAILABLE, then succeeds once Redis is back, without losing a count', async () => {
    await start();
    const stage = createRedisFeatureStage({ redis: `redis://127.0.0.1:${port}`, specs: SPECS, timeoutMs: 1500, commandTimeoutMs: 500 });
    try {
      assert.equal((await stage.compute([event('u1', 0, 1)]))[0]?.['card.count.1m'], 1);
      await stage.ping();
      await stop();
      await assert.rejects(stage.compute([event('u2', 1, 1)]), (error: unknown) => {
        assert.ok(error instanceof DependencyUnavailableError, String(error));
        assert.equal(error.code, ErrorCodes.REDIS_UNAVAILABLE);
        assert.equal(isRetriable(error), true);
        return true;
      });
      await assert.rejects(stage.ping(), DependencyUnavailableError);
      await start(); // an empty Redis: what was counted before is gone with the process (no persistence here)
      let features: Awaited<ReturnType<typeof stage.compute>> | undefined;
      for (let attempt = 0; attempt < 40 && features === undefined; attempt++) {
        features = await stage.compute([event('u2', 1, 1)]).catch(async (error: unknown) => {
          assert.ok(isRetriable(error), String(error));
          await sleep(250);
          return undefined;
        });
      }
      assert.equal(features?.[0]?.['card.count.1m'], 1);
      await stage.ping();
    } finally {
      await stage.close();
    }
  });
});
