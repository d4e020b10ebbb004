import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { ConfigError, DependencyUnavailableError, ErrorCodes, isRetriable } from '../../src/errors.ts';
import { createRedisClient, toRedisError } from '../../src/features/redis-client.ts';

describe('createRedisClient', () => {
  it('makes a single-node client or a cluster client from the URL', () => {
    const single = createRedisClient('redis://127.0.0.1:1/3', { connectTimeoutMs: 10 });
    const cluster = createRedisClient('redis-cluster://127.0.0.1:1,127.0.0.1:2', { connectTimeoutMs: 10 });
    try {
      assert.ok(single instanceof Redis && !(single instanceof Cluster));
      assert.equal(single.options.db, 3);
      assert.equal(single.options.maxRetriesPerRequest, 1);
      assert.ok(cluster instanceof Cluster);
    } finally {
      single.disconnect();
      cluster.disconnect();
    }
  });

  it('names the bad setting', () => {
    for (const url of ['http://x:1', 'redis://a:1,b:2', 'redis-cluster://a:1/2', 'redis://a:99999']) {
      assert.throws(() => createRedisClient(url), (error: unknown) => error instanceof ConfigError && error.code === ErrorCodes.CONFIG_INVALID, url);
    }
  });
});

describe('toRedisError', () => {
  it('makes connection failures retriable and script errors not', () => {
    const down = toRedisError(new Error('connect ECONNREFUSED 127.0.0.1:6390'));
    assert.ok(down instanceof DependencyUnavailableError);
    assert.equal(isRetriable(down), true);
    const script = toRedisError(new ReplyError('ERR user_script:1: Script attempted to access nonexistent global variable'));
    assert.equal(script.code, ErrorCodes.REDIS_SCRIPT_FAILED);
    assert.equal(isRetriable(script), false);
    assert.equal(isRetriable(toRedisError(new ReplyError('MOVED 1234 127.0.0.1:7102'))), true);
  });
});
