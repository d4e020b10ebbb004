import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, createTopics, deleteTopics, distinctDecisions, testKafka } from '../support/kafka.ts';
import { freePortPair } from '../support/private-kafka.ts';
import { startReadyVigil } from '../support/readiness.ts';
import { startPrivateTestCluster, type RedisClusterHandle } from '../support/redis-cluster.ts';
import { cardPayments, startPacedSwitch } from '../support/switch.ts';
import { killAll, startVigilChild, topicSet, vigilEnv, type VigilChild } from '../support/vigil-child.ts';
import { until } from '../support/until.ts';

const TOTAL = 12_000;
const CARDS = 60;
const PER_SECOND = 200;
/** How long the killed master stays down after its replica took over, before it is restarted and rejoins as a replica. */
const REJOIN_AFTER_MS = 5000;

function cli(port: number, ...args: string[]): string {
  return (spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 2000 }).stdout ?? '').trim();
}

/** `cluster nodes` as seen by one node: port, role flags, and the master id of a replica. */
function clusterNodes(port: number): { id: string; port: number; master: boolean; failed: boolean; masterId: string }[] {
  return cli(port, 'cluster', 'nodes')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, masterId] = line.split(' ');
      return { id: id!, port: Number(address!.split('@')[0]!.split(':')[1]), master: flags!.includes('master'), failed: /fail/.test(flags!), masterId: masterId! };
    });
}

test('a Redis Cluster master killed (-9) under load, its replica promoted, the node back as a replica: every event decided with its features, none lost, every count exact (writes wait for a replica)', async (t) => {
  let cluster: RedisClusterHandle | undefined;
  const children: VigilChild[] = [];
  const kafka = testKafka();
  const { base, topics } = topicSet('redis-failover');
  t.after(async () => {
    killAll(children);
    await cluster?.stop();
    await deleteTopics(kafka, Object.values(topics));
  });
  cluster = await startPrivateTestCluster();
  const adminPort = await freePortPair();
  const env = vigilEnv(base, topics, {
    REDIS_URL: cluster.url,
    VIGIL_FEATURES_MIN_REPLICAS: '1',
    VIGIL_TOPIC_PARTITIONS: '6',
    VIGIL_ADMIN_PORT: String(adminPort),
    VIGIL_RETRY_MAX_DELAY_MS: '1000',
  });
  await createTopics(kafka, Object.values(topics), 6);
  const { vigil, readiness } = await startReadyVigil(t, env, adminPort, children);
  const events = cardPayments('rf', TOTAL, CARDS);
  const paymentSwitch = startPacedSwitch(kafka, topics.payments, events, PER_SECOND);
  t.after(() => paymentSwitch.stop());

  await until('a third of the input sent', () => paymentSwitch.sent() >= TOTAL / 3, 180_000, 100);
  const [survivor, ...rest] = cluster.ports;
  const victim = clusterNodes(survivor!).find((n) => n.master && n.port !== survivor)!;
  const replica = clusterNodes(survivor!).find((n) => n.masterId === victim.id)!;
  assert.ok(victim !== undefined && replica !== undefined && rest.length === 5, 'a master with a replica to kill');
  const killAt = Date.now();
  await cluster.killNode(victim.port);
  await until('the replica to be promoted', () => clusterNodes(replica.port).some((n) => n.port === replica.port && n.master) && /cluster_state:ok/.test(cli(survivor!, 'cluster', 'info')), 60_000, 100);
  const promotedAt = Date.now();
  await sleep(REJOIN_AFTER_MS);
  await cluster.restartNode(victim.port);
  await until('the killed node to rejoin as a synced replica', () => /role:slave[\s\S]*master_link_status:up/.test(cli(victim.port, 'info', 'replication')), 60_000, 100);
  const rejoinedAt = Date.now();

  assert.ok(await readiness.waitReady(120_000), `ready again after the failover (last: ${readiness.samples.at(-1)?.text})`);
  await paymentSwitch.done;
  const decisions = await collect(kafka, [topics.decisions], distinctDecisions(TOTAL), 180_000, 3000);
  const parsed = decisions.map((m) => ({ ...(JSON.parse(m.value.toString()) as { eventId: string; features: Record<string, number> }), at: m.timestamp }));
  const firstDecidedAt = new Map<string, number>();
  for (const d of parsed) firstDecidedAt.set(d.eventId, Math.min(d.at, firstDecidedAt.get(d.eventId) ?? Infinity));
  const lost = events.filter((_, n) => !firstDecidedAt.has(`rf-${n}`)).length;
  if (lost > 0) t.diagnostic(`processor stderr: ${vigil.stderr().slice(-3000)}`);
  assert.equal(lost, 0, `${lost} events were never decided`);

  // Every decision carries its features, and the count is the one computed from the input: the event n is the
  // (n / CARDS + 1)-th payment of its card. A count lost with the killed master would show as a lower count on
  // every later payment of its cards; a count applied twice as a higher one.
  const withoutFeatures = parsed.filter((d) => typeof d.features['card.count.1h'] !== 'number').length;
  assert.equal(withoutFeatures, 0, `${withoutFeatures} decisions without the velocity features`);
  const wrong = parsed.filter((d) => d.features['card.count.1h'] !== Math.floor(Number(d.eventId.slice('rf-'.length)) / CARDS) + 1);
  assert.equal(wrong.length, 0, `${wrong.length} decisions carry a card.count.1h different from the input (first: ${JSON.stringify(wrong[0])})`);

  const notReady = readiness.samples.filter((s) => s.at >= killAt && s.at <= rejoinedAt && !s.ready);
  assert.ok(notReady.length > 0, '/readyz said not ready while the features could not be replicated');
  assert.equal(vigil.child.exitCode, null, `the processor is still running (stderr: ${vigil.stderr().slice(-1000)})`);

  const due = paymentSwitch.dueAt(rejoinedAt);
  let caughtUp = rejoinedAt;
  for (let n = 0; n < due; n++) caughtUp = Math.max(caughtUp, firstDecidedAt.get(`rf-${n}`)!);
  t.diagnostic(
    `master ${victim.port} killed: replica ${replica.port} promoted after ${((promotedAt - killAt) / 1000).toFixed(1)} s; killed node back as a replica ${((rejoinedAt - killAt) / 1000).toFixed(1)} s after the kill; ` +
      `not ready: "${notReady[0]?.text}"; every event due by then (${due}) decided ${((caughtUp - rejoinedAt) / 1000).toFixed(1)} s later`,
  );
  t.diagnostic(`${TOTAL} events at ${PER_SECOND}/s: lost 0, duplicate decisions ${parsed.length - TOTAL}, wrong counts 0, decisions without features 0`);
});
