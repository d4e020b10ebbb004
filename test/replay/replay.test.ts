import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { createGunzip } from 'node:zlib';
import { createKafka, createRecordProducer, decodeEvent, type OutgoingRecord } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { openDataset, replay } from '../../src/replay/index.ts';
import { uniqueName, KAFKA_BROKERS } from '../support/env.ts';
import { collect, createTopics, deleteTopics, testKafka } from '../support/kafka.ts';
import { validateLabel } from '../../src/graph/index.ts';

const HANDBOOK = '/work/shared/datasets/fraud-handbook';

/** Independent count of handbook rows with TX_DATETIME in [from, to) (string compare on the raw file). */
async function countRows(file: string, from: string, to: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file).pipe(createGunzip()) })) {
    const dt = line.split(',')[1]!;
    if (dt >= from && dt < to) n++;
  }
  return n;
}

test('replay streams handbook payments in event-time order to the real broker and feeds labels after the delay', async (t) => {
  const kafka = testKafka();
  const topic = uniqueName('replay');
  await createTopics(kafka, [topic], 1); // one partition: payments and labels in one total order
  t.after(() => deleteTopics(kafka, [topic]));
  const expected = await countRows(`${HANDBOOK}/2018-04.csv.gz`, '2018-04-01 10:00:00', '2018-04-01 10:30:00');
  const producer = createRecordProducer(createKafka({ brokers: KAFKA_BROKERS, clientId: uniqueName('replay'), logger: createLogger('silent') }));
  t.after(() => producer.close());
  const result = await replay({
    dataset: await openDataset(HANDBOOK), producer, paymentsTopic: topic, labelsTopic: topic, labelDelayMs: 10 * 60_000, batchSize: 7,
    range: { from: Date.parse('2018-04-01T10:00:00Z'), to: Date.parse('2018-04-01T10:30:00Z') },
  });
  assert.equal(result.payments, expected);
  assert.equal(result.labels, 1); // transaction 3527 at 10:17:43 is the only fraud of that half hour
  const messages = await collect(kafka, [topic], (m) => m.length >= expected + 1);
  assert.equal(messages.length, expected + 1);
  const payments = messages.filter((m) => m.headers['content-type'] === 'application/json').map((m) => decodeEvent(m.value, 'json', Date.now(), { maxBytes: 65_536, maxFutureSkewMs: 0 }));
  assert.equal(payments.length, expected);
  for (let i = 1; i < payments.length; i++) assert.ok(payments[i]!.ts >= payments[i - 1]!.ts, 'event-time order');
  const fraud = payments.find((p) => p.id === 'hb-3527')!;
  assert.deepEqual(fraud, { id: 'hb-3527', ts: Date.parse('2018-04-01T10:17:43Z'), type: 'card_auth', amount: 22_541, currency: 'EUR', account: 'cust-3774', card: '3774', terminal: '3059' });
  const labelAt = messages.findIndex((m) => m.headers['content-type'] === undefined);
  const label = JSON.parse(messages[labelAt]!.value.toString());
  assert.deepEqual(label, { entity: 'card:3774', label: 'fraud', by: 'replay:fraud-handbook', at: fraud.ts + 600_000, reason: 'dataset label of transaction 3527',
    payment: { id: 'hb-3527', ts: fraud.ts, amount: fraud.amount, terminal: fraud.terminal! } });
  assert.ok(validateLabel(label).ok, 'a label the graph stage accepts');
  assert.equal(messages[labelAt]!.key, 'card:3774');
  // the label sits exactly where its due time falls in the payments' event time
  const before = payments.slice(0, labelAt);
  const after = payments.slice(labelAt);
  assert.ok(before.some((p) => p.id === 'hb-3527'));
  assert.ok(before.every((p) => p.ts < label.at), 'payments before the label are earlier than its due time');
  assert.ok(after.length > 0 && after.every((p) => p.ts >= label.at), 'payments after the label are not earlier than its due time');
});

/** A producer that records what it is given, and a fake clock: pacing is checked without timing anything. */
function fakes() {
  let clock = 0;
  const sent: OutgoingRecord[][] = [];
  const sleeps: number[] = [];
  return {
    sent, sleeps,
    producer: { connect: async () => {}, send: async (r: readonly OutgoingRecord[]) => { sent.push([...r]); }, close: async () => {} },
    now: () => clock,
    sleep: async (ms: number) => { sleeps.push(ms); clock += ms; },
  };
}

