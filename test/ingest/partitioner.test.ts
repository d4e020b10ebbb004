import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { PartitionerArgs } from 'kafkajs';
import { Partitioners } from '../../src/ingest/kafkajs.ts';
import { murmur2, VigilPartitioner } from '../../src/ingest/partitioner.ts';

const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

function randomKeys(count: number): (string | Buffer)[] {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = 'abcXYZ0189-_:{}|.é€😀 ';
  const keys: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'x'.repeat(400), '€'.repeat(500)];
  for (let i = 0; i < count; i++) {
    let key = '';
    const length = Math.floor(next() * 40);
    for (let j = 0; j < length; j++) key += [...alphabet][Math.floor(next() * [...alphabet].length)];
    keys.push(i % 5 === 0 ? Buffer.from(key) : key);
  }
  return keys;
}

describe('Vigil partitioner', () => {
  it('hashes every key as kafkajs (and the Java client) does', () => {
    for (const key of randomKeys(5000)) {
      const bytes = typeof key === 'string' ? Buffer.from(key) : key;
      assert.equal(murmur2(bytes), kafkajsMurmur2(key), JSON.stringify(String(key)));
    }
  });

  it('chooses the partition kafkajs\' DefaultPartitioner chooses for keyed and explicitly placed messages', () => {
    const ours = VigilPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 12, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
      for (const key of randomKeys(500)) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } } as PartitionerArgs;
        assert.equal(ours(args), theirs(args), `${partitions} partitions, key ${JSON.stringify(String(key))}`);
      }
      const placed = { topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: partitions - 1 } } as PartitionerArgs;
      assert.equal(ours(placed), partitions - 1);
    }
  });

  it('spreads keyless messages round robin over the partitions that have a leader', () => {
    const ours = VigilPartitioner();
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: partitionId === 2 ? -1 : 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) seen.add(ours({ topic: 't', partitionMetadata, message: { value: 'v' } } as PartitionerArgs));
    assert.deepEqual([...seen].sort(), [0, 1, 3]);
  });
});
