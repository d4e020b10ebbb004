import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GROUPING_MODULE, groupMessagesPerPartition, linearGroupingInstalled } from '../../src/ingest/kafkajs.ts';
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
