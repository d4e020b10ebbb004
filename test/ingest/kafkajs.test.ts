import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { GROUPING_MODULE, groupMessagesPerPartition, linearGroupingInstalled, originalEncoder } from '../../src/ingest/kafkajs.ts';
import '../../src/ingest/index.ts';
import { originalModule, recordBatch, recordBatchWriterInstalled, RECORD_BATCH_MODULE, RECORD_MODULE, type RecordBatchInput, type RecordFields } from '../../src/ingest/kafkajs-record-batch.ts';
import { crc32c } from '../../src/ingest/crc32c.ts';
import { produceRequest, produceRequestInstalled, PRODUCE_REQUEST_MODULE, type ProduceRequest, type ProduceRequestInput } from '../../src/ingest/kafkajs-produce-request.ts';

type Group = typeof groupMessagesPerPartition;

/** kafkajs' own implementation, evaluated from its file (the module cache holds the replacement). */
function originalGrouping(): Group {
  return originalModule<Group>(GROUPING_MODULE);
}

describe('kafkajs with a linear per-partition grouping', () => {
  it('groups like kafkajs\' own implementation: same partitions, same messages, same order', () => {
    const original = originalGrouping();
    let seed = 5;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [count, partitions] of [[0, 3], [1, 1], [50, 12], [1650, 1], [2000, 7]] as const) {
      const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: Math.floor(next() * partitions) }));
      const input = { topic: 't', partitionMetadata: Array.from({ length: partitions }, (_, p) => ({ partitionId: p })), messages, partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition };
      assert.deepStrictEqual(groupMessagesPerPartition(input), original(input), `${count} messages over ${partitions} partitions`);
    }
    assert.deepStrictEqual(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{}], partitioner: () => 0 }), {});
  });

  it('is the module kafkajs\' producer loads once Vigil\'s Kafka seam is imported', () => {
    assert.equal(linearGroupingInstalled(), true);
  });
});

describe('kafkajs encoder with non-allocating varint writers', () => {
  const require = createRequire(import.meta.url);
  const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { writeUVarInt(v: number): unknown; writeVarLong(v: unknown): unknown; writeVarInt(v: number): unknown; buffer: Buffer };
  const bytes = (write: (encoder: InstanceType<typeof Encoder>) => void): Buffer => {
    const encoder = new Encoder();
    write(encoder);
    return encoder.buffer;
  };
  const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), Date.now(), -Date.now()];
  for (let i = 0; i < 2000; i++) values.push(Math.floor((Math.random() - 0.5) * 2 ** (1 + (i % 52))));

  it('writes the bytes kafkajs\' own writers write, varints and varlongs, in and beyond the fast range', () => {
    for (const value of values) {
      assert.deepEqual(bytes((e) => e.writeVarLong(value)), bytes((e) => originalEncoder.writeVarLong.call(e, value)), `varlong ${value}`);
      assert.equal((Encoder as unknown as { sizeOfVarLong(v: number): number }).sizeOfVarLong(value), originalEncoder.sizeOfVarLong.call(Encoder, value), `size of varlong ${value}`);
      if (value >= -(2 ** 31) && value < 2 ** 31) assert.deepEqual(bytes((e) => e.writeVarInt(value)), bytes((e) => originalEncoder.writeUVarInt.call(e, ((value << 1) ^ (value >> 31)) >>> 0)), `varint ${value}`);
    }
    // many values into one encoder: the buffer grows as before
    assert.deepEqual(bytes((e) => values.forEach((v) => e.writeVarLong(v))), bytes((e) => values.forEach((v) => originalEncoder.writeVarLong.call(e, v))));
  });
});

describe('kafkajs record batches written in one pass', () => {
  const require = createRequire(import.meta.url);
  const originalCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };
  const Record = originalModule<(fields: RecordFields) => unknown>(RECORD_MODULE);
  const { RecordBatch } = originalModule<{ RecordBatch(input: RecordBatchInput): Promise<{ buffer: Buffer; size(): number }> }>(RECORD_BATCH_MODULE);
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

  it('checksums like kafkajs\' CRC-32C, for every length around the eight-byte steps', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
      assert.equal(crc32c(bytes), originalCrc(bytes), `${length} bytes`);
    }
    const large = Buffer.from(Array.from({ length: 100_003 }, () => Math.floor(next() * 256)));
    assert.equal(crc32c(large), originalCrc(large));
    assert.equal(crc32c(large.subarray(5, 9005)), originalCrc(large.subarray(5, 9005)));
  });

  it('writes the bytes kafkajs\' own Record and RecordBatch write: keys, values and headers as text, bytes or null', async () => {
    const texts = ['', 'a', 'décision', '€'.repeat(50), 'x'.repeat(300), '{"eventId":"e-1","action":"allow"}'];
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const value = (): string | Buffer | null => {
      const roll = next();
      return roll < 0.1 ? null : roll < 0.4 ? Buffer.from(pick(texts)) : pick(texts);
    };
    for (const count of [0, 1, 2, 7, 130, 1650]) {
      const records: RecordFields[] = Array.from({ length: count }, (_, i) => {
        const record: RecordFields = { offsetDelta: i, timestampDelta: Math.floor(next() * 5000), key: value(), value: value() };
        const roll = next();
        if (roll < 0.3) record.headers = { 'content-type': 'application/json', 'vigil-reason': Buffer.from(pick(texts)) };
        else if (roll < 0.4) record.headers = { many: ['one', Buffer.from('two'), pick(texts)] };
        return record;
      });
      const input: RecordBatchInput = { compression: 0, firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_004_000, producerId: Long.fromValue(4321), producerEpoch: 3, firstSequence: 77, transactional: false, lastOffsetDelta: count - 1 };
      const expected = await RecordBatch({ ...input, records: records.map((r) => Record(r) as RecordFields) });
      const actual = await recordBatch({ ...input, records });
      assert.deepEqual(actual.buf.subarray(0, actual.offset), expected.buffer, `${count} records`);
      assert.equal(actual.offset, expected.size());
    }
  });

  it('is what kafkajs\' produce request uses once Vigil\'s Kafka seam is imported', () => {
    assert.equal(recordBatchWriterInstalled(), true);
  });
});

