import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, createTopics, deleteTopics, produce, testKafka } from '../support/kafka.ts';
import { messageCount } from '../support/offsets.ts';
import { killAll, startVigilChild, topicSet, vigilEnv, type VigilChild } from '../support/vigil-child.ts';

const TOTAL = 30_000;
const CARDS = 60;

test('3 instances on a 12-partition topic; one stops, one joins: every event decided, every velocity count exact', async (t) => {
  const { base, topics } = topicSet('scale');
  const env = vigilEnv(base, topics, { VIGIL_TOPIC_PARTITIONS: '12' });
  const kafka = testKafka();
  const children: VigilChild[] = [];
  t.after(async () => {
    killAll(children);
    await deleteTopics(kafka, Object.values(topics));
  });
  await createTopics(kafka, Object.values(topics), 12);
  const start = Date.now() - 60 * 60_000;
  const wave = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => {
      const n = from + i;
      return { key: `acc-${n % CARDS}`, value: JSON.stringify({ id: `so-${n}`, ts: start + n * 50, type: 'card_auth', amount: 100 + (n % 900), currency: 'EUR', account: `acc-${n % CARDS}`, card: `card-${n % CARDS}` }) };
    });

  const instances = [startVigilChild(env, children), startVigilChild(env, children), startVigilChild(env, children)];
  for (let i = 0; i < 10_000; i += 5000) await produce(kafka, topics.payments, wave(i, i + 5000));
  while ((await messageCount(kafka, topics.decisions)) < 5000) await sleep(500);

  instances[0]!.child.kill('SIGTERM');
  assert.equal(await instances[0]!.exited, 0, 'the stopped instance exits cleanly');
  for (let i = 10_000; i < 20_000; i += 5000) await produce(kafka, topics.payments, wave(i, i + 5000));
  startVigilChild(env, children);
  for (let i = 20_000; i < TOTAL; i += 5000) await produce(kafka, topics.payments, wave(i, i + 5000));

  const deadline = Date.now() + 300_000;
  while ((await messageCount(kafka, topics.decisions)) < TOTAL && Date.now() < deadline) await sleep(1000);
  const written = await messageCount(kafka, topics.decisions);
  const decisions = await collect(kafka, [topics.decisions], (ms) => ms.length >= written, 240_000);
  const parsed = decisions.map((m) => JSON.parse(m.value.toString()) as { eventId: string; features: Record<string, number> });
  const ids = new Set(parsed.map((d) => d.eventId));
  if (ids.size !== TOTAL) {
    const missing = [...Array(TOTAL).keys()].filter((n) => !ids.has(`so-${n}`));
    const accounts = new Set(missing.map((n) => `acc-${n % CARDS}`));
    t.diagnostic(`missing ${missing.length}: first ${missing.slice(0, 5).join(',')}, last ${missing.slice(-3).join(',')}; accounts ${[...accounts].join(',')}`);
    for (const [i, c] of children.entries()) t.diagnostic(`instance ${i} exit ${c.child.exitCode} stderr: ${c.stderr().slice(-1500)}`);
  }
  assert.equal(ids.size, TOTAL, `every event decided (missing ${TOTAL - ids.size})`);
  const wrong = parsed.filter((d) => d.features['card.count.24h'] !== Math.floor(Number(d.eventId.slice(3)) / CARDS) + 1);
  assert.equal(wrong.length, 0, `${wrong.length} decisions whose card.count.24h differs from the count computed from the input`);
  t.diagnostic(`${TOTAL} events, 1 instance stopped and 1 added: 0 lost, ${parsed.length - TOTAL} duplicate decisions, 0 double counts`);
});
