import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { KAFKA_BROKERS, REDIS_URL, uniqueName } from '../support/env.ts';
import { deleteTopics, testKafka } from '../support/kafka.ts';
import { listenOnce } from '../support/private-kafka.ts';

/** A TCP port that was free a moment ago. */
const freePort = () => listenOnce(0);

const TOPICS = ['payments', 'decisions', 'alerts', 'dlq', 'links', 'labels', 'lists', 'audit', 'rules'] as const;

// The README's first command: on the running stack it must start the processor, the generator and the watcher,
// print decisions as they come, and stop everything it started on Ctrl-C.
test('npm run demo prints live decisions from the processor and stops cleanly on Ctrl-C', async (t) => {
  const base = uniqueName('demo');
  const topicEnv = Object.fromEntries(TOPICS.map((name) => [`VIGIL_TOPIC_${name === 'rules' ? 'RULES_UPDATES' : name.toUpperCase()}`, `${base}.${name}`]));
  t.after(() => deleteTopics(testKafka(), Object.values(topicEnv)));
  const env = {
    ...process.env,
    ...topicEnv,
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    REDIS_URL,
    VIGIL_GROUP_ID: `${base}-group`,
    VIGIL_FEATURES_KEY_PREFIX: `${base}:`,
    VIGIL_CONSOLE_PORT: String(await freePort()),
    VIGIL_ADMIN_PORT: String(await freePort()),
    DEMO_RATE: '100',
  };
  const demo = spawn(process.execPath, ['scripts/demo.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  t.after(() => { if (demo.exitCode === null) demo.kill('SIGKILL'); });
  let out = '';
  let err = '';
  demo.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  demo.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));

  const deadline = Date.now() + 120_000;
  const decided = () => /^decisions ([1-9]\d*): allow \d+, review \d+, block \d+; mean latency/m.test(out);
  while (!decided() && demo.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.ok(decided(), `no live decisions printed within 120 s (exit ${demo.exitCode})\nstdout:\n${out.slice(-2000)}\nstderr:\n${err.slice(-2000)}`);
  assert.match(out, /analyst console {2}http:\/\/127\.0\.0\.1:\d+\/ {3}\(user analyst, password \S+\)/);

  demo.kill('SIGINT');
  assert.equal(await exited, 0, err.slice(-2000));
  assert.match(out, /stopping the demo…/);
  assert.doesNotMatch(out + err, /a demo process exited with code/);
});
