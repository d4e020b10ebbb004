import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { GROUPING_MODULE, groupMessagesPerPartition, linearGroupingInstalled, originalEncoder } from '../../src/ingest/kafkajs.ts';
import '../../src/ingest/index.ts';

type Group = typeof groupMessagesPerPartition;

/** kafkajs' own implementation, evaluated from its file (the module cache holds the replacement). */
function originalGrouping(): Group {
  const module = { exports: undefined as unknown };
  new Function('module', readFileSync(GROUPING_MODULE, 'utf8'))(module);
  return module.exports as Group;
}

describe('kafkajs with a linear per-partition grouping', () => {
  it('groups like kafkajs\' own implementation: same partitions, same messages, same order', () => {
    const original = originalGrouping();
    let seed = 5;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [count, partitions] of [[0, 3], [1, 1], [50, 12], [1650, 1], [2000, 7]] as const) {
      const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: Math.floor(next() * partitions) }));
      const input = { topic: 't', partitionMetadata: Array.from({ length: partitions }, (_, p) => ({ partitionId: p })), messages, partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition };
      assert.deepStrictEqual(groupMessagesPerPartition(input), original(input), `${count} messages over ${partitions} partitions`);
    }
    assert.deepStrictEqual(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{}], partitioner: () => 0 }), {});
  });

  it('is the module kafkajs\' producer loads once Vigil\'s Kafka seam is imported', () => {
    assert.equal(linearGroupingInstalled(), true);
  });
});

describe('kafkajs encoder with non-allocating varint writers', () => {
  const require = createRequire(import.meta.url);
  const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { writeUVarInt(v: number): unknown; writeVarLong(v: unknown): unknown; writeVarInt(v: number): unknown; buffer: Buffer };
  const bytes = (write: (encoder: InstanceType<typeof Encoder>) => void): Buffer => {
    const encoder = new Encoder();
    write(encoder);
    return encoder.buffer;
  };
  const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), Date.now(), -Date.now()];
  for (let i = 0; i < 2000; i++) values.push(Math.floor((Math.random() - 0.5) * 2 ** (1 + (i % 52))));

  it('writes the bytes kafkajs\' own writers write, varints and varlongs, in and beyond the fast range', () => {
    for (const value of values) {
      assert.deepEqual(bytes((e) => e.writeVarLong(value)), bytes((e) => originalEncoder.writeVarLong.call(e, value)), `varlong ${value}`);
      assert.equal((Encoder as unknown as { sizeOfVarLong(v: number): number }).sizeOfVarLong(value), originalEncoder.sizeOfVarLong.call(Encoder, value), `size of varlong ${value}`);
      if (value >= -(2 ** 31) && value < 2 ** 31) assert.deepEqual(bytes((e) => e.writeVarInt(value)), bytes((e) => originalEncoder.writeUVarInt.call(e, ((value << 1) ^ (value >> 31)) >>> 0)), `varint ${value}`);
    }
    // many values into one encoder: the buffer grows as before
    assert.deepEqual(bytes((e) => values.forEach((v) => e.writeVarLong(v))), bytes((e) => values.forEach((v) => originalEncoder.writeVarLong.call(e, v))));
  });
});
