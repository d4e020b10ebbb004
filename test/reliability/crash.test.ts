import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createTopics, deleteTopics, distinctDecisions, produce, testKafka } from '../support/kafka.ts';
import { committedOffsets, messageCount } from '../support/offsets.ts';
import { killAll, startVigilChild, topicSet, vigilEnv, type VigilChild } from '../support/vigil-child.ts';

const TOTAL = 20_000;
const CARDS = 50;

test('kill -9 in the middle of 20,000 events: after a restart every event has a decision, only uncommitted ones are decided twice, and every velocity count is exact', async (t) => {
  const { base, topics } = topicSet('crash');
  const env = vigilEnv(base, topics, { VIGIL_TOPIC_PARTITIONS: '6' });
  const kafka = testKafka();
  const children: VigilChild[] = [];
  t.after(async () => {
    killAll(children);
    await deleteTopics(kafka, Object.values(topics));
  });
  await createTopics(kafka, Object.values(topics), 6);
  const start = Date.now() - 20 * 60_000;
  const events = Array.from({ length: TOTAL }, (_, n) => ({
    id: `crash-${n}`,
    ts: start + n * 50,
    type: 'card_auth',
    amount: 100 + (n % 5000),
    currency: 'EUR',
    account: `acc-${n % CARDS}`,
    card: `card-${n % CARDS}`,
    terminal: `term-${n % 211}`,
  }));
  for (let i = 0; i < TOTAL; i += 5000) await produce(kafka, topics.payments, events.slice(i, i + 5000).map((e) => ({ key: e.account, value: JSON.stringify(e) })));
  const input = await collect(kafka, [topics.payments], (ms) => ms.length >= TOTAL, 60_000);
  const position = new Map(input.map((m) => [(JSON.parse(m.value.toString()) as { id: string }).id, { partition: m.partition, offset: Number(m.offset) }]));
  assert.equal(position.size, TOTAL);

  const first = startVigilChild(env, children);
  await collect(kafka, [topics.decisions], (ms) => ms.length >= 6000, 90_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const committed = await committedOffsets(kafka, env.VIGIL_GROUP_ID!, topics.payments);
  const beforeRestart = await messageCount(kafka, topics.decisions);
  assert.ok(beforeRestart >= 6000 && beforeRestart < TOTAL, `the crash happened mid-stream (${beforeRestart} decisions)`);

  const second = startVigilChild(env, children);
  const restartedAt = Date.now();
  // an incremental predicate: a set rebuilt over every message read (quadratic) took minutes of this process's CPU on
  // two cores, and the reader could time out before it had read decisions that were there
  const decisions = await collect(kafka, [topics.decisions], distinctDecisions(TOTAL), 400_000, 3000);
  const parsed = decisions.map((m) => JSON.parse(m.value.toString()) as { eventId: string; features: Record<string, number> });
  const ids = parsed.map((d) => d.eventId);
  // Velocity counts are exact: event n is the (n / CARDS + 1)-th payment of its card, all within the hour.
  let wrongCounts = 0;
  for (const d of parsed) {
    const n = Number(d.eventId.slice('crash-'.length));
    if (d.features['card.count.1h'] !== Math.floor(n / CARDS) + 1) wrongCounts++;
  }
  assert.equal(wrongCounts, 0, `${wrongCounts} decisions carry a card.count.1h different from the count computed from the input`);
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const missingIds = events.filter((e) => !seen.has(e.id)).map((e) => e.id);
  if (missingIds.length > 0) {
    const after = await committedOffsets(kafka, env.VIGIL_GROUP_ID!, topics.payments);
    const where = missingIds.slice(0, 20).map((id) => `${id}@${position.get(id)!.partition}/${position.get(id)!.offset}`).join(' ');
    assert.fail(`${missingIds.length} events were never decided within ${((Date.now() - restartedAt) / 1000).toFixed(0)} s of the restart: ${where}; ` +
      `committed before the crash ${JSON.stringify([...committed])}, now ${JSON.stringify([...after])}; restarted processor's log: ${second.stderr().slice(-4000)}`);
  }
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  for (const id of duplicated) {
    const at = position.get(id)!;
    const commit = committed.get(at.partition) ?? -1;
    assert.ok(at.offset >= commit, `${id} at ${at.partition}/${at.offset} was decided twice although offset ${commit} was committed`);
  }
  assert.ok([...seen.values()].every((n) => n <= 2), 'no event decided more than twice');
  t.diagnostic(`decisions before the crash: ${beforeRestart}; duplicated after restart: ${duplicated.length} (all at or after the committed offsets)`);
});
