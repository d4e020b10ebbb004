// Plain JavaScript on purpose: this runs before `npm install` has fetched the TypeScript loader.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const projectRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

const TOOLS = {
  java: 'a Java 17+ runtime (apt-get install -y openjdk-17-jre-headless)',
  mvn: 'Apache Maven (apt-get install -y maven)',
  'redis-server': 'Redis (apt-get install -y redis-server)',
  'redis-cli': 'Redis tools (apt-get install -y redis-tools)',
  kcat: 'kcat (apt-get install -y kcat)',
  prometheus: 'Prometheus (apt-get install -y prometheus)',
  promtool: 'Prometheus tools (apt-get install -y prometheus)',
  chromium: 'Chromium (apt-get install -y chromium)',
  'firefox-esr': 'Firefox ESR (apt-get install -y firefox-esr)',
};

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Stops at once, one line per missing tool, saying what to install. */
export function requireTools(names) {
  const missing = names.filter((name) => !has(name));
  if (missing.length === 0) return;
  for (const name of missing) process.stderr.write(`missing \`${name}\`: install ${TOOLS[name] ?? name}\n`);
  process.exit(1);
}

/** Installs npm dependencies when node_modules is absent or older than the lock file. */
export function ensureNodeModules() {
  const modules = join(projectRoot, 'node_modules', '.package-lock.json');
  const lock = join(projectRoot, 'package-lock.json');
  if (existsSync(modules) && statSync(modules).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stdout.write('installing npm dependencies (npm ci)…\n');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('npm ci failed: check network access to the npm registry\n');
    process.exit(1);
  }
}

export function vigil(args, options = {}) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'vigil.js'), ...args], { cwd: projectRoot, stdio: 'inherit', ...options });
}

/** Starts the stack unless it already runs; returns whether this call started it. */
export function stackUpIfNeeded() {
  const status = vigil(['stack', 'status'], { stdio: 'ignore' });
  if (status.status === 0) {
    process.stdout.write('using the local stack that is already running\n');
    return false;
  }
  const up = vigil(['stack', 'up']);
  if (up.status !== 0) process.exit(up.status ?? 1);
  return true;
}
