import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, createRecordProducer, ensureTopics } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { KAFKA_BROKERS, uniqueName } from '../support/env.ts';
import { deleteTopics, testKafka } from '../support/kafka.ts';
import { messageCount } from '../support/offsets.ts';

// A topic's partitions get their leaders one by one: the first sends to a just-created topic hit "not the leader" on
// some partitions while others succeed, and kafkajs resends the whole request. Before the producer was idempotent
// this wrote 41–43 messages for 40 on seven fresh topics out of eight.
test('the record producer writes each record exactly once to just-created topics, through leader retries', async (t) => {
  const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: uniqueName('producer-test'), logger: createLogger('error') });
  const reader = testKafka();
  const topics = [uniqueName('fresh-a'), uniqueName('fresh-b'), uniqueName('fresh-c'), uniqueName('fresh-d')];
  t.after(() => deleteTopics(reader, topics));
  const producer = createRecordProducer(kafka);
  t.after(() => producer.close());
  for (const topic of topics) {
    await ensureTopics(kafka, [{ topic, partitions: 6 }]);
    const records = Array.from({ length: 40 }, (_, i) => ({ topic, key: `key-${i}`, value: `value-${i}` }));
    for (let i = 0; i < records.length; i += 8) await producer.send(records.slice(i, i + 8));
  }
  const counts = await Promise.all(topics.map((topic) => messageCount(reader, topic)));
  assert.deepEqual(counts, [40, 40, 40, 40]);
});
