import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const vigilBin = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');
const bin = process.env.VIGIL_PROF_BIN ?? vigilBin;
/** The node flags of bin/vigil.js's shebang, which `npx vigil` runs with (the young generation's size). */
const SHEBANG_FLAGS = readFileSync(vigilBin, 'utf8').split('\n', 1)[0]!.split(' ').filter((arg) => arg.startsWith('--'));
const CLOCK_TICKS_PER_SECOND = 100;

export interface VigilProcess {
  child: ChildProcess;
  adminPort: number;
  /** CPU seconds (user + system) used so far. */
  cpuSeconds(): number;
  rssBytes(): number;
  stop(): Promise<number | null>;
}

export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function processRssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Node flags from an environment variable (NODE_OPTIONS refuses --cpu-prof and --trace-gc: docs/performance.md). */
const nodeArgsFrom = (name: string): string[] => (process.env[name] ?? '').split(' ').filter((arg) => arg !== '');

/** Starts `vigil run` as its own process (as in production) and waits until /readyz answers 200. */
export function startVigil(env: Record<string, string>, adminPort: number): Promise<VigilProcess> {
  return startNodeProcess('vigil run', nodeArgsFrom('VIGIL_NODE_ARGS'), [bin, 'run'], env, adminPort);
}

const passThroughScript = join(import.meta.dirname, 'pass-through-process.ts');

/**
 * Starts the pass-through baseline (lib/pass-through-process.ts) as its own process, with bin/vigil.js's node flags and
 * the same environment; VIGIL_BASELINE_NODE_ARGS gives it flags of its own (a CPU profile of the baseline).
 */
export function startPassThrough(env: Record<string, string>, adminPort: number): Promise<VigilProcess> {
  return startNodeProcess('pass-through', nodeArgsFrom('VIGIL_BASELINE_NODE_ARGS'), ['--import', 'tsx', passThroughScript], env, adminPort);
}

async function startNodeProcess(name: string, flags: readonly string[], args: string[], env: Record<string, string>, adminPort: number): Promise<VigilProcess> {
  const nodeArgs = [...flags];
  // as bin/vigil.js's own shebang does when run as a command, unless given here
  for (const flag of SHEBANG_FLAGS) if (!nodeArgs.some((arg) => arg.split('=')[0] === flag.split('=')[0])) nodeArgs.push(flag);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { env: { ...process.env, VIGIL_ADMIN_PORT: String(adminPort), VIGIL_CONSOLE: 'false', VIGIL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start-up`);
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready within 60 s`);
    await sleep(200);
  }
  const pid = child.pid!;
  // never leave a processor behind, whatever ends this process
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    child,
    adminPort,
    cpuSeconds: () => processCpuSeconds(pid),
    rssBytes: () => processRssBytes(pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
