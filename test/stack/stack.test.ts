import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');

/** A zombie waiting for its (re)parent to reap it no longer runs. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function vigil(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 180_000 });
}

test('a second stack on its own ports: up is idempotent, status tells, down stops exactly what up started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-stack-'));
  const env = { ...process.env, VIGIL_STACK_DIR: dir, VIGIL_STACK_KAFKA_PORT: '19192', VIGIL_STACK_KAFKA_CONTROLLER_PORT: '19193', VIGIL_STACK_REDIS_PORT: '16491', VIGIL_STACK_KAFKA_HEAP: '512m' };
  t.after(() => {
    vigil(['stack', 'down'], env);
    rmSync(dir, { recursive: true, force: true });
  });

  const before = vigil(['stack', 'status'], env);
  assert.equal(before.status, 3, before.stdout + before.stderr);
  assert.match(before.stdout, /kafka\s+stopped/);

  const up = vigil(['stack', 'up'], env);
  assert.equal(up.status, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /redis-server started on redis:\/\/127\.0\.0\.1:16491/);
  assert.match(up.stdout, /kafka 4\.4\.0 started on 127\.0\.0\.1:19192/);
  assert.ok(existsSync(join(dir, 'kafka', 'data', 'meta.properties')), 'Kafka storage formatted on first start');

  const again = vigil(['stack', 'up'], env);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /redis-server already running/);
  assert.match(again.stdout, /kafka 4\.4\.0 already running/);

  const status = vigil(['stack', 'status'], env);
  assert.equal(status.status, 0, status.stdout);
  assert.match(status.stdout, /kafka\s+running \(pid \d+\)\s+127\.0\.0\.1:19192/);
  assert.match(status.stdout, /redis\s+running \(pid \d+\)\s+redis:\/\/127\.0\.0\.1:16491/);
  const pids = ['kafka.pid', 'redis.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));

  const down = vigil(['stack', 'down'], env);
  assert.equal(down.status, 0, down.stderr);
  assert.match(down.stdout, /kafka stopped/);
  assert.match(down.stdout, /redis-server stopped/);
  for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} still runs after down`);
  const main = vigil(['stack', 'status'], { ...process.env });
  assert.equal(main.status, 0, `the suite's own stack must still run: ${main.stdout}`);
});

test('a missing prerequisite stops stack up at once with one line saying what to install', () => {
  const result = spawnSync(process.execPath, [bin, 'stack', 'up'], { env: { ...process.env, PATH: '/nonexistent' }, encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /`java` not found: install a Java 17\+ runtime/);
});
