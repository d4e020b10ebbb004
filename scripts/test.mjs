#!/usr/bin/env node
// `npm test`: install what is missing, start the local stack, type-check, run the whole suite, and
// stop what it started.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureNodeModules, projectRoot, requireTools, stackUpIfNeeded, vigil } from './prerequisites.mjs';

requireTools(['java', 'mvn', 'redis-server', 'redis-cli', 'kcat', 'prometheus', 'promtool', 'chromium', 'firefox-esr']);
ensureNodeModules();

function testFiles(dir, filter) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path, filter));
    else if (name.endsWith('.test.ts') && (filter.length === 0 || filter.some((f) => relative(projectRoot, path).includes(f)))) out.push(path);
  }
  return out.sort();
}

const filter = process.argv.slice(2);
const started = Date.now();
process.stdout.write('type-checking (tsc --noEmit)…\n');
const tsc = spawnSync(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', projectRoot], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const startedStack = stackUpIfNeeded();
let status = 1;
try {
  const files = testFiles(join(projectRoot, 'test'), filter);
  // The reliability scenarios load the whole machine (crashes, 100k messages): they run after the rest, one at a time.
  const heavy = files.filter((f) => f.includes('/test/reliability/'));
  const light = files.filter((f) => !heavy.includes(f));
  // A hung test fails after 10 minutes instead of holding CI; a client library's lingering socket after a file's
  // tests are done does not keep its process (and the run) alive.
  const run = (list, concurrency) =>
    list.length === 0
      ? 0
      : (spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', '--test-timeout=600000', `--test-concurrency=${concurrency}`, ...list], { cwd: projectRoot, stdio: 'inherit' }).status ?? 1);
  const lightStatus = run(light, process.env.VIGIL_TEST_CONCURRENCY ?? '3');
  const heavyStatus = run(heavy, '1');
  status = lightStatus || heavyStatus;
} finally {
  if (startedStack) vigil(['stack', 'down']);
}
process.stdout.write(`test suite ${status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
process.exit(status);
