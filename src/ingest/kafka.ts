import { Kafka, logLevel as KafkaLogLevel, type Batch, type Consumer, type Producer, type IHeaders, type Admin, CompressionTypes } from './kafkajs.ts';
import { VigilPartitioner } from './partitioner.ts';
import type { Logger } from '../log.ts';
import { backoffDelay } from '../retry.ts';
import { OffsetCommitter } from './offset-committer.ts';
import { coalescingSends } from './coalescing-sends.ts';

/**
 * Vigil's seam over the Kafka client. Stages see only these types, so kafkajs (in maintenance mode)
 * can be replaced without touching them.
 */
export interface IncomingMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** Broker/producer timestamp, epoch ms as a string. */
  timestamp: string;
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  highWatermark: string;
  /** Keeps group membership alive during a long wait (e.g. Redis retries). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: abandon the batch uncommitted. */
  isActive(): boolean;
}

export type BatchHandler = (batch: IncomingBatch) => Promise<void>;

function incomingBatch(batch: Batch, heartbeat: () => Promise<void>, isActive: () => boolean): IncomingBatch {
  return { topic: batch.topic, partition: batch.partition, messages: batch.messages, highWatermark: batch.highWatermark, heartbeat, isActive };
}

export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer;
  headers?: Record<string, string | Buffer>;
}

export interface RecordProducer {
  /**
   * Connects now (otherwise the first send does): a processor connects before it consumes, so that its first
   * decisions do not wait for the connection and its producer id while the first batches are being scored.
   */
  connect(): Promise<void>;
  /** Resolves once every record is acknowledged by all in-sync replicas (acks=all). */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface BatchConsumer {
  /** Starts consuming; offsets of a batch are committed only after its handler resolves. */
  start(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
  /** True once the consumer has joined its group and been assigned partitions (or waits for some). */
  isConsuming(): boolean;
  /**
   * False when no broker has answered any of the consumer's requests (fetches every 100 ms, heartbeats) for a while:
   * the broker is gone even though kafkajs still counts the group membership as alive.
   */
  brokerReachable(): boolean;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

const LEVEL_BY_KAFKAJS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

const TRANSIENT_PROTOCOL_ERROR = /coordinator is (not available|loading|not aware of this member)|not the leader|leader not available|not the correct coordinator|rebalanc/i;

export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child('kafka');
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: KafkaLogLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    logCreator: () => ({ level, log: entry }) => {
      const lvl = LEVEL_BY_KAFKAJS[level] ?? 'info';
      const { message, ...fields } = entry;
      // kafkajs logs transient protocol errors (fresh group coordinator, leader moves) at ERROR and retries them itself.
      const text = typeof fields.error === 'string' ? fields.error : String(message);
      const transient = lvl === 'error' && TRANSIENT_PROTOCOL_ERROR.test(text);
      // Retries are bounded on purpose (see createRecordProducer): the warning about it is not news to an operator.
      if (lvl === 'warn' && String(message).startsWith('Limiting retries for the idempotent producer')) return;
      log[transient ? 'debug' : lvl](String(message), fields);
    },
  });
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${topics.join(', ')} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<string[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      // kafkajs' own waitForLeaders fails with UNKNOWN_TOPIC_OR_PARTITION while a fresh broker propagates the topic
      await admin.createTopics({ topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions })), waitForLeaders: false });
      await waitForLeaders(admin, missing.map((t) => t.topic));
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

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

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  fromBeginning: boolean;
  maxBytes: number;
  partitionsConsumedConcurrently: number;
  /** A crashed member's partitions move to the others after this long. */
  sessionTimeoutMs: number;
  /** Called when the group (re)assigns partitions, e.g. to forget per-partition metrics. */
  onRebalance?: () => void;
  /** At most one offset commit per this many ms (default 100); a stop or a rebalance commits at once. */
  commitIntervalMs?: number;
  /**
   * A fetch returns once it has this many bytes or has waited `fetchWaitMs` (defaults 1 byte, 500 ms: at once when
   * anything is there). Readers that need no millisecond latency (replicated graph links, labels, lists) wait for
   * more, so that a trickle of small messages costs a few fetches a second instead of one per message.
   */
  fetchMinBytes?: number;
  fetchWaitMs?: number;
}

export const DEFAULT_COMMIT_INTERVAL_MS = 100;

/** True while some broker answered one of the consumer's requests within the last `timeoutMs`. */
function trackBrokerContact(consumer: Consumer, timeoutMs: number): { reachable(): boolean } {
  let lastAnswer = Date.now();
  consumer.on(consumer.events.REQUEST, () => {
    lastAnswer = Date.now();
  });
  return { reachable: () => Date.now() - lastAnswer <= timeoutMs };
}

