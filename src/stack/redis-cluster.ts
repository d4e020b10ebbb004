import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, StackError } from '../errors.ts';

export interface RedisClusterOptions {
  /** One redis-server per port; with `replicas` 1, six ports make 3 masters + 3 replicas. Default 7101-7106. */
  ports?: readonly number[];
  /** Replicas per master. Default 1. */
  replicas?: number;
  /** Give up starting after this long. Default 30000. */
  startTimeoutMs?: number;
}

export interface RedisClusterHandle {
  /** `redis-cluster://127.0.0.1:7101,...` for createRedisClient. */
  readonly url: string;
  readonly ports: readonly number[];
  /** Kills one node (SIGKILL), e.g. to test failover. */
  killNode(port: number): Promise<void>;
  /** Starts a killed node again on its port and cluster config file: it rejoins (as a replica once failed over). */
  restartNode(port: number): Promise<void>;
  /** Stops every node and deletes the data directory. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts a real Redis Cluster on loopback: one `redis-server --cluster-enabled yes` child process per port, data in
 * a temporary directory, joined with `redis-cli --cluster create`. Needs redis-server and redis-cli on PATH.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const ports = options.ports ?? [7101, 7102, 7103, 7104, 7105, 7106];
  const replicas = options.replicas ?? 1;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (const tool of ['redis-server', 'redis-cli']) {
    if (spawnSync(tool, ['--version']).status !== 0) {
      throw new StackError(ErrorCodes.STACK_PREREQUISITE_MISSING, `${tool} not found on PATH (apt-get install redis-server)`);
    }
  }
  for (const port of ports) await assertPortFree(port);
  const dir = await mkdtemp(join(tmpdir(), 'vigil-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all([...children.values()].map((child) => killChild(child, 'SIGTERM')));
    children.clear();
    await rm(dir, { recursive: true, force: true });
  };
  const startNode = (port: number) => {
    const args = ['--port', String(port), '--bind', HOST, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--logfile', `redis-${port}.log`];
    children.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
  };
  try {
    for (const port of ports) startNode(port);
    for (const port of ports) await waitFor(() => cli(port, 'ping') === 'PONG', deadline, `node ${port} did not answer PING`);
    const nodes = ports.map((port) => `${HOST}:${port}`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new StackError(ErrorCodes.STACK_START_FAILED, `redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) {
      await waitFor(() => /cluster_state:ok/.test(cli(port, 'cluster', 'info')), deadline, `node ${port} did not reach cluster_state:ok`);
    }
    // a replica that never synced cannot take over: wait until every replica has its master link up
    const replicaCount = ports.length - Math.floor(ports.length / (replicas + 1));
    await waitFor(
      () => ports.filter((port) => /master_link_status:up/.test(cli(port, 'info', 'replication'))).length >= replicaCount,
      deadline,
      `${replicaCount} replicas did not finish their first sync`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis-cluster://${ports.map((port) => `${HOST}:${port}`).join(',')}`,
    ports,
    async killNode(port) {
      const child = children.get(port);
      if (child === undefined) return;
      children.delete(port);
      await killChild(child, 'SIGKILL');
    },
    async restartNode(port) {
      if (children.has(port)) return;
      startNode(port);
      await waitFor(() => cli(port, 'ping') === 'PONG', Date.now() + 30_000, `node ${port} did not answer PING after its restart`);
    },
    stop,
  };
}

function cli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', HOST, '-p', String(port), ...args], { encoding: 'utf8', timeout: 2000 });
  return (result.stdout ?? '').trim();
}

async function waitFor(check: () => boolean, deadline: number, message: string): Promise<void> {
  while (!check()) {
    if (Date.now() > deadline) throw new StackError(ErrorCodes.STACK_START_FAILED, message);
    await sleep(100);
  }
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(new StackError(ErrorCodes.STACK_START_FAILED, `port ${port} is in use (a cluster left running? redis-cli -p ${port} shutdown nosave)`)),
    );
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