describe('kafkajs produce requests with records copied by name', () => {
  const require = createRequire(import.meta.url);
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };
  const original = originalModule<(input: ProduceRequestInput) => ProduceRequest>(PRODUCE_REQUEST_MODULE);
  const bytes = async (request: ProduceRequest): Promise<Buffer> => ((await request.encode()) as unknown as { buffer: Buffer }).buffer;
  let seed = 5;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const messages = (count: number, timestamps: 'none' | 'numbers' | 'text' | 'some') =>
    Array.from({ length: count }, (_, i) => {
      const message: Record<string, unknown> = { key: next() < 0.1 ? null : `acc-${i}`, value: next() < 0.5 ? `{"decision":"allow","i":${i}}` : Buffer.from(`bytes ${i}`) };
      if (next() < 0.4) message.headers = { 'content-type': 'application/json', 'vigil-reason': Buffer.from('r') };
      if (timestamps === 'numbers' || (timestamps === 'some' && i % 2 === 0)) message.timestamp = 1_700_000_000_000 + Math.floor(next() * 5000);
      if (timestamps === 'text') message.timestamp = String(1_700_000_000_000 + Math.floor(next() * 5000));
      message.partition = i % 3;
      return message;
    });

  it('encodes the bytes kafkajs\' own request encodes: topics, partitions, timestamps or none, transactions, compression', async (t) => {
    t.mock.method(Date, 'now', () => 1_700_000_001_234);
    const cases: ProduceRequestInput[] = [
      { acks: -1, timeout: 30000, topicData: [] },
      { acks: -1, timeout: 30000, topicData: [{ topic: 'decisions', partitions: [{ partition: 4, messages: messages(1650, 'none') as never }] }] },
      {
        acks: 1,
        timeout: 5000,
        compression: 0,
        topicData: [
          { topic: 'decisions', partitions: [{ partition: 0, messages: messages(7, 'numbers') as never }, { partition: 2, messages: messages(0, 'none') as never }] },
          { topic: 'alerts', partitions: [{ partition: 1, messages: messages(30, 'text') as never }, { partition: 5, messages: messages(11, 'some') as never }] },
        ],
      },
      { acks: -1, timeout: 30000, transactionalId: 'vigil-tx', producerId: Long.fromValue(987), producerEpoch: 2, topicData: [{ topic: 'decisions', partitions: [{ partition: 3, firstSequence: 41, messages: messages(20, 'none') as never }] }] },
      { acks: -1, timeout: 30000, compression: 1, topicData: [{ topic: 'decisions', partitions: [{ partition: 0, messages: messages(50, 'some') as never }] }] },
    ];
    for (const [i, input] of cases.entries()) {
      const expected = original(input);
      const actual = produceRequest(input);
      assert.deepEqual({ ...actual, encode: undefined, expectResponse: actual.expectResponse() }, { ...expected, encode: undefined, expectResponse: expected.expectResponse() }, `case ${i}`);
      assert.deepEqual(await bytes(actual), await bytes(expected), `case ${i}`);
    }
  });

  it('is what kafkajs\' produce requests v3 to v7 use once Vigil\'s Kafka seam is imported', async (t) => {
    t.mock.method(Date, 'now', () => 1_700_000_001_234);
    assert.equal(produceRequestInstalled(), true);
    const input: ProduceRequestInput = { acks: -1, timeout: 30000, topicData: [{ topic: 'decisions', partitions: [{ partition: 1, messages: messages(12, 'none') as never }] }] };
    for (const version of [3, 4, 5, 6, 7]) {
      const request = (require(`kafkajs/src/protocol/requests/produce/v${version}/request.js`) as (input: ProduceRequestInput) => ProduceRequest)(input);
      assert.equal(request.apiVersion, version);
      assert.deepEqual(await bytes(request), await bytes(produceRequest(input)));
    }
  });
});
