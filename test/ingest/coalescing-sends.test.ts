import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, createRecordProducer, type OutgoingRecord } from '../../src/ingest/index.ts';
import { coalescingSends } from '../../src/ingest/coalescing-sends.ts';
import { createLogger } from '../../src/log.ts';
import { KAFKA_BROKERS, uniqueName } from '../support/env.ts';
import { deleteTopics, testKafka } from '../support/kafka.ts';
import { messageCount } from '../support/offsets.ts';

function setup(t: { after(fn: () => unknown): void }) {
  const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: uniqueName('coalescing-test'), logger: createLogger('silent') });
  const producer = createRecordProducer(kafka);
  t.after(() => producer.close());
  const requests: number[] = [];
  const send = coalescingSends((records) => {
    requests.push(records.length);
    return producer.send(records);
  });
  return { send, requests };
}

async function createTopic(topic: string, configEntries: { name: string; value: string }[] = []): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

test('sends made in one turn of the event loop go to Kafka as one request, and each caller resolves once its records are acknowledged', async (t) => {
  const topic = uniqueName('coalesced');
  t.after(() => deleteTopics(testKafka(), [topic]));
  await createTopic(topic);
  const { send, requests } = setup(t);
  const batches = Array.from({ length: 12 }, (_, b) => Array.from({ length: 3 }, (_, i): OutgoingRecord => ({ topic, key: `k${b}`, value: `batch ${b} record ${i}` })));
  await Promise.all(batches.map((records) => send(records)));
  assert.deepEqual(requests, [36]);
  // a later turn is a request of its own
  await send(batches[0]!);
  assert.deepEqual(requests, [36, 3]);
  assert.equal(await messageCount(testKafka(), topic), 39);
});

test('a record the broker refuses fails only the send it came with; the others sent in the same turn are acknowledged', async (t) => {
  const topic = uniqueName('coalesced-refused');
  t.after(() => deleteTopics(testKafka(), [topic]));
  await createTopic(topic, [{ name: 'max.message.bytes', value: '4096' }]);
  const { send, requests } = setup(t);
  const small = (i: number): OutgoingRecord => ({ topic, key: null, value: `small ${i}` });
  const outcomes = await Promise.allSettled([send([small(1)]), send([{ topic, key: null, value: 'x'.repeat(20_000) }]), send([small(2), small(3)])]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /too large|larger than/i);
  // the merged request, then each caller's records on their own
  assert.deepEqual(requests, [4, 1, 1, 2]);
  assert.equal(await messageCount(testKafka(), topic), 3);
});
