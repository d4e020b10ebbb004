import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, createTopics, distinctDecisions } from '../support/kafka.ts';
import { committedOffsets } from '../support/offsets.ts';
import { freePortPair, startPrivateKafka, type PrivateKafka } from '../support/private-kafka.ts';
import { startReadyVigil } from '../support/readiness.ts';
import { cardPayments, startPacedSwitch } from '../support/switch.ts';
import { killAll, startVigilChild, topicSet, vigilEnv, type VigilChild } from '../support/vigil-child.ts';
import { until } from '../support/until.ts';

const TOTAL = 24_000;
const CARDS = 50;
const PER_SECOND = 300;
const OUTAGE_MS = 15_000;
const PARTITIONS = 6;

interface Outage {
  signal: 'SIGTERM' | 'SIGKILL';
  /** Committed offsets of the group just before the broker was stopped. */
  committed: Map<number, number>;
  /** Committed offsets once the processor had caught up again (nothing between these and the next fault is redone). */
  settled?: Map<number, number>;
  stopAt: number;
  backAt: number;
}

test('the Kafka broker stopped (SIGTERM, then SIGKILL) for 15 s each under load: every event decided, duplicates only after the committed offsets, counts exact, /readyz says not ready meanwhile, the processor survives', async (t) => {
  const t0 = Date.now();
  const progress = (what: string) => process.env.VIGIL_TEST_PROGRESS && process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}\n`);
  let broker: PrivateKafka | undefined;
  const children: VigilChild[] = [];
  t.after(async () => {
    killAll(children);
    await broker?.destroy();
  });
  broker = await startPrivateKafka();
  const kafka = broker.client();
  const { base, topics } = topicSet('kafka-restart');
  const adminPort = await freePortPair();
  const env = vigilEnv(base, topics, { KAFKA_BROKERS: broker.brokers.join(','), VIGIL_TOPIC_PARTITIONS: String(PARTITIONS), VIGIL_ADMIN_PORT: String(adminPort) });
  await createTopics(kafka, Object.values(topics), PARTITIONS);

  const { vigil, readiness } = await startReadyVigil(t, env, adminPort, children);
  const events = cardPayments('kr', TOTAL, CARDS, 211);
  progress('processor ready; switch starts');
  const paymentSwitch = startPacedSwitch(kafka, topics.payments, events, PER_SECOND);
  t.after(() => paymentSwitch.stop());

  const outages: Outage[] = [];
  for (const [signal, share] of [['SIGTERM', 0.2], ['SIGKILL', 0.6]] as const) {
    await until(`${share * 100}% of the input sent`, () => paymentSwitch.sent() >= TOTAL * share, 180_000, 200);
    const committed = await committedOffsets(kafka, env.VIGIL_GROUP_ID!, topics.payments);
    assert.ok([...committed.values()].some((o) => o > 0), 'the processor committed something before the fault');
    const stopAt = Date.now();
    progress(`${signal} broker at ${paymentSwitch.sent()} sent`);
    await broker.stop(signal);
    progress('broker stopped');
    await sleep(Math.max(0, stopAt + OUTAGE_MS - Date.now()));
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    assert.match(metrics, /^vigil_ready 0$/m, `vigil_ready is 0 while the broker is down (${signal})`);
    const backAt = await broker.start();
    const outage: Outage = { signal, committed, stopAt, backAt };
    outages.push(outage);
    progress('broker back');
    assert.ok(await readiness.waitReady(120_000), `ready again after the ${signal} restart (last: ${readiness.samples.at(-1)?.text})`);
    // caught up with every event the switch had sent by now: what comes after this is ordinary processing
    const sentNow = paymentSwitch.sent();
    let committedSum = 0;
    await until('the processor to catch up', async () => {
      const offsets = await committedOffsets(kafka, env.VIGIL_GROUP_ID!, topics.payments);
      committedSum = [...offsets.values()].reduce((a, b) => a + Math.max(0, b), 0);
      return committedSum >= sentNow;
    }, 120_000, 200).catch((error: Error) => {
      throw new Error(`${error.message} after the ${signal} restart: committed ${committedSum} of ${sentNow}; readiness ${readiness.samples.at(-1)?.text}; processor stderr: ${vigil.stderr().slice(-3000)}`);
    });
    outage.settled = await committedOffsets(kafka, env.VIGIL_GROUP_ID!, topics.payments);
    progress('processor caught up');
  }
  await paymentSwitch.done;
  assert.equal(paymentSwitch.sent(), TOTAL, 'the switch sent every event');

  progress('switch done');
  const input = await collect(kafka, [topics.payments], (ms) => ms.length >= TOTAL, 120_000, 2000);
  const positions = new Map<string, { partition: number; offset: number }[]>();
  for (const m of input) {
    const id = (JSON.parse(m.value.toString()) as { id: string }).id;
    positions.set(id, [...(positions.get(id) ?? []), { partition: m.partition, offset: Number(m.offset) }]);
  }
  assert.equal(positions.size, TOTAL, 'every event is on the input topic');
  const inputDuplicates = input.length - TOTAL;

  const decisions = await collect(kafka, [topics.decisions], distinctDecisions(TOTAL), 240_000, 3000);
  progress('decisions read');
  const parsed = decisions.map((m) => ({ ...(JSON.parse(m.value.toString()) as { eventId: string; features: Record<string, number> }), at: m.timestamp }));
  const seen = new Map<string, number>();
  const firstDecidedAt = new Map<string, number>();
  for (const d of parsed) {
    seen.set(d.eventId, (seen.get(d.eventId) ?? 0) + 1);
    firstDecidedAt.set(d.eventId, Math.min(d.at, firstDecidedAt.get(d.eventId) ?? Infinity));
  }
  const lost = events.length - [...positions.keys()].filter((id) => seen.has(id)).length;
  if (lost > 0) t.diagnostic(`processor stderr: ${vigil.stderr().slice(-3000)}`);
  assert.equal(lost, 0, `${lost} events were never decided`);

  // Velocity counts are exact: event n is the (n / CARDS + 1)-th payment of its card, all within the hour.
  const wrong = parsed.filter((d) => d.features['card.count.1h'] !== Math.floor(Number(d.eventId.slice('kr-'.length)) / CARDS) + 1);
  assert.equal(wrong.length, 0, `${wrong.length} decisions carry a card.count.1h different from the input (first: ${JSON.stringify(wrong[0])})`);

  // A decision is repeated only for an offset that was not committed when a fault began (and before the processor
  // had caught up again), or because the input itself holds the event twice.
  const redone = (partition: number, offset: number) =>
    outages.some((o) => offset >= (o.committed.get(partition) ?? -1) && offset < (o.settled?.get(partition) ?? Infinity));
  let duplicates = 0;
  for (const [id, count] of seen) {
    if (count === 1) continue;
    duplicates += count - 1;
    const at = positions.get(id)!;
    const allowed = at.length + at.filter((p) => redone(p.partition, p.offset)).length;
    assert.ok(count <= allowed, `${id} at ${JSON.stringify(at)} was decided ${count} times although committed before every fault (${JSON.stringify(outages.map((o) => [...o.committed]))})`);
  }

  for (const o of outages) {
    const during = readiness.samples.filter((s) => s.at >= o.stopAt && s.at <= o.backAt);
    const notReady = during.filter((s) => !s.ready);
    assert.ok(notReady.length > 0, `/readyz said not ready while the broker was down after ${o.signal} (${during.length} samples: ${JSON.stringify(during.slice(0, 3))})`);
    o.signal === 'SIGTERM' && t.diagnostic(`/readyz during the outage: "${notReady[0]!.text}"`);
  }
  assert.equal(vigil.child.exitCode, null, `the processor is still running (stderr: ${vigil.stderr().slice(-1000)})`);
  assert.equal(vigil.child.signalCode, null, 'the processor was not killed');

  for (const o of outages) {
    const due = paymentSwitch.dueAt(o.backAt);
    let caughtUp = o.backAt;
    for (let n = 0; n < due; n++) caughtUp = Math.max(caughtUp, firstDecidedAt.get(`kr-${n}`)!);
    const firstNotReady = readiness.samples.find((s) => s.at >= o.stopAt && !s.ready);
    t.diagnostic(
      `${o.signal}: broker down ${((o.backAt - o.stopAt) / 1000).toFixed(1)} s (stop + ${OUTAGE_MS / 1000} s + restart until it answers); not ready after ${firstNotReady ? ((firstNotReady.at - o.stopAt) / 1000).toFixed(1) : '?'} s; ` +
        `every event due by the restart (${due}) decided ${((caughtUp - o.backAt) / 1000).toFixed(1)} s after the broker was back`,
    );
  }
  t.diagnostic(`${TOTAL} events at ${PER_SECOND}/s, switch retries ${paymentSwitch.failures()}, input duplicates ${inputDuplicates}; lost 0; duplicate decisions ${duplicates}; double counts 0`);
});
