#!/usr/bin/env node
// `npm run demo`: install what is missing, start the stack, the processor (with its console) and a
// synthetic payment generator, print a live summary and where to look; Ctrl-C stops all it started.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, projectRoot, requireTools, stackUpIfNeeded, vigil } from './prerequisites.mjs';

requireTools(['java', 'mvn', 'redis-server']);
ensureNodeModules();
const rate = process.env.DEMO_RATE ?? '200';
const startedStack = stackUpIfNeeded();
const bin = join(projectRoot, 'bin', 'vigil.js');
// A demo analyst with a fresh password, unless the caller brings a users file.
const password = randomBytes(9).toString('base64url');
let usersFile = process.env.VIGIL_CONSOLE_USERS;
if (!usersFile) {
  const hash = spawnSync(process.execPath, [bin, 'console', 'hash-password'], { input: `${password}\n`, encoding: 'utf8' });
  if (hash.status !== 0) {
    process.stderr.write(`could not hash the demo password: ${hash.stderr}\n`);
    process.exit(1);
  }
  usersFile = join(projectRoot, '.vigil', 'demo-users.yaml');
  mkdirSync(join(projectRoot, '.vigil'), { recursive: true });
  writeFileSync(usersFile, `users:\n  - name: analyst\n    role: analyst\n    password: "${hash.stdout.trim()}"\n`, { mode: 0o600 });
}
const env = { ...process.env, VIGIL_LOG_LEVEL: process.env.VIGIL_LOG_LEVEL ?? 'warn', VIGIL_CONSOLE_USERS: usersFile };
const children = [
  spawn(bin, ['run'], { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] }),
  spawn(process.execPath, [bin, 'generate', '--rate', rate], { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] }),
  spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts', 'demo-watch.ts')], { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] }),
];
const consolePort = process.env.VIGIL_CONSOLE_PORT ?? '8080';
const adminPort = process.env.VIGIL_ADMIN_PORT ?? '9464';
process.stdout.write(`
Vigil demo: ${rate} synthetic payments/s (card testing, account takeover and mule chains injected)
  analyst console  http://127.0.0.1:${consolePort}/   ${process.env.VIGIL_CONSOLE_USERS ? '(users from VIGIL_CONSOLE_USERS)' : `(user analyst, password ${password})`}
  metrics          http://127.0.0.1:${adminPort}/metrics   (health: /healthz, /readyz)
  decisions        kcat -C -b 127.0.0.1:9092 -t payments.decisions
  alerts           kcat -C -b 127.0.0.1:9092 -t fraud.alerts
Ctrl-C stops everything the demo started.

`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping the demo…\n');
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))))).then(() => {
    if (startedStack) vigil(['stack', 'down']);
    process.exit(0);
  });
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.once('exit', (code) => {
  if (!stopping && code !== 0) {
    process.stderr.write(`a demo process exited with code ${code}\n`);
    stop();
  }
});
