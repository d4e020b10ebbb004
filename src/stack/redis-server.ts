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
export function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

export async function startRedis(layout: StackLayout): Promise<'started' | 'already running'> {
  const proc = redisProcess(layout);
  if (runningPid(proc) !== undefined) {
    await waitFor('redis-server', () => redisAnswers(layout.redisPort), 10_000, () => runningPid(proc) !== undefined);
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
  await waitFor('redis-server', () => redisAnswers(layout.redisPort), 15_000, () => runningPid(proc) !== undefined);
  return 'started';
}
