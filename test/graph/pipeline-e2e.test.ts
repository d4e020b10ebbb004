import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GraphReplicator, createGraphStage, createKafkaReplicationLog, encodeLabel, loadGraphRules, replicaId, type GraphStage } from '../../src/graph/index.ts';
import { createKafka } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { collect, produce, testKafka } from '../support/kafka.ts';
import { startTestProcessor, testConfig, type TestProcessor } from '../support/processor.ts';
import { until } from '../support/until.ts';

const rules = loadGraphRules(fileURLToPath(new URL('../../graph-rules', import.meta.url)));
const DAY = 86_400_000;

test('two processors on different partitions: A labelled fraud on the labels topic, then a new account B paying from A’s device is blocked, naming A', async (t) => {
  const config = testConfig();
  const seenBy = new Map<string, string>();
  const instances: { name: string; stage: GraphStage; rep: GraphReplicator; vigil: TestProcessor }[] = [];
  t.after(async () => {
    for (const i of instances) await i.rep.close();
    for (const i of instances) await i.vigil.stop();
    await instances[0]?.vigil.cleanup();
  });

  for (const name of ['one', 'two']) {
    const stage = createGraphStage({ rules, horizonMs: 30 * DAY });
    const id = replicaId(`${name}-${config.groupId}`);
    const rep = new GraphReplicator({
      log: createKafkaReplicationLog({ kafka: createKafka({ brokers: config.kafkaBrokers, clientId: id, logger: createLogger('silent') }), groupId: `${config.groupId}.graph.${id}` }),
      target: stage,
      instanceId: id,
      linksTopic: config.topicLinks,
      labelsTopic: config.topicLabels,
    });
    // How the pipeline is to wire it: check, then publish the batch's links (here without waiting).
    const publishing: GraphStage = {
      ...stage,
      check(events, features) {
        const out = stage.check(events, features);
        for (const e of events) seenBy.set(e.account, name);
        void rep.publishLinks(stage.drainOutgoingLinks());
        return out;
      },
    };
    const vigil = await startTestProcessor({ config, stages: { graph: publishing } });
    await rep.start();
    instances.push({ name, stage, rep, vigil });
  }
  await until('both processors consuming and both replicas caught up', () => instances.every((i) => i.vigil.processor.notReadyReason() === undefined && i.rep.isCaughtUp()));

  // Find accounts each instance owns (the payments are keyed by account).
  const kafka = testKafka();
  const now = Date.now();
  const payment = (id: string, account: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, ts: now - 60_000, type: 'payment', amount: 1_250, currency: 'EUR', account, ...extra });
  const probes = Array.from({ length: 12 }, (_, i) => `acc-probe-${i}`);
  await produce(kafka, config.topicPayments, probes.map((a) => ({ key: a, value: payment(`probe-${a}`, a) })));
  await until('the probes to be decided', () => probes.every((a) => seenBy.has(a)));
  const accountA = probes.find((a) => seenBy.get(a) === 'one');
  const accountB = probes.find((a) => seenBy.get(a) === 'two');
  assert.ok(accountA && accountB, `each instance owns some partition: ${JSON.stringify([...seenBy])}`);

  // An analyst labels A as fraud.
  await produce(kafka, config.topicLabels, [{ key: `account:${accountA}`, value: encodeLabel({ entity: `account:${accountA}`, label: 'fraud', by: 'analyst x', at: Date.UTC(2026, 10, 20), reason: 'chargeback' }) }]);
  await until('both replicas to apply the label', () => instances.every((i) => i.stage.stats().labels === 1));

  // A pays from device D on instance one; instance two must learn the link through the links topic.
  await produce(kafka, config.topicPayments, [{ key: accountA, value: payment('pay-a', accountA, { device: 'dev-shared' }) }]);
  await until('instance two to see A’s device link', () => instances[1]!.rep.stats().linksApplied >= 1 + probes.filter((a) => seenBy.get(a) === 'one').length);

  // New account B pays from the same device on instance two.
  await produce(kafka, config.topicPayments, [{ key: accountB, value: payment('pay-b', accountB, { device: 'dev-shared' }) }]);
  const messages = await collect(kafka, [config.topicDecisions], (ms) => ms.some((m) => m.value.toString().includes('"pay-b"')) && ms.some((m) => m.value.toString().includes('"pay-a"')));
  const decisions = new Map(messages.map((m) => JSON.parse(m.value.toString()) as { eventId: string; decision: string; reasons: { rule: string; detail: string }[] }).map((d) => [d.eventId, d]));
  assert.equal(seenBy.get(accountB), 'two');
  const b = decisions.get('pay-b');
  assert.ok(b, 'no decision for pay-b');
  assert.equal(b.decision, 'block', JSON.stringify(b));
  const reason = b.reasons.find((r) => r.rule === 'graph.near_fraud');
  assert.ok(reason, JSON.stringify(b.reasons));
  assert.equal(reason.detail, `payer within 2 hops of a fraud entity: account:${accountB} —device:dev-shared— account:${accountA} (fraud, by analyst x, 2026-11-20: chargeback)`);
  assert.equal(decisions.get('pay-a')?.decision, 'block', 'A itself is labelled fraud');
  // And the other way round: instance one has B's link too.
  // (its links: one per payment instance two decided, the probes it owns and pay-b; replicated logs are read with a
  // fetch that waits up to 100 ms for more data, so they arrive after the decision)
  await until('instance one to see B’s device link', () => instances[0]!.rep.stats().linksApplied >= 1 + probes.filter((a) => seenBy.get(a) === 'two').length);
  assert.deepEqual(instances[0]!.stage.stats().edges, instances[1]!.stage.stats().edges);
});
