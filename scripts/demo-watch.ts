// Prints a one-line summary of decisions every few seconds and the reasons of recent alerts.
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { createKafka, ensureTopics } from '../src/ingest/index.ts';
import type { Decision } from '../src/rules/decision.ts';

const config = loadConfig();
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'vigil-demo-watch', logger: createLogger('error') });
const consumer = kafka.consumer({ groupId: `vigil-demo-watch-${process.pid}`, maxWaitTimeInMs: 200 });
const counts = { allow: 0, review: 0, block: 0 };
let latencySum = 0;
let latencyN = 0;
const recentAlerts: Decision[] = [];

// The processor creates its topics once it has read the lists topic: the watcher may get here first.
await ensureTopics(kafka, [{ topic: config.topicDecisions, partitions: config.topicPartitions }]);
await consumer.connect();
await consumer.subscribe({ topic: config.topicDecisions, fromBeginning: false });
await consumer.run({
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      if (message.value === null) continue;
      const decision = JSON.parse(message.value.toString()) as Decision;
      counts[decision.decision]++;
      latencySum += decision.latencyMs;
      latencyN++;
      if (decision.decision !== 'allow') {
        recentAlerts.push(decision);
        if (recentAlerts.length > 3) recentAlerts.shift();
      }
    }
  },
});

const timer = setInterval(() => {
  const total = counts.allow + counts.review + counts.block;
  process.stdout.write(`decisions ${total}: allow ${counts.allow}, review ${counts.review}, block ${counts.block}; mean latency ${(latencySum / Math.max(1, latencyN)).toFixed(2)} ms\n`);
  for (const alert of recentAlerts.splice(0)) {
    process.stdout.write(`  ${alert.decision.toUpperCase()} ${alert.eventId} score ${alert.score}: ${alert.reasons.filter((r) => !r.shadow).map((r) => r.detail).join('; ')}\n`);
  }
}, 5000);

const stop = async () => {
  clearInterval(timer);
  await consumer.disconnect();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
