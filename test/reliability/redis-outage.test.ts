import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, produce, testKafka } from '../support/kafka.ts';
import { startTestProcessor, testConfig } from '../support/processor.ts';
import { messageCount } from '../support/offsets.ts';

const PORT = 6411;
const OUTAGE_MS = 30_000;

function startRedis(dir: string): ChildProcess {
  return spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
}

async function redisUp(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ping = spawn('redis-cli', ['-p', String(PORT), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ping.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => ping.once('exit', r));
    if (out.includes('PONG')) return;
    await sleep(100);
  }
  throw new Error('redis-server did not start');
}

test('Redis stopped for 30 s under load: processing pauses, /readyz says why, nothing is decided without features, nothing lost, counts exact', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-outage-'));
  let redis = startRedis(dir);
  await redisUp();
  const vigil = await startTestProcessor({ config: testConfig({ REDIS_URL: `redis://127.0.0.1:${PORT}`, VIGIL_FEATURES_TIMEOUT_MS: '1000', VIGIL_RETRY_MAX_DELAY_MS: '2000' }) });
  t.after(async () => {
    await vigil.cleanup();
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const kafka = testKafka();
  const start = Date.now() - 30 * 60_000;
  const total = 6000;
  const event = (n: number) => ({ key: `acc-${n % 20}`, value: JSON.stringify({ id: `ro-${n}`, ts: start + n * 100, type: 'card_auth', amount: 100, currency: 'EUR', account: `acc-${n % 20}`, card: `card-${n % 20}` }) });
  await produce(kafka, vigil.topics.payments, Array.from({ length: 2000 }, (_, n) => event(n)));
  await collect(kafka, [vigil.topics.decisions], (ms) => ms.length >= 2000, 120_000);

  redis.kill('SIGTERM');
  await new Promise((r) => redis.once('exit', r));
  const stoppedAt = Date.now();
  await produce(kafka, vigil.topics.payments, Array.from({ length: 2000 }, (_, n) => event(2000 + n)));
  let sawNotReady = '';
  while (Date.now() - stoppedAt < OUTAGE_MS) {
    sawNotReady ||= vigil.processor.notReadyReason() ?? '';
    await sleep(250);
  }
  assert.equal(await messageCount(kafka, vigil.topics.decisions), 2000, 'nothing decided while Redis was down');
  assert.match(sawNotReady, /redis unavailable/);

  redis = startRedis(dir);
  await redisUp();
  const restartedAt = Date.now();
  await produce(kafka, vigil.topics.payments, Array.from({ length: 2000 }, (_, n) => event(4000 + n)));
  const all = await collect(kafka, [vigil.topics.decisions], (ms) => ms.length >= total, 180_000, 2000);
  const recoverySeconds = (Date.now() - restartedAt) / 1000;
  const parsed = all.map((m) => JSON.parse(m.value.toString()) as { eventId: string; features: Record<string, number> });
  assert.equal(new Set(parsed.map((d) => d.eventId)).size, total, 'every event decided after Redis came back');
  const wrong = parsed.filter((d) => d.features['card.count.24h'] !== Math.floor(Number(d.eventId.slice(3)) / 20) + 1);
  assert.equal(wrong.length, 0, `${wrong.length} decisions with a count that differs from the input (first: ${JSON.stringify(wrong[0])})`);
  assert.equal(vigil.processor.notReadyReason(), undefined, 'ready again');
  t.diagnostic(`outage ${OUTAGE_MS / 1000} s; not ready: "${sawNotReady}"; all ${total} decided ${recoverySeconds.toFixed(1)} s after Redis returned; ${parsed.length - total} duplicate decisions`);
});
