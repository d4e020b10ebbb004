import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createTopics, deleteTopics, produce, testKafka } from '../support/kafka.ts';
import { killAll, startVigilChild, topicSet, vigilEnv, type VigilChild } from '../support/vigil-child.ts';

test('SIGTERM under load: the processor finishes its batch, commits and exits 0; a restart decides the rest, nothing lost or repeated', async (t) => {
  const { base, topics } = topicSet('shutdown');
  const env = vigilEnv(base, topics);
  const kafka = testKafka();
  const children: VigilChild[] = [];
  t.after(async () => {
    killAll(children);
    await deleteTopics(kafka, Object.values(topics));
  });
  await createTopics(kafka, Object.values(topics), 3);
  const total = 20_000;
  const now = Date.now();
  for (let chunk = 0; chunk < total; chunk += 5000) {
    await produce(
      kafka,
      topics.payments,
      Array.from({ length: 5000 }, (_, i) => {
        const n = chunk + i;
        return { key: `acc-${n % 97}`, value: JSON.stringify({ id: `ev-${n}`, ts: now - 60_000 + (n % 1000), type: 'payment', amount: 100 + n, currency: 'EUR', account: `acc-${n % 97}` }) };
      }),
    );
  }

  const first = startVigilChild(env, children);
  await collect(kafka, [topics.decisions], (ms) => ms.length >= 100, 60_000);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, `exit code after SIGTERM; stderr: ${first.stderr().slice(-2000)}`);

  const second = startVigilChild(env, children);
  const decisions = await collect(kafka, [topics.decisions], (ms) => ms.length >= total, 120_000, 3000);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);

  const ids = decisions.map((m) => (JSON.parse(m.value.toString()) as { eventId: string }).eventId);
  const unique = new Set(ids);
  assert.equal(unique.size, total, `every event decided (missing ${total - unique.size})`);
  assert.equal(ids.length, total, `no decision repeated after a graceful stop (${ids.length - total} duplicates)`);
});
