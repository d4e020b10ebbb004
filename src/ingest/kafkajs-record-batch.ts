import { createRequire, Module } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32c } from './crc32c.ts';

/**
 * kafkajs encodes every produced record into an Encoder of its own (a zero-filled 512-byte Buffer for a 300-byte
 * decision), copies the records into a growing batch body, the body into the batch, the batch into a length-prefixed
 * copy, and computes the batch's CRC-32C one byte at a time. The replacements below write an uncompressed batch in
 * one pass into one Buffer of its exact size with kafkajs' own Encoder methods (same bytes: test/ingest/kafkajs.test.ts
 * compares them with the original modules), and checksum it eight bytes at a time. Compressed batches keep kafkajs'
 * own path. Installed by src/ingest/kafkajs.ts before kafkajs is first loaded.
 */
const require = createRequire(import.meta.url);

/** kafkajs' protocol encoder, as far as its replacements here and in kafkajs-produce-request.ts use it. */
export interface Encoder {
  buf: Buffer;
  offset: number;
  writeInt8(value: number): Encoder;
  writeInt16(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeInt64(value: unknown): Encoder;
  writeVarInt(value: number): Encoder;
  writeVarLong(value: unknown): Encoder;
  writeVarIntBytes(value: unknown): Encoder;
  writeVarIntString(value: unknown): Encoder;
  writeString(value: string | null): Encoder;
  writeArray(value: readonly Encoder[]): Encoder;
  writeEncoder(value: Encoder): Encoder;
  size(): number;
}
interface EncoderClass {
  new (initialSize?: number): Encoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
}
export const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;

/** What kafkajs' produce request passes for each record: the message with its deltas. */
export interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[] | null>;
}

export interface RecordBatchInput {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: number;
  maxTimestamp?: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: readonly RecordFields[];
}

export type RecordBatchFn = (input: RecordBatchInput) => Promise<Encoder>;

export const RECORD_MODULE = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js');
export const RECORD_BATCH_MODULE = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js');

/** A kafkajs module evaluated from its own file, outside the module cache (which holds the replacement). */
export function originalModule<T>(path: string): T {
  const module = new Module(path);
  module.filename = path;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(path));
  (module as unknown as { _compile(source: string, file: string): void })._compile(readFileSync(path, 'utf8'), path);
  return module.exports as T;
}

const original = {
  Record: originalModule<(fields: RecordFields) => Encoder>(RECORD_MODULE),
  RecordBatch: originalModule<{ RecordBatch: RecordBatchFn; MAGIC_BYTE: number }>(RECORD_BATCH_MODULE).RecordBatch,
};

const MAGIC_BYTE = 2;
const NO_COMPRESSION = 0;
const COMPRESSION_CODEC_MASK = 0x07;
const TRANSACTIONAL_MASK = 16;
/** int64 firstOffset, int32 length, int32 partitionLeaderEpoch, int8 magic, uint32 crc */
const CRC_AT = 8 + 4 + 4 + 1;
const BODY_AT = CRC_AT + 4;
/** int16 attributes, int32 lastOffsetDelta, int64 firstTimestamp, int64 maxTimestamp, int64 producerId, int16 epoch, int32 firstSequence, int32 count */
const BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

const sizeOfBytes = (value: string | Buffer | null | undefined): number => {
  if (value === null || value === undefined) return Encoder.sizeOfVarInt(-1);
  const size = Buffer.isBuffer(value) ? value.length : Buffer.byteLength(String(value), 'utf8');
  return Encoder.sizeOfVarInt(size) + size;
};

const NO_HEADERS: readonly [string, string | Buffer | null][] = [];

function headerPairs(headers: RecordFields['headers']): readonly [string, string | Buffer | null][] {
  if (headers === undefined) return NO_HEADERS;
  const pairs: [string, string | Buffer | null][] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key]!;
    if (Array.isArray(value)) for (const item of value) pairs.push([key, item]);
    else pairs.push([key, value]);
  }
  return pairs;
}

