import { createRequire } from 'node:module';
import { Encoder, installModule, RECORD_BATCH_MODULE, RECORD_MODULE, type RecordBatchFn, type RecordFields } from './kafkajs-record-batch.ts';

/**
 * kafkajs' Produce request v3 (v4 to v7 reuse it), with each record's fields copied by name. kafkajs builds every
 * record as `{ ...message, offsetDelta, timestampDelta }`: on Node 20 an object spread followed by more properties
 * takes V8's slow path, 2.2–2.6 µs per record against 50–70 ns for the same object written field by field
 * (measured on 1,650 decision messages), and a processor produces one to two records per payment. Same request,
 * same bytes (test/ingest/kafkajs.test.ts encodes with both). Installed by src/ingest/kafkajs.ts before kafkajs
 * first loads it.
 */
const require = createRequire(import.meta.url);

const Long = require('kafkajs/src/utils/long.js') as { fromInt(value: number): unknown };
const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number } };
const { Produce: API_KEY } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };

export const PRODUCE_REQUEST_MODULE = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');

/** A message as kafkajs' producer hands it to the request (after partitioning). */
interface ProducedMessage {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  headers?: RecordFields['headers'];
  timestamp?: string | number | null;
}

interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: readonly ProducedMessage[];
}

interface TopicData {
  topic: string;
  partitions: readonly PartitionData[];
}

export interface ProduceRequestInput {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: readonly TopicData[];
}

export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<Encoder>;
}

// resolved when a request is first encoded, so that they are the module cache's (the one-pass writers once installed)
let batchModules: { Record: (fields: RecordFields) => unknown; RecordBatch: RecordBatchFn } | undefined;
function batchWriters(): NonNullable<typeof batchModules> {
  batchModules ??= { Record: require(RECORD_MODULE), RecordBatch: (require(RECORD_BATCH_MODULE) as { RecordBatch: RecordBatchFn }).RecordBatch };
  return batchModules;
}

export function produceRequest({ acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, compression = Types.None, topicData }: ProduceRequestInput): ProduceRequest {
  return {
    apiKey: API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async () => {
      const topics: Encoder[] = [];
      for (const { topic, partitions } of topicData) {
        const encoded: Encoder[] = [];
        for (const data of partitions) encoded.push(await partitionRecords(data, compression, transactionalId, producerId, producerEpoch));
        topics.push(new Encoder().writeString(topic).writeArray(encoded));
      }
      return new Encoder().writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeArray(topics);
    },
  };
}

async function partitionRecords({ partition, firstSequence, messages }: PartitionData, compression: number, transactionalId: string | null, producerId: unknown, producerEpoch: number): Promise<Encoder> {
  const now = Date.now();
  // sorted as kafkajs sorts them (as text: the same order for timestamps of 13 digits), for the same bytes
  const timestamps = messages.map((message) => message.timestamp).filter((timestamp) => timestamp != null);
  timestamps.sort();
  const firstTimestamp = timestamps.length === 0 ? now : timestamps[0];
  const maxTimestamp = timestamps.length === 0 ? now : timestamps[timestamps.length - 1];
  const { Record, RecordBatch } = batchWriters();
  const first = Number(firstTimestamp);
  const records = new Array<RecordFields>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ProducedMessage;
    const timestampDelta = Number(message.timestamp || now) - first;
    records[i] = Record({ key: message.key, value: message.value, headers: message.headers, offsetDelta: i, timestampDelta }) as RecordFields;
  }
  const batch = await RecordBatch({
    compression,
    records,
    firstTimestamp: firstTimestamp as number,
    maxTimestamp: maxTimestamp as number,
    producerId,
    producerEpoch,
    firstSequence,
    transactional: !!transactionalId,
    lastOffsetDelta: records.length - 1,
  });
  return new Encoder().writeInt32(partition).writeInt32(batch.size()).writeEncoder(batch);
}

export function installProduceRequest(): void {
  installModule(PRODUCE_REQUEST_MODULE, produceRequest);
}

export const produceRequestInstalled = (): boolean => require.cache[PRODUCE_REQUEST_MODULE]?.exports === produceRequest;
