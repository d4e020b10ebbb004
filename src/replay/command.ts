import { parseArgs, parseDate, parseDurationMs } from '../backtest/args.ts';
import { loadConfig } from '../config/index.ts';
import { createKafka, createRecordProducer, ensureTopics } from '../ingest/index.ts';
import { createLogger } from '../log.ts';
import { openDataset } from './datasets/index.ts';
import { replay } from './replay.ts';

const OPTIONS = {
  dataset: 'value', topic: 'value', 'labels-topic': 'value', 'no-labels': 'flag', 'label-delay': 'value', rate: 'value', speedup: 'value',
  from: 'value', to: 'value', limit: 'value', brokers: 'value', help: 'flag',
} as const;

const USAGE = `usage: vigil replay --dataset DIR [--rate N | --speedup X] [--from DATE] [--to DATE] [--limit N]
       [--topic payments] [--labels-topic fraud.labels | --no-labels] [--label-delay 7d] [--brokers host:port,...]
Streams a dataset (fraud-handbook, AMLSim run, IBM HI-Small) into the payments topic in event-time order; --rate caps
payments per second, --speedup runs event time X times faster than the clock (86400 = a day per second).
Fraud labels go to the labels topic --label-delay of event time after their payment. Topics and brokers default to
the configuration (VIGIL_TOPIC_PAYMENTS, VIGIL_TOPIC_LABELS, KAFKA_BROKERS).`;

/** `vigil replay`: returns the exit code (0 ok, 1 failure, 2 usage). */
export async function replayCommand(argv: readonly string[], log: (s: string) => void = console.log): Promise<number> {
  const { values: v, flags, error } = parseArgs(argv, OPTIONS);
  if (error || flags.has('help') || !v.get('dataset')) {
    log(error ? `${error}\n${USAGE}` : USAGE);
    return flags.has('help') ? 0 : 2;
  }
  const num = (k: string) => (v.has(k) ? Number(v.get(k)) : undefined);
  const rate = num('rate');
  const speedup = num('speedup');
  const limit = num('limit');
  const delay = parseDurationMs(v.get('label-delay') ?? '7d');
  const from = v.has('from') ? parseDate(v.get('from')!) : undefined;
  const to = v.has('to') ? parseDate(v.get('to')!) : undefined;
  const bad = [
    rate !== undefined && !(rate > 0) && '--rate must be > 0',
    speedup !== undefined && !(speedup > 0) && '--speedup must be > 0',
    rate !== undefined && speedup !== undefined && 'give --rate or --speedup, not both',
    limit !== undefined && !(Number.isInteger(limit) && limit > 0) && '--limit must be a positive integer',
    delay === undefined && '--label-delay must be a duration such as 7d or 12h',
    v.has('from') && from === undefined && '--from must be a date',
    v.has('to') && to === undefined && '--to must be a date',
  ].filter(Boolean);
  if (bad.length > 0) { log(`${bad.join('\n')}\n${USAGE}`); return 2; }

  const config = loadConfig(v.has('brokers') ? { ...process.env, KAFKA_BROKERS: v.get('brokers') } : process.env);
  const logger = createLogger(config.logLevel, 'replay');
  const paymentsTopic = v.get('topic') ?? config.topicPayments;
  const labelsTopic = flags.has('no-labels') ? undefined : v.get('labels-topic') ?? config.topicLabels;
  const dataset = await openDataset(v.get('dataset')!);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `vigil-replay-${config.instanceId}`, logger });
  await ensureTopics(kafka, [paymentsTopic, ...(labelsTopic ? [labelsTopic] : [])].map((topic) => ({ topic, partitions: config.topicPartitions })));
  const producer = createRecordProducer(kafka);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  const tty = process.stderr.isTTY === true;
  try {
    const result = await replay({
      dataset, producer, paymentsTopic, ...(labelsTopic ? { labelsTopic } : {}), labelDelayMs: delay!,
      ...(rate !== undefined ? { rate } : {}), ...(speedup !== undefined ? { speedup } : {}), ...(limit !== undefined ? { limit } : {}),
      range: { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) },
      signal: abort.signal,
      onProgress: (p) => {
        const line = `${p.payments.toLocaleString('en')} payments, ${p.labels.toLocaleString('en')} labels, ${Math.round(p.payments / (p.elapsedMs / 1000)).toLocaleString('en')}/s, event time ${new Date(p.eventTime).toISOString()}`;
        process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    log(`replayed ${result.payments} payments to ${paymentsTopic} and ${result.labels} labels to ${labelsTopic ?? '(none)'} in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    await producer.close();
  }
}