function bodySize(record: RecordFields, pairs: readonly [string, string | Buffer | null][]): number {
  let size = 1 + Encoder.sizeOfVarLong(record.timestampDelta ?? 0) + Encoder.sizeOfVarInt(record.offsetDelta ?? 0) + sizeOfBytes(record.key) + sizeOfBytes(record.value);
  size += Encoder.sizeOfVarInt(pairs.length);
  for (const [key, value] of pairs) size += sizeOfBytes(key) + sizeOfBytes(value);
  return size;
}

/** The record batch kafkajs' produce request sends for a partition (v2 format), as kafkajs' RecordBatch writes it. */
export async function recordBatch(input: RecordBatchInput): Promise<Encoder> {
  const records = input.records ?? [];
  const compression = input.compression ?? NO_COMPRESSION;
  if ((compression & COMPRESSION_CODEC_MASK) !== NO_COMPRESSION) return original.RecordBatch({ ...input, records: records.map((r) => original.Record(r) as unknown as RecordFields) });
  const sizes = new Array<number>(records.length);
  const pairsOf = new Array<readonly [string, string | Buffer | null][]>(records.length);
  let total = BODY_AT + BODY_HEADER;
  for (let i = 0; i < records.length; i++) {
    const pairs = headerPairs(records[i]!.headers);
    const size = bodySize(records[i]!, pairs);
    pairsOf[i] = pairs;
    sizes[i] = size;
    total += Encoder.sizeOfVarInt(size) + size;
  }
  const encoder = new Encoder(0);
  // + 5: the varint writer (src/ingest/kafkajs.ts) reserves 5 bytes for every varint, the last ones included
  encoder.buf = Buffer.allocUnsafe(total + 5);
  const now = Date.now();
  encoder
    .writeInt64(input.firstOffset ?? 0)
    .writeInt32(total - 12)
    .writeInt32(input.partitionLeaderEpoch ?? 0)
    .writeInt8(MAGIC_BYTE)
    .writeInt32(0)
    .writeInt16((compression & COMPRESSION_CODEC_MASK) | (input.transactional === true ? TRANSACTIONAL_MASK : 0))
    .writeInt32(input.lastOffsetDelta ?? 0)
    .writeInt64(input.firstTimestamp ?? now)
    .writeInt64(input.maxTimestamp ?? now)
    .writeInt64(input.producerId ?? -1)
    .writeInt16(input.producerEpoch ?? 0)
    .writeInt32(input.firstSequence ?? 0)
    .writeInt32(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    encoder
      .writeVarInt(sizes[i]!)
      .writeInt8(0)
      .writeVarLong(record.timestampDelta ?? 0)
      .writeVarInt(record.offsetDelta ?? 0)
      .writeVarIntBytes(record.key)
      .writeVarIntBytes(record.value)
      .writeVarInt(pairsOf[i]!.length);
    for (const [key, value] of pairsOf[i]!) encoder.writeVarIntString(key).writeVarIntBytes(value);
  }
  // a size computed unlike kafkajs' writers would grow the buffer and leave a wrong length in the batch
  if (encoder.offset !== total || encoder.buf.length !== total + 5) throw new Error(`record batch of ${encoder.offset} bytes, ${total} expected`);
  encoder.buf.writeUInt32BE(crc32c(encoder.buf.subarray(BODY_AT, total)), CRC_AT);
  return encoder;
}

/** kafkajs' Record, left as the fields the batch above writes (the request builds a fresh object per record already). */
const recordFields = (fields: RecordFields): RecordFields => fields;

/** Puts `exports` in the module cache as the module at `path`, unless that module was loaded already. */
export function installModule(path: string, exports: unknown): void {
  if (require.cache[path] !== undefined) return;
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = exports;
  require.cache[path] = module;
}

export function installRecordBatchWriter(): void {
  installModule(RECORD_MODULE, recordFields);
  installModule(RECORD_BATCH_MODULE, { RecordBatch: recordBatch, MAGIC_BYTE });
}

export const recordBatchWriterInstalled = (): boolean => require.cache[RECORD_BATCH_MODULE]?.exports?.RecordBatch === recordBatch && require.cache[RECORD_MODULE]?.exports === recordFields;
