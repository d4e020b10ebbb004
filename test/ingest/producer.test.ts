import { test } from 'node:test';
import { connect, createServer, type AddressInfo } from 'node:net';
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

// The processor connects its producer at start. A connect that failed (no broker yet) must not stay the producer's
// answer: the next connect or send tries again.
test('a record producer whose first connect failed connects on the next try, once the broker answers', async (t) => {
  const [host, port] = KAFKA_BROKERS[0]!.split(':') as [string, string];
  // a port that refuses connections first, then forwards to the real broker (whose metadata names its own address)
  const gate = createServer((client) => {
    const upstream = connect(Number(port), host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const gatePort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const kafka = createKafka({ brokers: [`127.0.0.1:${gatePort}`], clientId: uniqueName('producer-reconnect'), logger: createLogger('silent') });
  const producer = createRecordProducer(kafka);
  t.after(() => producer.close());
  t.after(() => new Promise<void>((resolve) => gate.close(() => resolve())));
  await assert.rejects(producer.connect());
  await new Promise<void>((resolve) => gate.listen(gatePort, '127.0.0.1', resolve));
  await producer.connect();
  const reader = testKafka();
  const topic = uniqueName('after-reconnect');
  t.after(() => deleteTopics(reader, [topic]));
  await ensureTopics(kafka, [{ topic, partitions: 1 }]);
  await producer.send([{ topic, key: 'k', value: 'v' }]);
  assert.equal(await messageCount(reader, topic), 1);
});
