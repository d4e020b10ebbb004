/**
 * The decode and encode stages, JSON against MessagePack, each beside a baseline in the same run:
 * - decode: `decodeEvent` (parse + validate into a PaymentEvent) against a bare `JSON.parse` of the same bytes;
 * - encode: `decisionRecords` (decision → topic records) against a bare `JSON.stringify` of the same decisions;
 * - Kafka record batches of 1,650 decision records (a batch's decisions share a partition): the one-pass writer
 *   (src/ingest/kafkajs-record-batch.ts) against kafkajs' own Record and RecordBatch modules, on the same records;
 * - Kafka produce requests of the same batches, decision messages as the record producer passes them: records copied
 *   by name (src/ingest/kafkajs-produce-request.ts) against kafkajs' own request module, both on the one-pass writer.
 *
 *   node --import tsx bench/codec.bench.ts [--events 200000] [--json]
 */
import '../src/ingest/kafkajs.ts';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { encode as encodeMsgpack } from '@msgpack/msgpack';
import { decodeEvent, type DecodeLimits } from '../src/ingest/decode.ts';
import type { OutgoingRecord } from '../src/ingest/index.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { decisionRecords } from '../src/sinks/index.ts';
import { originalModule, recordBatch, RECORD_BATCH_MODULE, RECORD_MODULE, type RecordBatchInput, type RecordFields } from '../src/ingest/kafkajs-record-batch.ts';
import type { Decision } from '../src/rules/decision.ts';
import { produceRequest, PRODUCE_REQUEST_MODULE, type ProduceRequest, type ProduceRequestInput } from '../src/ingest/kafkajs-produce-request.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '200000' }, json: { type: 'boolean', default: false } } });
const N = Number(args.events);
const ROUNDS = 5;
const LIMITS: DecodeLimits = { maxBytes: 64 * 1024, maxFutureSkewMs: 300_000 };
const TOPICS = { decisions: 'd', alerts: 'a', dlq: 'q' };

const stream = new SyntheticStream({ seed: 11, customers: 20_000, terminals: 5000, fraudRate: 0.004 });
const now = Date.now();
const events = Array.from({ length: N }, (_, i) => stream.next(now - N + i).event);
const jsonBytes = events.map((e) => Buffer.from(JSON.stringify(e)));
const msgpackBytes = events.map((e) => Buffer.from(encodeMsgpack(e)));
const decisions: Decision[] = events.map((e, i) => ({
  eventId: e.id,
  ts: e.ts,
  decision: i % 50 === 0 ? 'review' : 'allow',
  score: i % 50 === 0 ? 55 : 3,
  reasons: i % 50 === 0 ? [{ rule: 'card.amount_spike', score: 55, detail: 'amount 120000 is 30000 on average for this card over 30 days' }] : [],
  features: { 'card.count.1m': 1, 'card.count.24h': 4, 'card.avg_amount.30d': 3100, 'device.distinct_account.24h': 1, 'ip.count.1h': 2, 'terminal.count.10m': 7 },
  rulesVersion: 'bench',
  latencyMs: 2,
  entities: { account: e.account, ...(e.card ? { card: e.card } : {}), ...(e.device ? { device: e.device } : {}) },
}));

/** Best of ROUNDS: nanoseconds per event. */
function measure(run: () => number): number {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    sink += run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / N);
  }
  if (sink === -1) console.log(sink);
  return best;
}

const rows: { name: string; nsPerEvent: number; baselineNsPerEvent: number }[] = [];
const add = (name: string, ns: number, baseline: number) => rows.push({ name, nsPerEvent: Math.round(ns), baselineNsPerEvent: Math.round(baseline) });

const bareParse = measure(() => { let n = 0; for (const b of jsonBytes) n += (JSON.parse(b.toString()) as { amount: number }).amount; return n; });
add('decode JSON (decodeEvent)', measure(() => { let n = 0; for (const b of jsonBytes) n += decodeEvent(b, 'json', now, LIMITS).amount; return n; }), bareParse);
add('decode MessagePack (decodeEvent)', measure(() => { let n = 0; for (const b of msgpackBytes) n += decodeEvent(b, 'msgpack', now, LIMITS).amount; return n; }), bareParse);
const bareStringify = measure(() => { let n = 0; for (const d of decisions) n += JSON.stringify(d).length; return n; });
for (const format of ['json', 'msgpack'] as const) {
  add(`encode ${format === 'json' ? 'JSON' : 'MessagePack'} (decisionRecords)`, measure(() => {
    const out: OutgoingRecord[] = [];
    for (let i = 0; i < decisions.length; i++) decisionRecords(decisions[i]!, events[i]!.account, TOPICS, format, out);
    return out.length;
  }), bareStringify);
}

