import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { StackError, ErrorCodes } from '../errors.ts';
import type { StackLayout } from './paths.ts';
import { portOpen, runningPid, startDetached, waitFor, type ManagedProcess } from './process-control.ts';

export function redisProcess(layout: StackLayout): ManagedProcess {
  return { pidFile: join(layout.stateDir, 'redis.pid'), // redis-server rewrites its process title once started
    markers: [`--port ${layout.redisPort} --dir ${join(layout.stateDir, 'redis')}`, `redis-server 127.0.0.1:${layout.redisPort}`], };
}

/** Sends PING over a raw socket, so the probe needs no client library state. */
export async function redisAnswers(port: number): Promise<boolean> {
  return (await redisState(port)) === 'ready';
}

/** `loading`: the server answers but is still reading its AOF (a big data folder takes a while). */
function redisState(port: number): Promise<'ready' | 'loading' | 'down'> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (state: 'ready' | 'loading' | 'down') => {
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(1000, () => done('down'));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      const reply = data.toString();
      done(reply.startsWith('+PONG') ? 'ready' : reply.startsWith('-LOADING') ? 'loading' : 'down');
    });
    socket.once('error', () => done('down'));
  });
}

export async function startRedis(layout: StackLayout): Promise<'started' | 'already running'> {
  const proc = redisProcess(layout);
  if (runningPid(proc) !== undefined) {
    await waitForRedis(layout.redisPort, 10_000, () => runningPid(proc) !== undefined);
    return 'already running';
  }
  if (await portOpen(layout.redisPort)) {
    throw new StackError(ErrorCodes.STACK_START_FAILED, `port ${layout.redisPort} is taken by a process this stack did not start; set VIGIL_STACK_REDIS_PORT`);
  }
  const dir = join(layout.stateDir, 'redis');
  mkdirSync(dir, { recursive: true });
  startDetached(
    proc,
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(layout.redisPort), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no', '--protected-mode', 'yes'],
    join(layout.stateDir, 'redis.log'),
  );
  await waitForRedis(layout.redisPort, 15_000, () => runningPid(proc) !== undefined);
  return 'started';
}

/** Loading a large AOF may take minutes: while the server says LOADING it is given up to this long. */
const LOADING_LIMIT_MS = 10 * 60_000;

async function waitForRedis(port: number, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  await waitFor('redis-server', async () => (await redisState(port)) !== 'down', timeoutMs, isAlive);
  await waitFor('redis-server (loading its data)', () => redisAnswers(port), LOADING_LIMIT_MS, isAlive);
}
