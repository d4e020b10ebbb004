import { Kafka, logLevel as KafkaLogLevel, type Batch, type Consumer, type IHeaders, type Admin } from './kafkajs.ts';
import type { Logger } from '../log.ts';
import { backoffDelay } from '../retry.ts';
import { OffsetCommitter } from './offset-committer.ts';

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

const DEFAULT_COMMIT_INTERVAL_MS = 100;

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
