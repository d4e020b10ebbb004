import { loadConfig } from '../config/index.ts';
import { createLogger } from '../log.ts';
import { createKafka, createRecordProducer, ensureTopics } from '../ingest/index.ts';
import { importLabels } from '../graph/index.ts';

const USAGE = 'usage: vigil labels import FILE [--by NAME]   (JSON Lines, a JSON array or CSV of {entity, label, by?, at?, reason?})';

/** `vigil labels import FILE`: publishes a watchlist to the labels topic; every processor applies it. */
export async function labelsCommand(argv: string[]): Promise<number> {
  const [action, file, ...rest] = argv;
  if (action !== 'import' || file === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const byIndex = rest.indexOf('--by');
  const by = byIndex >= 0 ? rest[byIndex + 1] : undefined;
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'vigil-labels-import', logger: log });
  await ensureTopics(kafka, [{ topic: config.topicLabels, partitions: config.topicPartitions }]);
  const producer = createRecordProducer(kafka);
  try {
    const result = await importLabels(
      file,
      { publish: (topic, messages) => producer.send(messages.map((m) => ({ topic, key: m.key ?? null, value: Buffer.from(m.value) }))) },
      { topic: config.topicLabels, ...(by !== undefined ? { by } : {}) },
    );
    process.stdout.write(`published ${result.published} labels to ${config.topicLabels}\n`);
    for (const skip of result.skipped) process.stdout.write(`skipped line ${skip.line}: ${skip.reason}\n`);
    return result.skipped.length > 0 && result.published === 0 ? 1 : 0;
  } finally {
    await producer.close();
  }
}
