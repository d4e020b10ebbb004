import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { ConfigError, DependencyUnavailableError, ErrorCodes, isRetriable } from '../../src/errors.ts';
import { createRedisClient, toRedisError, withDeadline } from '../../src/features/redis-client.ts';

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

describe('withDeadline', () => {
  /** A TCP server in another process (this one is stalled in the test), answering every write at once, or never. */
  async function server(answers: boolean): Promise<{ port: number; close: () => void }> {
    const code = `const s = require('node:net').createServer((c) => c.on('data', () => ${answers} && c.write('+PONG\\r\\n')));
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      child.once('exit', (code) => reject(new Error(`test server exited with ${code}`)));
    });
    return { port, close: () => child.kill() };
  }
  const request = (port: number, afterWrite = (): void => {}): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('PING\r\n');
        afterWrite();
      });
      socket.once('data', (data) => {
        resolve(data.toString());
        socket.destroy();
      });
      socket.once('error', reject);
    });
  const stall = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // this process is busy: the reply arrives in the socket meanwhile
    }
  };

  it('takes a reply that arrived while this process was stalled past the deadline', async () => {
    const peer = await server(true);
    try {
      // stalled in the check phase right after the request is written: the reply arrives meanwhile, and the next turn
      // of the loop runs the expired deadline before it reads the socket
      const guarded = withDeadline(request(peer.port, () => setImmediate(() => stall(400))), 100);
      assert.equal(await guarded, '+PONG\r\n');
    } finally {
      peer.close();
    }
  });

  it('rejects a round trip that is still unanswered once it can read its socket', async () => {
    const peer = await server(false);
    try {
      const started = performance.now();
      await assert.rejects(withDeadline(request(peer.port), 150), (error: unknown) => error instanceof DependencyUnavailableError && error.code === ErrorCodes.REDIS_UNAVAILABLE);
      assert.ok(performance.now() - started >= 140);
    } finally {
      peer.close();
    }
  });
});
