import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../log.ts';
import { createKafka, createRecordProducer, ensureTopics, type OutgoingRecord } from '../ingest/index.ts';
import { SyntheticStream, type Scenario } from '../generator/index.ts';

const HELP = `usage: vigil generate [--rate N] [--duration SECONDS] [--seed N] [--customers N] [--fraud-rate P]
Produces synthetic payments (JSON) to VIGIL_TOPIC_PAYMENTS at a constant rate; duration 0 runs until Ctrl-C.`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: expected a number >= 0, got "${raw}"`);
  return value;
}

export async function generateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { rate: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' }, customers: { type: 'string' }, 'fraud-rate': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const rate = positive('rate', values.rate, 100);
  const duration = positive('duration', values.duration, 0);
  const config = loadConfig();
  const log = createLogger(config.logLevel).child('generator');
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'vigil-generator', logger: log });
  await ensureTopics(kafka, [{ topic: config.topicPayments, partitions: config.topicPartitions }]);
  const producer = createRecordProducer(kafka);
  const stream = new SyntheticStream({ seed: positive('seed', values.seed, Date.now() % 100_000), customers: positive('customers', values.customers, 5000), terminals: 2000, fraudRate: positive('fraud-rate', values['fraud-rate'], 0.004) });

  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const counts: Record<Scenario, number> = { normal: 0, card_testing: 0, account_takeover: 0, mule_chain: 0 };
  const started = Date.now();
  let sent = 0;
  let lastReport = started;
  while (!stop && (duration === 0 || Date.now() - started < duration * 1000)) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
    if (due > 0) {
      const records: OutgoingRecord[] = [];
      const now = Date.now();
      for (let i = 0; i < due; i++) {
        const { event, scenario } = stream.next(now);
        counts[scenario]++;
        records.push({ topic: config.topicPayments, key: event.account, value: JSON.stringify(event) });
      }
      await producer.send(records);
      sent += due;
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      log.info('generated', { sent, ratePerSec: Math.round(sent / ((lastReport - started) / 1000)), scenarios: counts });
    }
    await sleep(10);
  }
  await producer.close();
  log.info('generator stopped', { sent, scenarios: counts });
  return 0;
}
