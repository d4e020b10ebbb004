import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { KAFKA_BROKERS, REDIS_URL, uniqueName } from './env.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');

export interface TopicSet {
  payments: string;
  decisions: string;
  alerts: string;
  dlq: string;
  links: string;
  labels: string;
  lists: string;
}

export function topicSet(prefix: string): { base: string; topics: TopicSet } {
  const base = uniqueName(prefix);
  return {
    base,
    topics: { payments: `${base}.payments`, decisions: `${base}.decisions`, alerts: `${base}.alerts`, dlq: `${base}.dlq`, links: `${base}.links`, labels: `${base}.labels`, lists: `${base}.lists` },
  };
}

/** Environment for `vigil run` processes sharing one group and one topic set. */
export function vigilEnv(base: string, topics: TopicSet, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    REDIS_URL,
    VIGIL_GROUP_ID: `${base}-group`,
    VIGIL_TOPIC_PAYMENTS: topics.payments,
    VIGIL_TOPIC_DECISIONS: topics.decisions,
    VIGIL_TOPIC_ALERTS: topics.alerts,
    VIGIL_TOPIC_DLQ: topics.dlq,
    VIGIL_TOPIC_LINKS: topics.links,
    VIGIL_TOPIC_LABELS: topics.labels,
    VIGIL_TOPIC_LISTS: topics.lists,
    VIGIL_TOPIC_PARTITIONS: '3',
    VIGIL_FEATURES_KEY_PREFIX: `${base}:`,
    VIGIL_ADMIN_PORT: '0',
    VIGIL_CONSOLE: 'false',
    VIGIL_LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface VigilChild {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
}

export function startVigilChild(env: Record<string, string>, children?: VigilChild[]): VigilChild {
  const child = spawn(process.execPath, [bin, 'run'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const handle = { child, exited, stderr: () => stderr };
  children?.push(handle);
  return handle;
}

export function killAll(children: VigilChild[]): void {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
}
