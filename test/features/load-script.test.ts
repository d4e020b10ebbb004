import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRedisFeatureStage, parseFeatureSpecs, type RedisClient } from '../../src/features/index.ts';
import { EntityState, packHash } from '../../src/features/entity-state.ts';
import { registerLoadScript } from '../../src/features/load-script.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';
import { redisPerSuite } from './velocity-check.ts';

describe('packed state reads (lua/load-packed.lua)', () => {
  const prefix = `test:features:load:${randomUUID()}:`;
  let client: RedisClient;
  redisPerSuite(prefix, (c) => (client = c));

  it('gives each hash exactly as HGETALL does, whatever its text (separator-like, multi-byte, empty values), and an absent one empty', async () => {
    const fields: Record<string, string> = {
      v: 'tok.1',
      'b:1000:7': '2:300',
      'd:1000:7:terminal:plain': '1',
      // U+00FF is the separator byte in latin1, U+FFFD and emoji are multi-byte in UTF-8
      'd:1000:7:terminal:\u00ff\u00fe': '1',
      'd:1000:7:terminal:caf\u00e9 \ufffd \u{1f4b3}': '3',
      'd:1000:7:device:': '',
    };
    const plain = `${prefix}{card:a}:s`;
    const ascii = `${prefix}{card:b}:s`;
    await client.hset(plain, fields);
    await client.hset(ascii, { v: 'tok.2', w: '5000', 'b:2000:1': '1:5' });
    const load = registerLoadScript(client);
    const pipeline = client.pipeline();
    load.queue(pipeline, [plain, ascii, `${prefix}{card:absent}:s`]);
    const [error, reply] = (await pipeline.exec())?.[0] ?? [new Error('no reply'), null];
    assert.equal(error, null);
    const [first, second, absent] = reply as Buffer[];
    assert.deepEqual(first, packHash((await client.call('HGETALL', plain)) as string[]));
    assert.deepEqual(second, packHash((await client.call('HGETALL', ascii)) as string[]));
    assert.deepEqual(absent, Buffer.alloc(0));
    // the bytes of a multi-byte value are never taken for the separator, and come back as the same text
    const state = EntityState.fromPacked(first as Buffer);
    assert.equal(state.version, 'tok.1');
    const values: string[] = [];
    state.bucket(1000, 7)?.d?.forEach((field, value) => field === 'terminal' && values.push(value));
    assert.deepEqual(values.sort(), ['caf\u00e9 \ufffd \u{1f4b3}', 'plain', '\u00ff\u00fe'].sort());
    assert.deepEqual(EntityState.fromPacked(absent as Buffer), new EntityState());
  });

  it('a cold stage reads back distinct values with any characters and counts on from them', async () => {
    const specs = parseFeatureSpecs('version: 1\nbuckets: 4\nfeatures:\n  - entity: card\n    aggregates: [count, distinct_terminal]\n    windows: [1h]\n', 'test');
    const terminals = ['T\u00ff', 'caf\u00e9 \ufffd', 'T\u00ff', 'plain'];
    const events: PaymentEvent[] = terminals.map((terminal, i) => ({ id: `e${i}`, ts: 1_700_000_000_000 + i * 1000, type: 'card_auth', amount: 100, currency: 'EUR', account: 'a', card: 'c1', terminal }));
    const warm = createRedisFeatureStage({ redis: client, specs, keyPrefix: prefix });
    const [, second] = await warm.compute(events.slice(0, 2));
    assert.equal(second!['card.distinct_terminal.1h'], 2);
    // a new process: nothing cached, so the state is read with the load script before counting
    const cold = createRedisFeatureStage({ redis: client, specs, keyPrefix: prefix });
    const [third, fourth] = await cold.compute(events.slice(2));
    assert.ok(cold.stats().loads > 0, JSON.stringify(cold.stats()));
    assert.equal(third!['card.count.1h'], 3);
    assert.equal(third!['card.distinct_terminal.1h'], 2, 'T\u00ff was already counted');
    assert.equal(fourth!['card.distinct_terminal.1h'], 3);
  });
});