/** True from the group join until a crash or stop; `onJoin` is told of every (re)join. */
function trackMembership(consumer: Consumer, onJoin?: () => void): { isMember(): boolean } {
  let member = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    member = true;
    onJoin?.();
  });
  consumer.on(consumer.events.CRASH, () => {
    member = false;
  });
  consumer.on(consumer.events.STOP, () => {
    member = false;
  });
  return { isMember: () => member };
}

export function createBatchConsumer(kafka: Kafka, options: ConsumerOptions): BatchConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    maxBytes: options.maxBytes,
    maxBytesPerPartition: Math.min(options.maxBytes, 2 * 1024 * 1024),
    minBytes: options.fetchMinBytes ?? 1,
    maxWaitTimeInMs: options.fetchWaitMs ?? 500,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
    allowAutoTopicCreation: false,
  });
  let stopping = false;
  const logger = consumer.logger();
  const committer = new OffsetCommitter(
    options.topic,
    (error) => logger.warn('offset commit failed; its offsets go with the next commit', { groupId: options.groupId, error: (error as Error).message }),
    options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
  );
  const membership = trackMembership(consumer, () => {
    committer.forget();
    options.onRebalance?.();
  });
  // Before the group moves partitions, what was decided is committed, so their next owner does not repeat it.
  consumer.on(consumer.events.REBALANCING, () => void committer.flush());
  // Fetches return at least every 500 ms and heartbeats go out every session/10 even while a batch waits on Redis: half a
  // session without an answer means the broker is gone, well before kafkajs gives up and crashes the consumer.
  const contact = trackBrokerContact(consumer, Math.max(3000, options.sessionTimeoutMs / 2));
  return {
    async start(handler) {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }) => {
          if (batch.messages.length === 0) return;
          await handler(incomingBatch(batch, heartbeat, () => isRunning() && !isStale() && !stopping));
          const last = batch.messages[batch.messages.length - 1]!;
          // Resolving moves the fetch position; without it kafkajs fetches the same batch again.
          resolveOffset(last.offset);
          // Commits go straight to the group through the batch's own commitOffsetsIfNecessary: consumer.commitOffsets
          // is silently skipped once a stop has begun, which would lose the commit of the batch a SIGTERM lets finish.
          committer.queue(batch.partition, (BigInt(last.offset) + 1n).toString(), (topic, offsets) =>
            commitOffsetsIfNecessary({ topics: [{ topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })) }] }),
          );
          // A batch finished while stopping is committed before the consumer leaves its group.
          if (stopping || !isRunning()) await committer.flush();
        },
      });
    },
    async stop() {
      stopping = true;
      await committer.flush();
      // batches that finish during the disconnect flush their own commits (eachBatch above)
      await consumer.disconnect();
    },
    isConsuming: membership.isMember,
    brokerReachable: contact.reachable,
  };
}

/**
 * A topic's low and high watermarks per partition. Retries what kafkajs marks retriable (a topic
 * created a moment ago may not have its leaders known everywhere yet), with backoff and jitter.
 */
async function fetchOffsetsWithRetry(kafka: Kafka, topic: string, attempts = 8): Promise<{ partition: number; offset: string; low: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin.fetchTopicOffsets(topic);
      } catch (error) {
        if (attempt >= attempts || (error as { retriable?: unknown }).retriable !== true) throw error;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, 100, 2000)));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export interface TailConsumerOptions {
  /** A group of this reader's own: it commits nothing and starts from the tail on every start. */
  groupId: string;
  topic: string;
  /** How many of the newest messages to read first, spread over the partitions (each gets ceil(tail / partitions)). */
  tail: number;
  maxBytes: number;
}

/**
 * Reads the newest `tail` messages of a topic, then follows it live, committing nothing: for readers
 * that keep no position of their own, such as the analyst console's alert feed.
 */
export function createTailConsumer(kafka: Kafka, options: TailConsumerOptions): BatchConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    maxBytes: options.maxBytes,
    maxBytesPerPartition: Math.min(options.maxBytes, 1024 * 1024),
    maxWaitTimeInMs: 50,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    allowAutoTopicCreation: false,
  });
  let stopping = false;
  const membership = trackMembership(consumer);
  const contact = trackBrokerContact(consumer, 15_000);
  return {
    async start(handler) {
      const offsets = await fetchOffsetsWithRetry(kafka, options.topic);
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          if (batch.messages.length === 0) return;
          await handler(incomingBatch(batch, heartbeat, () => isRunning() && !isStale() && !stopping));
        },
      });
      const perPartition = BigInt(Math.ceil(options.tail / Math.max(1, offsets.length)));
      for (const { partition, offset, low } of offsets) {
        const high = BigInt(offset);
        const from = high - perPartition > BigInt(low) ? high - perPartition : BigInt(low);
        consumer.seek({ topic: options.topic, partition, offset: from.toString() });
      }
    },
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
    isConsuming: membership.isMember,
    brokerReachable: contact.reachable,
  };
}
