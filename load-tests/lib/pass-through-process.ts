// The open-loop test's baseline: a process that consumes the payments topic and produces every message unchanged to
// the decisions topic, with the processor's own Kafka consumer and producer and the settings `vigil run` reads from
// the same environment, but no decoding, scoring or encoding. Its event-to-output latency, read back the same way, is
// what Kafka, kafkajs and this machine cost on their own. Answers /readyz on VIGIL_ADMIN_PORT once it consumes.
import { createServer } from 'node:http';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { createBatchConsumer, createKafka, createRecordProducer } from '../../src/ingest/index.ts';
import { paymentsConsumerOptions } from '../../src/processor/index.ts';

const config = loadConfig();
const log = createLogger(config.logLevel);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `pass-through-${config.instanceId}`, logger: log });
const producer = createRecordProducer(kafka);
await producer.connect();
const consumer = createBatchConsumer(kafka, paymentsConsumerOptions(config));
await consumer.start(async (batch) => {
  await producer.send(batch.messages.map((m) => ({ topic: config.topicDecisions, key: m.key, value: m.value ?? Buffer.alloc(0) })));
});

const admin = createServer((req, res) => {
  res.statusCode = req.url === '/readyz' && consumer.isConsuming() ? 200 : 503;
  res.end();
}).listen(config.adminPort, '127.0.0.1');

process.once('SIGTERM', () => {
  void (async () => {
    await consumer.stop();
    await producer.close();
    admin.close();
    process.exit(0);
  })();
});
