import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';

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
if (require.cache[GROUPING_MODULE] === undefined) {
  const module = new (require('node:module') as { new (id: string): NodeJS.Module })(GROUPING_MODULE);
  module.filename = GROUPING_MODULE;
  module.loaded = true;
  module.exports = groupMessagesPerPartition;
  require.cache[GROUPING_MODULE] = module;
}

const kafkajs = require('kafkajs') as typeof KafkaJS;
export const Kafka = kafkajs.Kafka;
export type Kafka = KafkaJS.Kafka;
export const logLevel = kafkajs.logLevel;
export type logLevel = KafkaJS.logLevel;
export const Partitioners = kafkajs.Partitioners;
export const CompressionTypes = kafkajs.CompressionTypes;
export type { Admin, Batch, Consumer, IHeaders, Producer } from 'kafkajs';
/** True when kafkajs' producer uses the linear grouping (false if kafkajs was loaded before this module). */
export const linearGroupingInstalled = (): boolean => require.cache[GROUPING_MODULE]?.exports === groupMessagesPerPartition;
