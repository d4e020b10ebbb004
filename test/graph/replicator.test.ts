import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { GraphReplicator, createKafkaReplicationLog, importLabels, loadGraphRules, replicaId } from '../../src/graph/index.ts';
import { createKafka } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { createGraphCore } from '../../src/graph/stage.ts';
import { DAY, T0, pay } from './helpers.ts';
import { until } from '../support/until.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const run = randomUUID().slice(0, 8);
const linksTopic = `test-graph-links-${run}`;
const labelsTopic = `test-graph-labels-${run}`;
const admin = new Kafka({ clientId: `test-graph-${run}`, brokers, logLevel: logLevel.ERROR }).admin();
const rules = loadGraphRules(fileURLToPath(new URL('../../graph-rules', import.meta.url)));
const open: GraphReplicator[] = [];

function replica(name: string) {
  const instanceId = replicaId(`${name}-${run}`);
  const core = createGraphCore({ rules, horizonMs: 90 * DAY });
  const skips: string[] = [];
  const kafka = createKafka({ brokers, clientId: `test-graph-${instanceId}`, logger: createLogger('silent') });
  const log = createKafkaReplicationLog({ kafka, groupId: `test-graph-${instanceId}` });
  const rep = new GraphReplicator({ log, target: core, instanceId, linksTopic, labelsTopic, onSkip: (where, reason) => skips.push(`${where}: ${reason}`) });
  open.push(rep);
  return { core, rep, skips, log };
}

before(async () => {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: linksTopic, numPartitions: 3 }, { topic: labelsTopic, numPartitions: 2 }] });
});

after(async () => {
  for (const rep of open) await rep.close();
  await admin.deleteTopics({ topics: [linksTopic, labelsTopic] });
  await admin.disconnect();
});

test('two replicas on different partitions see each other’s links and all labels; a label blocks the next payment from the fraud device', async () => {
  const one = replica('one');
  const two = replica('two');
  await Promise.all([one.rep.start(), two.rep.start()]);
  await Promise.all([one.rep.waitUntilCaughtUp(30_000), two.rep.waitUntilCaughtUp(30_000)]);
  assert.ok(one.rep.isCaughtUp() && two.rep.isCaughtUp(), 'empty topics: caught up at once');

  // Instance one owns account A's partition: A pays from device D.
  assert.deepEqual(one.core.check([pay({ account: 'A', device: 'D', ts: T0 })], [{}]), [[]]);
  await one.rep.publishLinks(one.core.drainOutgoingLinks());

  // An analyst labels A as fraud (here from a watchlist file through importLabels).
  const dir = mkdtempSync(join(tmpdir(), 'labels-'));
  try {
    const file = join(dir, 'watchlist.jsonl');
    writeFileSync(file, `${JSON.stringify({ entity: 'account:A', label: 'fraud', by: 'analyst x', at: Date.UTC(2026, 10, 20), reason: 'chargeback' })}\n{"entity":"nope"}\n`);
    const result = await importLabels(file, one.log, { topic: labelsTopic });
    assert.equal(result.published, 1);
    assert.deepEqual(result.skipped.map((s) => s.line), [2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  await until('replica two to apply A’s link and label', () => two.rep.stats().linksApplied >= 1 && two.core.graph.labelOf('account:A')?.label === 'fraud');
  await until('replica one to apply the label', () => one.core.graph.labelOf('account:A')?.label === 'fraud');

  // Instance two owns B's partition: a new account B pays from A's device.
  const [reasons] = two.core.check([pay({ account: 'B', device: 'D', ts: T0 + 60_000 })], [{}]);
  assert.equal(reasons![0]?.rule, 'graph.near_fraud');
  assert.equal(reasons![0]!.detail, 'payer within 2 hops of a fraud entity: account:B —device:D— account:A (fraud, by analyst x, 2026-11-20: chargeback)');
  await two.rep.publishLinks(two.core.drainOutgoingLinks());

  await until('replica one to apply B’s link', () => one.core.graph.graph.hasNode('account:B'));
  assert.ok(one.core.graph.graph.hasUndirectedEdge('account:B', 'device:D'));
  await until('each replica to see its own batch come back', () => one.rep.stats().ownBatchesSkipped === 1 && two.rep.stats().ownBatchesSkipped === 1);
  const ad = one.core.graph.graph.getEdgeAttributes(one.core.graph.graph.undirectedEdge('account:A', 'device:D')!);
  assert.equal(ad.count, 1, 'own links are applied once, locally');
  assert.deepEqual(one.core.stats(), two.core.stats());
  assert.deepEqual(one.skips, []);
});

test('a replica started later replays both topics, skips bad messages with a reason, and is caught up only after', async () => {
  const writer = replica('writer');
  await writer.rep.publishLinks([pay({ account: 'W', card: 'K', terminal: 'T', ts: T0 + 1 })]);
  // 1,200 links go out as three messages of at most 500.
  const messagesOnLinks = async () => (await writer.log.offsets(linksTopic)).reduce((n, p) => n + p.high - p.low, 0);
  const before = await messagesOnLinks();
  await writer.rep.publishLinks(Array.from({ length: 1_200 }, (_, i) => pay({ account: `bulk-${i}`, ip: 'ip-bulk', ts: T0 + 2 })));
  assert.equal((await messagesOnLinks()) - before, 3);
  await writer.log.publish(linksTopic, [{ key: 'x', value: Buffer.from('not msgpack') }]);
  await writer.log.publish(labelsTopic, [{ key: 'card:K', value: Buffer.from('{"entity":"card:K","label":"stolen","by":"x","at":1}') }]);
  await writer.log.publish(labelsTopic, [{ key: 'card:K', value: Buffer.from('{"entity":"card:K","label":"fraud","by":"issuer","at":1}') }]);

  const late = replica('late');
  assert.equal(late.rep.isCaughtUp(), false);
  await late.rep.start();
  await late.rep.waitUntilCaughtUp(30_000);
  assert.ok(late.rep.isCaughtUp());
  // Everything published before start is applied once caught up: the first test's links and label, and the writer's.
  const g = late.core.graph;
  assert.ok(g.graph.hasUndirectedEdge('account:A', 'device:D') && g.graph.hasUndirectedEdge('account:B', 'device:D'));
  assert.ok(g.graph.hasUndirectedEdge('card:K', 'terminal:T'));
  assert.equal(g.graph.degree('ip:ip-bulk'), 500, 'the bulk links arrived, up to the ip degree limit');
  assert.equal(late.rep.stats().linksApplied, 1 + 1 + 1 + 1_200);
  assert.equal(g.labelOf('account:A')?.label, 'fraud');
  assert.equal(g.labelOf('card:K')?.by, 'issuer');
  assert.equal(late.rep.stats().skipped, 2);
  assert.ok(late.skips.some((s) => s.startsWith(`${linksTopic}/`) && /not MessagePack|not a map|unsupported version/.test(s)), late.skips.join('\n'));
  assert.ok(late.skips.some((s) => s.startsWith(`${labelsTopic}/`) && /label must be fraud, suspect or legit \(got "stolen"\)/.test(s)), late.skips.join('\n'));
});