const BATCH = 1650;
const kafkaRecords: RecordFields[] = [];
for (let i = 0; i < decisions.length; i++) decisionRecords(decisions[i]!, events[i]!.account, TOPICS, 'json', kafkaRecords as OutgoingRecord[]);
const batchesOf = (records: readonly RecordFields[]) => Array.from({ length: Math.ceil(N / BATCH) }, (_, b) => records.slice(b * BATCH, Math.min(N, (b + 1) * BATCH)).map((r, i) => ({ key: r.key, value: r.value, offsetDelta: i, timestampDelta: 0 })));
const kafkaBatches = batchesOf(kafkaRecords.slice(0, N));
const kafkajsRecord = originalModule<(fields: RecordFields) => RecordFields>(RECORD_MODULE);
const kafkajsBatch = originalModule<{ RecordBatch(input: RecordBatchInput): Promise<{ size(): number }> }>(RECORD_BATCH_MODULE).RecordBatch;
const batchInput = (records: RecordFields[]): RecordBatchInput => ({ compression: 0, firstTimestamp: now, maxTimestamp: now, producerId: 7, producerEpoch: 0, firstSequence: 0, lastOffsetDelta: records.length - 1, records });
const measureAsync = async (run: () => Promise<number>): Promise<number> => {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    await run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / N);
  }
  return best;
};
const kafkajsBatches = await measureAsync(async () => { let n = 0; for (const b of kafkaBatches) n += (await kafkajsBatch(batchInput(b.map((r) => kafkajsRecord({ ...r }))))).size(); return n; });
add(`Kafka record batches of ${BATCH} (one pass)`, await measureAsync(async () => { let n = 0; for (const b of kafkaBatches) n += (await recordBatch(batchInput(b.map((r) => ({ ...r }))))).offset; return n; }), kafkajsBatches);

const kafkajsRequest = originalModule<(input: ProduceRequestInput) => ProduceRequest>(PRODUCE_REQUEST_MODULE);
const messageBatches = Array.from({ length: Math.ceil(N / BATCH) }, (_, b) => kafkaRecords.slice(b * BATCH, Math.min(N, (b + 1) * BATCH)).map((r) => (r.headers === undefined ? { key: r.key, value: r.value } : { key: r.key, value: r.value, headers: r.headers })));
const requestOf = (messages: (typeof messageBatches)[number]): ProduceRequestInput => ({ acks: -1, timeout: 30_000, topicData: [{ topic: 'decisions', partitions: [{ partition: 0, messages }] }] });
const encodedSize = async (request: ProduceRequest): Promise<number> => ((await request.encode()) as unknown as { size(): number }).size();
const kafkajsRequests = await measureAsync(async () => { let n = 0; for (const m of messageBatches) n += await encodedSize(kafkajsRequest(requestOf(m))); return n; });
add(`Kafka produce requests of ${BATCH} (records by name)`, await measureAsync(async () => { let n = 0; for (const m of messageBatches) n += await encodedSize(produceRequest(requestOf(m))); return n; }), kafkajsRequests);

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(2)}, Node ${process.version}`;
console.log(`decode / encode, ${N.toLocaleString('en')} synthetic events, best of ${ROUNDS} rounds; ${machine}`);
console.log('| stage | ns/event | baseline ns/event | ratio to baseline |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.name} | ${r.nsPerEvent} | ${r.baselineNsPerEvent} | ${(r.nsPerEvent / r.baselineNsPerEvent).toFixed(2)} |`);
console.log("baselines: bare JSON.parse of the same bytes (decode), bare JSON.stringify of the same decisions (encode), kafkajs' own Record + RecordBatch (record batches), kafkajs' own produce request on the same batch writer (produce requests)");
if (args.json) console.log(JSON.stringify({ events: N, machine, rows }));
