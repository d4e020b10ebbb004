/**
 * The stream path's latency at the same fixed rates, as the baseline for the API's numbers: `vigil run`
 * in a child process on topics of its own; this process produces payments open-loop (each event's ts is
 * its scheduled time) and reads the decisions topic; latency = time read - event ts (1 ms resolution,
 * including the produce and both consumers' fetches).
 *
 *   node --import tsx load-tests/api-stream-baseline.ts [--rates 500,1000,2000] [--duration 8] [--warmup 2]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000,2000,4000' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
  },
});

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const base = `stream-load-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const topics = { payments: `${base}.payments`, decisions: `${base}.decisions`, alerts: `${base}.alerts`, dlq: `${base}.dlq`, links: `${base}.links`, labels: `${base}.labels` };
const kafka = new Kafka({ clientId: base, brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });

const child = spawn(process.execPath, [new URL('../bin/vigil.js', import.meta.url).pathname, 'run'], {
  env: {
    ...process.env,
    VIGIL_TOPIC_PAYMENTS: topics.payments,
    VIGIL_TOPIC_DECISIONS: topics.decisions,
    VIGIL_TOPIC_ALERTS: topics.alerts,
    VIGIL_TOPIC_DLQ: topics.dlq,
    VIGIL_TOPIC_LINKS: topics.links,
    VIGIL_TOPIC_LABELS: topics.labels,
    VIGIL_TOPIC_PARTITIONS: '3',
    VIGIL_GROUP_ID: `${base}-group`,
    VIGIL_ADMIN_PORT: '0',
    VIGIL_CONSOLE: 'false',
    VIGIL_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const reader = kafka.consumer({ groupId: `${base}-reader`, maxWaitTimeInMs: 10 });
await reader.connect();
await reader.subscribe({ topic: topics.decisions, fromBeginning: true });
let sink: ((latencyMs: number, id: string) => void) | undefined;
await reader.run({
  eachBatch: async ({ batch }) => {
    const now = Date.now();
    for (const m of batch.messages) {
      const d = JSON.parse(m.value!.toString()) as { eventId: string; ts: number };
      sink?.(now - d.ts, d.eventId);
    }
  },
});

// Warm up: one event decided end to end means the processor's group is consuming.
let warm = false;
sink = (_l, id) => {
  if (id === 'warm') warm = true;
};
await producer.send({ topic: topics.payments, acks: -1, messages: [{ key: 'a', value: JSON.stringify({ id: 'warm', ts: Date.now(), type: 'payment', amount: 1, currency: 'EUR', account: 'a' }) }] });
for (let i = 0; !warm; i++) {
  if (i > 600) throw new Error('the processor did not decide the warm-up event within 60 s');
  await sleep(100);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with other work)`);
console.log('\n## stream path (vigil run; produce → payments → processor → decisions → reader)');
console.log('| rate/s | decided | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |');
console.log('|---|---|---|---|---|---|---|');
let offset = 0;
for (const rate of values.rates.split(',').map(Number)) {
  const durationMs = Number(values.duration) * 1000;
  const warmupMs = Number(values.warmup) * 1000;
  const total = Math.round((rate * durationMs) / 1000);
  const first = offset;
  const latencies: number[] = [];
  let decided = 0;
  const startMs = Date.now();
  sink = (latency, id) => {
    const i = Number(id.slice(2)) - first;
    if (!(i >= 0 && i < total)) return;
    decided++;
    if ((i * 1000) / rate >= warmupMs) latencies.push(latency);
  };
  let sent = 0;
  const sends: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - startMs) * rate) / 1000) + 1);
    const messages = [];
    for (; sent < due; sent++) {
      const i = first + sent;
      const ts = Math.floor(startMs + (sent * 1000) / rate);
      messages.push({ key: `acc-${i % 10_000}`, value: JSON.stringify({ id: `e-${i}`, ts, type: 'payment', amount: i % 50 === 0 ? 5_000_000 : 1000 + (i % 997), currency: 'EUR', account: `acc-${i % 10_000}`, card: `card-${i % 20_000}`, device: `dev-${i % 15_000}`, merchant: `m-${i % 500}`, country: 'DE', channel: 'ecom' }) });
    }
    if (messages.length > 0) sends.push(producer.send({ topic: topics.payments, acks: -1, messages }));
    await sleep(1);
  }
  await Promise.all(sends);
  offset += total;
  for (let waited = 0; decided < total && waited < 30_000; waited += 100) await sleep(100);
  latencies.sort((a, b) => a - b);
  const f = (n: number) => (Number.isNaN(n) ? '-' : String(n));
  console.log(`| ${rate} | ${decided}/${total} | ${f(pct(latencies, 0.5))} | ${f(pct(latencies, 0.9))} | ${f(pct(latencies, 0.99))} | ${f(pct(latencies, 0.999))} | ${f(latencies[latencies.length - 1] ?? Number.NaN)} |`);
}

sink = undefined;
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
await reader.disconnect();
await producer.disconnect();
await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
await admin.disconnect();
