import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logTail, waitFor } from '../../src/stack/process-control.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-log-tail-'));

test('a start-up failure names the lines of the log that say why: errors first, else the last lines', async () => {
  const log = join(dir, 'kafka.log');
  writeFileSync(log, ['[INFO] starting', '[ERROR] Exiting Kafka due to fatal exception', 'org.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:9092: Address already in use.', '[INFO] shut down'].join('\n'));
  assert.equal(logTail(log), '[ERROR] Exiting Kafka due to fatal exception\norg.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:9092: Address already in use.');
  await assert.rejects(
    waitFor('Kafka', async () => false, 5000, () => false, log),
    (error: Error) => error.message.startsWith(`Kafka exited during start-up (${log}):\n[ERROR] Exiting Kafka`) && error.message.includes('Address already in use'),
  );
  const quiet = join(dir, 'quiet.log');
  writeFileSync(quiet, 'a\nb\nc\n');
  assert.equal(logTail(quiet, 2), 'b\nc');
  assert.equal(logTail(join(dir, 'absent.log')), '');
  await assert.rejects(waitFor('redis-server', async () => false, 5000, () => false), { message: 'redis-server exited during start-up' });
});
