import { readFileSync } from 'node:fs';
import { Cluster, Redis, ReplyError, type RedisOptions } from 'ioredis';
import { ConfigError, DependencyUnavailableError, ErrorCodes, VigilError } from '../errors.ts';
import { keySlot } from './key-slot.ts';

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** A command without a reply after this long fails (also while queued during a reconnect). Default 1000. */
  commandTimeoutMs?: number;
  /** Default 2000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff cap; the client reconnects forever with exponential backoff and jitter. Default 2000. */
  maxReconnectDelayMs?: number;
}

/**
 * A Redis client whose commands fail fast instead of queueing forever while Redis is down:
 * `redis://host:port[/db]` (or `rediss://` for TLS) for one node, `redis-cluster://host:port,host:port,...` for a cluster.
 * A password may be given as `redis://:secret@host:port`.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisClient {
  const commandTimeout = options.commandTimeoutMs ?? 1000;
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 10), maxDelay) + Math.floor(Math.random() * 100);
  const common: RedisOptions = {
    commandTimeout,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: backoff,
  };
  const match = /^(rediss?|redis-cluster):\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/]+?)(?:\/(\d+))?$/.exec(url);
  if (match === null) throw new ConfigError('redis', `${url} is not redis://host:port[/db] or redis-cluster://host:port,host:port`);
  const [, scheme, password, hosts, db] = match;
  const nodes = (hosts as string).split(',').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    const port = at < 0 ? 6379 : Number(hostPort.slice(at + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError('redis', `bad port in ${hostPort}`);
    return { host: at < 0 ? hostPort : hostPort.slice(0, at), port };
  });
  const auth = password === undefined ? {} : { password: decodeURIComponent(password) };
  let client: RedisClient;
  if (scheme === 'redis' || scheme === 'rediss') {
    if (nodes.length !== 1) throw new ConfigError('redis', `${scheme}:// takes one host:port; use redis-cluster:// for a cluster`);
    const tls = scheme === 'rediss' ? { tls: {} } : {};
    client = new Redis({ ...common, ...auth, ...tls, ...nodes[0], db: db === undefined ? 0 : Number(db) });
  } else {
    if (db !== undefined) throw new ConfigError('redis', 'a Redis Cluster has no databases: drop the /db suffix');
    client = createCluster(nodes, common, auth, backoff, commandTimeout);
  }
  // Connection errors surface as rejected commands (REDIS_UNAVAILABLE); without a listener ioredis prints each one.
  client.on('error', () => {});
  return client;
}

function createCluster(
  nodes: { host: string; port: number }[],
  common: RedisOptions,
  auth: { password?: string },
  backoff: (times: number) => number,
  commandTimeout: number,
): Cluster {
  return new Cluster(nodes, {
    redisOptions: { ...common, ...auth },
    clusterRetryStrategy: backoff,
    enableOfflineQueue: true,
    slotsRefreshTimeout: commandTimeout,
    slotsRefreshInterval: 5000,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
  });
}

/** Commands whose keys share one group can go in one pipeline: '' on a single node, the serving nodes on a cluster. */
export function nodeGroupOf(client: RedisClient, key: string): string {
  if (!(client instanceof Cluster)) return '';
  return client.slots[keySlot(key)]?.join(';') ?? '?';
}

/** Waits until the client can take commands, or rejects with a retriable REDIS_UNAVAILABLE after `timeoutMs`. */
export async function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') client.connect().catch(() => {});
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', done);
      reject(new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    client.on('ready', done);
  });
}

/** Answers when every master answers PING; rejects with a retriable REDIS_UNAVAILABLE otherwise. */
export async function pingRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  try {
    await withDeadline(
      (async () => {
        await whenReady(client, timeoutMs);
        const nodes = client instanceof Cluster ? client.nodes('master') : [client];
        await Promise.all(nodes.map((node) => node.ping()));
      })(),
      timeoutMs,
    );
  } catch (error) {
    throw toRedisError(error);
  }
}

const RETRIABLE_REPLIES = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY|NOSCRIPT)\b/;

/**
 * Maps a failure talking to Redis to our errors: a script error is REDIS_SCRIPT_FAILED (not retriable);
 * connection loss, timeouts and cluster redirections are a retriable REDIS_UNAVAILABLE.
 */
export function toRedisError(error: unknown): VigilError {
  if (error instanceof VigilError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ReplyError && !RETRIABLE_REPLIES.test(message)) {
    return new VigilError(ErrorCodes.REDIS_SCRIPT_FAILED, `Redis script failed: ${message}`, { cause: error });
  }
  return new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `Redis unavailable: ${message}`, error);
}

/**
 * Rejects with a retriable REDIS_UNAVAILABLE when `work` takes longer than `ms`. The deadline is judged after one more
 * turn of I/O: when this process itself stalled past it (a long garbage collection, a saturated core), a reply that
 * arrived meanwhile waits in the socket, and timers run before sockets are read; without that turn, a busy process
 * would call a healthy Redis unavailable and retry work that had succeeded, adding load where there is too much.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let check: NodeJS.Immediate | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      check = setImmediate(() => reject(new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `Redis did not answer within ${ms} ms`)));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
    clearImmediate(check);
  });
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Defines a script of lua/ on the client once, as the command `<name>:<package version>` (so a client shared by two
 * versions never runs the other's script), the number of keys given on each call; returns the command's name.
 */
export function defineScript(client: RedisClient, name: string, luaFile: string): string {
  const command = `${name}:${PACKAGE_VERSION}`;
  if (typeof (client as unknown as Record<string, unknown>)[command] !== 'function') {
    client.defineCommand(command, { lua: readFileSync(new URL(`./lua/${luaFile}`, import.meta.url), 'utf8') });
  }
  return command;
}
