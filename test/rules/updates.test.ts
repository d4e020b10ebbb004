import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBatchConsumer, createKafka, createRecordProducer } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { createRuleEngine, followRulesUpdates, publishRuleSet, type ReloadResult } from '../../src/rules/index.ts';
import { KAFKA_BROKERS, uniqueName } from '../support/env.ts';
import { createTopics, deleteTopics, produce, testKafka } from '../support/kafka.ts';
import { event, SETTINGS } from './helpers.ts';

async function ruleDir(t: { after(fn: () => Promise<void>): void }, id: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-upd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'settings.yaml'), SETTINGS);
  await writeFile(join(dir, 'r.yaml'), `rules:\n  - id: ${id}\n    when: amount > 0\n    score: 10\n`);
  return dir;
}

test('a rule set published on the rules-updates topic (real broker) is applied; a bad one is rejected and the set keeps serving', async (t) => {
  const admin = testKafka();
  const topic = uniqueName('rules-updates');
  await createTopics(admin, [topic], 1);
  t.after(() => deleteTopics(admin, [topic]));
  const engine = await createRuleEngine({ dir: await ruleDir(t, 'from.file') });
  t.after(() => engine.close());
  const results: ReloadResult[] = [];
  const three = new Promise<void>((resolve) => engine.onReload((r) => { results.push(r); if (results.length === 3) resolve(); }));

  const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: uniqueName('rules'), logger: createLogger('silent') });
  const producer = createRecordProducer(kafka);
  t.after(() => producer.close());
  const published = await publishRuleSet(producer, topic, await ruleDir(t, 'from.topic'));
  await produce(admin, topic, [{ key: 'rules', value: JSON.stringify({ files: { 'settings.yaml': SETTINGS, 'r.yaml': 'rules:\n  - id: bad\n    when: amount >\n    score: 1\n' } }) }]);
  await produce(admin, topic, [{ key: 'rules', value: 'not json' }]);
  // publishing an invalid set is refused before it reaches the topic
  const badDir = await ruleDir(t, 'x');
  await writeFile(join(badDir, 'r.yaml'), 'rules: 3\n');
  await assert.rejects(publishRuleSet(producer, topic, badDir), /RULES_INVALID|rule set invalid/);

  const consumer = createBatchConsumer(kafka, { groupId: uniqueName('rules-follow'), topic, fromBeginning: true, maxBytes: 1 << 20, partitionsConsumedConcurrently: 1, sessionTimeoutMs: 10_000 });
  t.after(() => consumer.stop());
  await followRulesUpdates(consumer, engine);
  await Promise.race([three, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${results.length} updates seen`)), 30_000))]);

  assert.deepEqual(results.map((r) => [r.ok, r.origin]), [[true, 'topic'], [false, 'topic'], [false, 'topic']]);
  assert.equal(results[0]!.ok && results[0]!.version, published);
  assert.ok(!results[1]!.ok && results[1]!.problems[0]!.file === 'r.yaml' && results[1]!.problems[0]!.line === 3);
  assert.ok(!results[2]!.ok && /undecodable/.test(results[2]!.problems[0]!.message));
  const v = engine.evaluate(event(), {}, []);
  assert.deepEqual([v.rulesVersion, v.reasons.map((r) => r.rule)], [published, ['from.topic']]);
});
