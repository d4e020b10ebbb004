import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { installProduceRequest } from './kafkajs-produce-request.ts';
import { installModule, installRecordBatchWriter } from './kafkajs-record-batch.ts';

/**
 * kafkajs, loaded with one of its modules replaced. Its producer groups a send's messages per partition by copying
 * the partition's array for every message (`[...current, message]`: O(n²) per partition; tulios/kafkajs#1576, never
 * merged). A batch's decisions are keyed like its payments, so they all land on one partition: 1,650 decisions
 * copied 1.36 million array elements, 37 % of every byte the processor allocated. The replacement groups in one pass,
 * with the same result (test/ingest/kafkajs.test.ts checks it against the original).
 *
 * Every import of kafkajs values in src/ goes through this module, so the replacement is in place before kafkajs'
 * producer first requires the original (Node's module cache is shared by require and import).
 */
const require = createRequire(import.meta.url);

interface GroupInput {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly unknown[];
  partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}

export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupInput): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

export const GROUPING_MODULE = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
installModule(GROUPING_MODULE, groupMessagesPerPartition);

installRecordBatchWriter();
installProduceRequest();
const kafkajs = require('kafkajs') as typeof KafkaJS;

/** kafkajs' protocol encoder, as far as the varint writers below use it. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): KafkaEncoder;
  writeVarLong(value: number | bigint | object): KafkaEncoder;
}
interface KafkaEncoderClass {
  prototype: KafkaEncoder;
  sizeOfVarLong(value: unknown): number;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as KafkaEncoderClass;

/**
 * kafkajs writes every varint of every record through a new Buffer (`Buffer.from(byteArray)`) and every varlong
 * through 64-bit Long objects: with a record's offset, timestamp, key and value lengths and headers, the largest
 * source of garbage after the grouping above. These write the same bytes into the encoder's own buffer; varlongs
 * beyond ±2^30 (never a record's deltas) still take kafkajs' path. test/ingest/kafkajs.test.ts compares the bytes.
 */
export const originalEncoder = { writeUVarInt: Encoder.prototype.writeUVarInt, writeVarLong: Encoder.prototype.writeVarLong, sizeOfVarLong: Encoder.sizeOfVarLong };
const smallInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 30) && value < 2 ** 30;
Encoder.prototype.writeUVarInt = function writeUVarInt(this: KafkaEncoder, value: number): KafkaEncoder {
  this.ensureAvailable(5);
  let rest = value;
  while ((rest & 0xffffff80) !== 0) {
    this.buf[this.offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  this.buf[this.offset++] = rest & 0x7f;
  return this;
};
Encoder.prototype.writeVarLong = function writeVarLong(this: KafkaEncoder, value: number | bigint | object): KafkaEncoder {
  if (!smallInteger(value)) return originalEncoder.writeVarLong.call(this, value);
  return this.writeUVarInt(((value << 1) ^ (value >> 31)) >>> 0);
};
Encoder.sizeOfVarLong = function sizeOfVarLong(value: unknown): number {
  if (!smallInteger(value)) return originalEncoder.sizeOfVarLong.call(Encoder, value);
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while ((zigzag & 0xffffff80) !== 0) {
    bytes++;
    zigzag >>>= 7;
  }
  return bytes;
};
export const Kafka = kafkajs.Kafka;
export type Kafka = KafkaJS.Kafka;
export const logLevel = kafkajs.logLevel;
export type logLevel = KafkaJS.logLevel;
export const Partitioners = kafkajs.Partitioners;
export const CompressionTypes = kafkajs.CompressionTypes;
export type { Admin, Batch, Consumer, IHeaders, Producer } from 'kafkajs';
/** True when kafkajs' producer uses the linear grouping (false if kafkajs was loaded before this module). */
export const linearGroupingInstalled = (): boolean => require.cache[GROUPING_MODULE]?.exports === groupMessagesPerPartition;
