import { Kafka, logLevel, Partitioners, type IHeaders } from 'kafkajs';
import { KAFKA_BROKERS, uniqueName } from './env.ts';
import { ensureTopics } from '../../src/ingest/index.ts';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** The record's timestamp (producer create time), epoch ms. */
  timestamp: number;
}

/** A plain kafkajs client, independent of Vigil's own seam: it plays the payment switch and the reader. */
export function testKafka(): Kafka {
  return new Kafka({ clientId: uniqueName('test'), brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
}

/** Creates topics and waits until every partition has a leader (the same path the processor uses). */
export async function createTopics(kafka: Kafka, topics: string[], partitions = 3): Promise<void> {
  await ensureTopics(kafka, topics.map((topic) => ({ topic, partitions })));
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    // Cleanups of two helpers sharing topics may race: a topic already gone is what a cleanup wants.
    if (present.length > 0) await admin.deleteTopics({ topics: present }).catch((error: Error & { type?: string; originalError?: { type?: string } }) => {
      const gone = (error.originalError?.type ?? error.type) === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic-partition/.test(error.message);
      if (!gone) throw error;
    });
  } finally {
    await admin.disconnect();
  }
}

export async function produce(kafka: Kafka, topic: string, messages: { key?: string; value: string | Buffer; headers?: IHeaders }[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, ...(m.headers ? { headers: m.headers } : {}) })) });
  } finally {
    await producer.disconnect();
  }
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/**
 * Reads topics from the beginning until `done` says the collected messages suffice (then `settleMs`
 * more), or the timeout passes (then returns what it has, so the test's assertions report what was missing).
 */
export async function collect(kafka: Kafka, topics: string[], done: (messages: ReadMessage[]) => boolean, timeoutMs = 90_000, settleMs = 0): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let finished = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          messages.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers: headersOf(message.headers), timestamp: Number(message.timestamp) });
          if (!finished && done(messages)) {
            finished = true;
            clearTimeout(timer);
            // keep reading a little longer, so what arrives after "enough" (e.g. a duplicate) is seen too
            setTimeout(resolve, settleMs);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** A `collect` predicate: true once `count` distinct JSON decisions (by eventId) were read; incremental, so linear. */
export function distinctDecisions(count: number): (messages: ReadMessage[]) => boolean {
  const ids = new Set<string>();
  let read = 0;
  return (messages) => {
    for (; read < messages.length; read++) ids.add((JSON.parse(messages[read]!.value.toString()) as { eventId: string }).eventId);
    return ids.size >= count;
  };
}
