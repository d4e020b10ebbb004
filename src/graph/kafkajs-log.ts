import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { DependencyUnavailableError, ErrorCodes } from '../errors.ts';
import type { ConsumeHandler, LogMessage, PartitionOffsets, ReplicationLog } from './replication-log.ts';

export interface KafkajsLogOptions {
  brokers: readonly string[];
  clientId: string;
  /** Consumer group; must be unique per replica so that each one reads every partition. */
  groupId: string;
  /** Delete the consumer group on close (replica groups are single-use). Default true. */
  deleteGroupOnClose?: boolean;
}

/** ReplicationLog over kafkajs (temporary: to move behind the shared Kafka seam of src/ingest). */
export function createKafkajsLog(options: KafkajsLogOptions): ReplicationLog {
  const kafka = new Kafka({ clientId: options.clientId, brokers: [...options.brokers], logLevel: logLevel.ERROR });
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let consumer: Consumer | undefined;

  const unavailable = (what: string, cause: unknown) =>
    new DependencyUnavailableError(ErrorCodes.KAFKA_UNAVAILABLE, `${what} failed on ${options.brokers.join(',')}: ${(cause as Error)?.message ?? cause}`, cause);

  async function getAdmin(): Promise<Admin> {
    if (admin === undefined) {
      const a = kafka.admin();
      await a.connect();
      admin = a;
    }
    return admin;
  }

  return {
    async publish(topic: string, messages: readonly LogMessage[]) {
      if (messages.length === 0) return;
      try {
        if (producer === undefined) {
          const p = kafka.producer({ allowAutoTopicCreation: false });
          await p.connect();
          producer = p;
        }
        await producer.send({
          topic,
          messages: messages.map((m) => ({ key: m.key ?? null, value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength) })),
        });
      } catch (error) {
        throw unavailable(`publish to ${topic}`, error);
      }
    },

    async offsets(topic: string): Promise<PartitionOffsets[]> {
      try {
        const rows = await (await getAdmin()).fetchTopicOffsets(topic);
        return rows.map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) }));
      } catch (error) {
        throw unavailable(`offsets of ${topic}`, error);
      }
    },

    async consumeAll(topics: readonly string[], handler: ConsumeHandler) {
      try {
        const c = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false });
        consumer = c;
        await c.connect();
        await c.subscribe({ topics: [...topics], fromBeginning: true });
        await c.run({
          eachBatch: async ({ batch }) => {
            await handler(
              batch.topic,
              batch.partition,
              batch.messages.map((m) => ({ offset: m.offset, value: m.value })),
            );
          },
        });
      } catch (error) {
        throw unavailable(`consume ${topics.join(',')}`, error);
      }
    },

    async close() {
      await consumer?.disconnect();
      await producer?.disconnect();
      if (consumer !== undefined && options.deleteGroupOnClose !== false) {
        try {
          await (await getAdmin()).deleteGroups([options.groupId]);
        } catch {
          // Best effort: an empty group expires on its own.
        }
      }
      await admin?.disconnect();
    },
  };
}