test('--rate paces payments per second of wall clock; --limit stops early', async () => {
  const f = fakes();
  const r = await replay({ dataset: await openDataset(HANDBOOK), producer: f.producer, paymentsTopic: 'p', rate: 100, batchSize: 50, limit: 200, now: f.now, sleep: f.sleep });
  assert.equal(r.payments, 200);
  assert.deepEqual(f.sent.map((b) => b.length), [50, 50, 50, 50]);
  assert.deepEqual(f.sleeps, [500, 500, 500, 500]); // 50 payments at 100/s = 0.5 s each batch
});

test('--speedup maps event time to wall time', async () => {
  const f = fakes();
  const from = Date.parse('2018-04-01T00:00:00Z');
  await replay({ dataset: await openDataset(HANDBOOK), producer: f.producer, paymentsTopic: 'p', speedup: 3600, range: { from, to: from + 3 * 3_600_000 }, now: f.now, sleep: f.sleep });
  // three hours of event time at 3600× take three seconds of (fake) wall time
  const total = f.sleeps.reduce((a, b) => a + b, 0);
  assert.ok(total > 2_900 && total <= 3_000, `slept ${total} ms`);
  assert.ok(f.sent.length > 100, 'payments go out as their time comes, not in one batch');
});

test('AMLSim and IBM HI-Small rows map to the event contract with their labels', async () => {
  const aml = await openDataset('/work/shared/datasets/amlsim/20K_fanin200');
  let first: Awaited<ReturnType<ReturnType<typeof aml.records>['next']>>['value'];
  let fraudSeen = 0;
  let n = 0;
  for await (const r of aml.records()) {
    first ??= r;
    if (r.fraud) fraudSeen++;
    if (++n >= 20_000) break;
  }
  assert.equal(first!.event.type, 'transfer');
  assert.match(first!.event.account, /^acc-\d+$/);
  assert.match(first!.event.beneficiary!, /^acc-\d+$/);
  assert.ok(first!.event.ts >= Date.parse('2018-01-01T00:00:00Z'));
  assert.ok(fraudSeen > 0, 'payers in laundering patterns are labelled');
  assert.deepEqual(first!.labelEntities, [`account:${first!.event.account}`]);

  const ibm = await openDataset('/work/shared/datasets/ibm-aml-hi-small');
  let rows = 0;
  let laundering = 0;
  let last = 0;
  for await (const r of ibm.records()) {
    rows++;
    if (r.fraud) laundering++;
    assert.ok(r.event.ts >= last, 'sorted by time');
    last = r.event.ts;
  }
  assert.equal(rows, 28_374);
  assert.equal(laundering, 185);
});

test('vigil replay (the command) parses its options, creates the topics and sends the slice', async (t) => {
  const { replayCommand } = await import('../../src/replay/index.ts');
  const kafka = testKafka();
  const payments = uniqueName('replay-cmd');
  const labels = uniqueName('replay-cmd-labels');
  t.after(() => deleteTopics(kafka, [payments, labels]));
  const out: string[] = [];
  assert.equal(await replayCommand(['--dataset', HANDBOOK, '--rate', 'fast'], (l) => out.push(l)), 2);
  assert.match(out.join('\n'), /--rate must be > 0/);
  const code = await replayCommand(['--dataset', HANDBOOK, '--topic', payments, '--labels-topic', labels, '--from', '2018-04-01T10:17:00Z', '--limit', '40', '--label-delay', '1m', '--brokers', KAFKA_BROKERS.join(',')], (l) => out.push(l));
  assert.equal(code, 0, out.join('\n'));
  assert.match(out.at(-1)!, new RegExp(`^replayed 40 payments to ${payments} and 1 labels to ${labels}`));
  const got = await collect(kafka, [payments, labels], (m) => m.length >= 41);
  assert.equal(got.filter((m) => m.topic === payments).length, 40);
  assert.deepEqual(got.filter((m) => m.topic === labels).map((m) => JSON.parse(m.value.toString()).entity), ['card:3774']);
});
