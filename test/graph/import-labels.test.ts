import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GraphReplicator, createKafkaReplicationLog, importLabels, replicaId } from '../../src/graph/index.ts';
import { createGraphCore } from '../../src/graph/stage.ts';
import { createKafka } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { DAY } from './helpers.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const run = randomUUID().slice(0, 8);
const labelsTopic = `test-graph-import-labels-${run}`;
const linksTopic = `test-graph-import-links-${run}`;
const kafka = createKafka({ brokers, clientId: `test-graph-import-${run}`, logger: createLogger('silent') });
const admin = kafka.admin();
const dir = mkdtempSync(join(tmpdir(), 'watchlist-'));

before(async () => {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: labelsTopic, numPartitions: 2 }, { topic: linksTopic, numPartitions: 1 }] });
});

after(async () => {
  await admin.deleteTopics({ topics: [labelsTopic, linksTopic] });
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test('importLabels publishes CSV and JSON-array watchlists to the labels topic; bad entries are skipped with line and reason', async () => {
  const csv = join(dir, 'watchlist.csv');
  writeFileSync(
    csv,
    [
      'entity,label,by,at,reason',
      'device:dev-9,fraud,analyst x,2026-11-20T10:00:00Z,"emulator, rooted"',
      'card:4111,suspect,,1795000000000,',
      'account:acc-1,bogus,analyst x,1,',
      'ip:10.0.0.1,fraud',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'list.json');
  writeFileSync(json, JSON.stringify([{ entity: 'merchant:m-1', label: 'fraud', reason: 'bust-out' }, { entity: 'account:', label: 'fraud' }, 7]));
  const publisher = createKafkaReplicationLog({ kafka, groupId: `test-graph-import-pub-${run}` });
  const fromCsv = await importLabels(csv, publisher, { topic: labelsTopic, at: 1_700_000_000_000 });
  const fromJson = await importLabels(json, publisher, { topic: labelsTopic, by: 'ops', at: 1_700_000_000_001 });
  await publisher.close();
  assert.equal(fromCsv.published, 2);
  assert.deepEqual(fromCsv.skipped, [
    { line: 4, reason: 'label must be fraud, suspect or legit (got "bogus")' },
    { line: 5, reason: 'expected 5 fields, got 2' },
  ]);
  assert.equal(fromJson.published, 1);
  assert.deepEqual(fromJson.skipped.map((s) => s.line), [2, 3]);
  assert.match(fromJson.skipped[0]!.reason, /^entity must be "type:id"/);

  // A replica reading the topic from the beginning gets exactly the published labels.
  const core = createGraphCore({ rules: [], horizonMs: DAY });
  const id = replicaId(`import-${run}`);
  const rep = new GraphReplicator({ log: createKafkaReplicationLog({ kafka, groupId: `test-graph-${id}` }), target: core, instanceId: id, linksTopic, labelsTopic });
  try {
    await rep.start();
    await rep.waitUntilCaughtUp(30_000);
    assert.equal(rep.stats().labelsApplied, 3);
    assert.deepEqual(core.graph.labelOf('device:dev-9'), { label: 'fraud', by: 'analyst x', at: Date.UTC(2026, 10, 20, 10), reason: 'emulator, rooted' });
    assert.deepEqual(core.graph.labelOf('card:4111'), { label: 'suspect', by: 'watchlist:watchlist.csv', at: 1_795_000_000_000, reason: '' });
    assert.deepEqual(core.graph.labelOf('merchant:m-1'), { label: 'fraud', by: 'ops', at: 1_700_000_000_001, reason: 'bust-out' });
    assert.equal(core.graph.labelOf('ip:10.0.0.1'), undefined);
  } finally {
    await rep.close();
  }
});
