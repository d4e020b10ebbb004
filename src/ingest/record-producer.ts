import { CompressionTypes, type Kafka, type Producer } from './kafkajs.ts';
import { VigilPartitioner } from './partitioner.ts';
import { coalescingSends } from './coalescing-sends.ts';
import type { OutgoingRecord, RecordProducer } from './kafka.ts';

/** Records per produce request are bounded by this many bytes (keys + values + headers, roughly). */
export const MAX_REQUEST_BYTES = 900 * 1024;

function recordSize(r: OutgoingRecord): number {
  let size = 64 + (r.key === null ? 0 : r.key.length) + r.value.length;
  if (r.headers !== undefined) for (const k in r.headers) size += k.length + r.headers[k]!.length;
  return size;
}

/**
 * Errors saying the broker no longer agrees with this idempotent producer's sequence numbers (a broker restart while
 * requests were in flight): kafkajs gives up on them and cannot resynchronise, so the producer must be replaced.
 */
const PRODUCER_STATE_LOST = /out of order sequence number|could not locate the producer metadata|UNKNOWN_PRODUCER_ID|producer.{0,40}(epoch|fenced)/i;

export function createRecordProducer(kafka: Kafka): RecordProducer {
  // Idempotent: kafkajs resends a whole produce request when one partition in it fails (a leader still moving on a
  // fresh topic), and without producer ids and sequences the broker would append the partitions that had succeeded
  // twice. Retries stay bounded so that the batch processor's own retry loop keeps heartbeating and can give up a
  // batch whose partition moved; a resend from that loop is a new send and may duplicate, as any at-least-once retry.
  const newProducer = (): Producer =>
    kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 5,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
      createPartitioner: VigilPartitioner,
    });
  let producer = newProducer();
  let connected: Promise<void> | undefined;
  // a failed connect is forgotten, so that the next send (or the processor's next start) tries again
  const connect = (): Promise<void> => {
    if (connected !== undefined) return connected;
    const attempt: Promise<void> = producer.connect().catch((error: unknown) => {
      if (connected === attempt) connected = undefined;
      throw error;
    });
    return (connected = attempt);
  };
  const sendChunk = async (records: readonly OutgoingRecord[], from: number, to: number) => {
    const byTopic = new Map<string, { key: string | Buffer | null; value: string | Buffer; headers?: Record<string, string | Buffer> }[]>();
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      let list = byTopic.get(r.topic);
      if (list === undefined) byTopic.set(r.topic, (list = []));
      list.push(r.headers === undefined ? { key: r.key, value: r.value } : { key: r.key, value: r.value, headers: r.headers });
    }
    const request = { acks: -1, compression: CompressionTypes.None, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) };
    const used = producer;
    try {
      await used.sendBatch(request);
    } catch (error) {
      if (!PRODUCER_STATE_LOST.test((error as Error).message)) throw error;
      // A new producer (new id, sequences from 0) sends the chunk again: at least once, as any retry. Concurrent sends
      // that failed on the same producer share its replacement.
      if (producer === used) {
        producer = newProducer();
        connected = undefined;
        used.disconnect().catch(() => undefined);
      }
      await connect();
      await producer.sendBatch(request);
    }
  };
  const sendNow = async (records: readonly OutgoingRecord[]): Promise<void> => {
    await connect();
    // Brokers refuse a partition's record batch over max.message.bytes (1 MiB by default): requests stay under it.
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const size = recordSize(records[i]!);
      if (i > start && bytes + size > MAX_REQUEST_BYTES) {
        await sendChunk(records, start, i);
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    await sendChunk(records, start, records.length);
  };
  const coalesced = coalescingSends(sendNow);
  return {
    connect,
    send: (records) => (records.length === 0 ? Promise.resolve() : coalesced(records)),
    async close() {
      if (connected !== undefined) await producer.disconnect();
    },
  };
}
