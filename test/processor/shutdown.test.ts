import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { collect, createTopics, deleteTopics, produce, testKafka } from '../support/kafka.ts';
import { KAFKA_BROKERS, REDIS_URL, uniqueName } from '../support/env.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');

function startVigil(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [bin, 'run'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('SIGTERM under load: the processor finishes its batch, commits and exits 0; a restart decides the rest, nothing lost or repeated', async (t) => {
  const base = uniqueName('shutdown');
  const topics = { payments: `${base}.payments`, decisions: `${base}.decisions`, alerts: `${base}.alerts`, dlq: `${base}.dlq`, links: `${base}.links`, labels: `${base}.labels` };
  const env = {
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    REDIS_URL,
    VIGIL_GROUP_ID: `${base}-group`,
    VIGIL_TOPIC_PAYMENTS: topics.payments,
    VIGIL_TOPIC_DECISIONS: topics.decisions,
    VIGIL_TOPIC_ALERTS: topics.alerts,
    VIGIL_TOPIC_DLQ: topics.dlq,
    VIGIL_TOPIC_LINKS: topics.links,
    VIGIL_TOPIC_LABELS: topics.labels,
    VIGIL_TOPIC_PARTITIONS: '3',
    VIGIL_ADMIN_PORT: '0',
    VIGIL_CONSOLE: 'false',
    VIGIL_LOG_LEVEL: 'warn',
  };
  const kafka = testKafka();
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
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

  const first = startVigil(env);
  children.push(first);
  let stderr = '';
  first.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const firstExit = exitOf(first);
  await collect(kafka, [topics.decisions], (ms) => ms.length >= 100, 60_000);
  first.kill('SIGTERM');
  assert.equal(await firstExit, 0, `exit code after SIGTERM; stderr: ${stderr.slice(-2000)}`);

  const second = startVigil(env);
  children.push(second);
  const secondExit = exitOf(second);
  const decisions = await collect(kafka, [topics.decisions], (ms) => ms.length >= total, 120_000, 3000);
  second.kill('SIGTERM');
  assert.equal(await secondExit, 0);

  const ids = decisions.map((m) => (JSON.parse(m.value.toString()) as { eventId: string }).eventId);
  const unique = new Set(ids);
  assert.equal(unique.size, total, `every event decided (missing ${total - unique.size})`);
  assert.equal(ids.length, total, `no decision repeated after a graceful stop (${ids.length - total} duplicates)`);
});
