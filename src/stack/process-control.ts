import { spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync, rmSync, writeFileSync, existsSync, closeSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process this stack started, remembered by pid and by a marker in its command line. */
export interface ManagedProcess {
  pidFile: string;
  /** Texts of which one must appear in /proc/<pid>/cmdline, so a recycled pid is never killed. */
  markers: readonly string[];
}

export function commandExists(command: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function runningPid(proc: ManagedProcess): number | undefined {
  if (!existsSync(proc.pidFile)) return undefined;
  const pid = Number(readFileSync(proc.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return proc.markers.some((m) => cmdline.includes(m)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function startDetached(proc: ManagedProcess, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): number {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env: env ?? process.env });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  writeFileSync(proc.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Sends `signal` (SIGTERM by default, then SIGKILL after `graceMs`) and waits until the process is gone. */
export async function stopProcess(proc: ManagedProcess, graceMs = 20_000, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<boolean> {
  const pid = runningPid(proc);
  if (pid === undefined) {
    rmSync(proc.pidFile, { force: true });
    return false;
  }
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && runningPid(proc) !== undefined) await sleep(100);
  if (runningPid(proc) !== undefined) process.kill(pid, 'SIGKILL');
  while (runningPid(proc) !== undefined) await sleep(50);
  rmSync(proc.pidFile, { force: true });
  return true;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The last lines of a process's log that say why it stopped (errors first), for a start-up failure's message. */
export function logTail(logFile: string, lines = 12): string {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  const all = text.trimEnd().split('\n');
  const errors = all.filter((line) => /ERROR|FATAL|Exception|Address already in use/.test(line));
  return (errors.length > 0 ? errors : all).slice(-lines).join('\n');
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, isAlive: () => boolean, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    if (!isAlive()) {
      const tail = logFile === undefined ? '' : logTail(logFile);
      throw new Error(`${what} exited during start-up${tail === '' ? '' : ` (${logFile}):\n${tail}`}`);
    }
    await sleep(200);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000}s`);
}
