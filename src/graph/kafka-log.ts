import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, isTransient } from '../retry.ts';
import { DependencyUnavailableError, ErrorCodes } from '../errors.ts';
import { createBatchConsumer, createRecordProducer, type BatchConsumer, type RecordProducer } from '../ingest/index.ts';
import type { ConsumeHandler, LogMessage, PartitionOffsets, ReplicationLog } from './replication-log.ts';

export interface KafkaReplicationLogOptions {
  /** The client from `createKafka` (src/ingest). */
  kafka: Kafka;
  /** Prefix of this replica's consumer groups (one per topic); must be unique per replica so each reads everything. */
  groupId: string;
  fetchMaxBytes?: number;
  /** Consumer session timeout (config VIGIL_SESSION_TIMEOUT_MS). Default 10 s. */
  sessionTimeoutMs?: number;
  /** Delete the replica's consumer groups on close (they are single-use). Default true. */
  deleteGroupsOnClose?: boolean;
}

/**
 * ReplicationLog over the shared Kafka seam of src/ingest: its producer, and one batch consumer per topic reading
 * from the beginning. The seam has no offset query yet, so end offsets come from the kafkajs admin here.
 */
export function createKafkaReplicationLog(options: KafkaReplicationLogOptions): ReplicationLog {
  const { kafka } = options;
  let producer: RecordProducer | undefined;
  const consumers: BatchConsumer[] = [];
  const groups: string[] = [];
  const unavailable = (what: string, cause: unknown) =>
    new DependencyUnavailableError(ErrorCodes.KAFKA_UNAVAILABLE, `${what} failed: ${(cause as Error)?.message ?? String(cause)}`, cause);

  async function withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  return {
    async publish(topic: string, messages: readonly LogMessage[]) {
      if (messages.length === 0) return;
      producer ??= createRecordProducer(kafka);
      try {
        await producer.send(messages.map((m) => ({ topic, key: m.key ?? null, value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength) })));
      } catch (error) {
        throw unavailable(`publish to ${topic}`, error);
      }
    },

    async offsets(topic: string): Promise<PartitionOffsets[]> {
      // A topic created a moment ago may not have its leaders known to every broker connection yet.
      for (let attempt = 1; ; attempt++) {
        try {
          const rows = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
          return rows.map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) }));
        } catch (error) {
          if (attempt >= 20 || !isTransient(error)) throw unavailable(`offsets of ${topic}`, error);
          await sleep(backoffDelay(attempt, 100, 2000));
        }
      }
    },

    async consumeAll(topics: readonly string[], handler: ConsumeHandler) {
      for (const topic of topics) {
        const groupId = `${options.groupId}.${topic}`;
        const consumer = createBatchConsumer(kafka, {
          groupId,
          topic,
          fromBeginning: true,
          maxBytes: options.fetchMaxBytes ?? 8 * 1024 * 1024,
          partitionsConsumedConcurrently: 1,
          sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
          // links, labels and list changes: 100 ms later is soon enough, and every instance reads its own links too
          fetchMinBytes: 256 * 1024,
          fetchWaitMs: 100,
        });
        consumers.push(consumer);
        groups.push(groupId);
        try {
          await consumer.start((batch) => Promise.resolve(handler(batch.topic, batch.partition, batch.messages)));
        } catch (error) {
          throw unavailable(`consume ${topic}`, error);
        }
      }
    },

    async close() {
      for (const consumer of consumers.splice(0)) await consumer.stop();
      await producer?.close();
      if (groups.length > 0 && options.deleteGroupsOnClose !== false) {
        try {
          await withAdmin((admin) => admin.deleteGroups(groups));
        } catch {
          // Best effort: an empty group expires on its own.
        }
      }
    },
  };
}
