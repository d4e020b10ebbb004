import { Agent, request } from 'node:http';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createApiKeyVerifier, generateApiKey, startScoringApi, type ScoringApi } from '../../src/api/index.ts';
import type { Config } from '../../src/config/index.ts';
import { DependencyUnavailableError, ErrorCodes } from '../../src/errors.ts';
import type { FeatureStage } from '../../src/features/index.ts';
import { createKafka, createRecordProducer, type OutgoingRecord, type PaymentEvent, type RecordProducer } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { createScorer, type ProcessorStages } from '../../src/processor/index.ts';
import { createNoFeatureStage } from '../../src/features/index.ts';
import { createNoGraphStage } from '../../src/graph/index.ts';
import { createEventRuleEngine } from '../../src/rules/index.ts';
import { createMetrics, type Metrics } from '../../src/admin/index.ts';
import { KAFKA_BROKERS, REDIS_URL, uniqueName } from '../support/env.ts';
import { createTopics, deleteTopics, testKafka } from '../support/kafka.ts';
import { testConfig } from '../support/processor.ts';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** Real HTTP over a keep-alive agent of the test's own; `destroy` closes its connections. */
export function httpClient(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const send = (method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: <T>() => JSON.parse(buf.toString('utf8')) as T });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return { send, destroy: () => agent.destroy() };
}


export function payment(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, ts: Date.now() - 1000, type: 'payment', amount: 1250, currency: 'EUR', account: `acc-${id}`, ...extra };
}

/** A velocity-like stage on a real Redis: counts events per account (INCR), one pipeline per batch. */
export function redisCountingStage(redis: Redis, prefix: string, options: { slowMs?: number } = {}): FeatureStage & { calls: number } {
  const stage = {
    calls: 0,
    featureNames: ['account_count'] as const,
    async compute(events: readonly PaymentEvent[]) {
      stage.calls++;
      try {
        // A real slow dependency: Redis blocks this connection for slowMs.
        if (options.slowMs !== undefined) await redis.blpop(`${prefix}:never`, options.slowMs / 1000);
        const pipeline = redis.pipeline();
        for (const e of events) pipeline.incr(`${prefix}:count:${e.account}`);
        const results = await pipeline.exec();
        if (results === null) throw new Error('pipeline discarded');
        return results.map(([err, n]) => {
          if (err) throw err;
          return { account_count: Number(n) };
        });
      } catch (error) {
        throw new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, `Redis unavailable: ${(error as Error).message}`, error);
      }
    },
    close: async () => {},
  };
  return stage;
}

/** An ioredis client that fails commands at once while disconnected, instead of queueing them. */
export function failFastRedis(url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => 100, lazyConnect: false });
  redis.on('error', () => {});
  return redis;
}

/** A redis-server of the test's own (for stopping it mid-test), on `port`, with no persistence. */
export async function startRedisServer(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (i > 50) throw error;
      await sleep(100);
    }
  }
  probe.disconnect();
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** No features, no graph, the built-in event rules: the scoring path without anything the test does not bring. */
export function simpleStages(config: Config): ProcessorStages {
  const rules = createEventRuleEngine({ amountLimit: config.amountLimit, allowedCurrencies: config.allowedCurrencies, reviewThreshold: config.reviewThreshold, blockThreshold: config.blockThreshold });
  return { features: createNoFeatureStage(), graph: createNoGraphStage(), rules: () => rules };
}

export interface TestApi {
  config: Config;
  api: ScoringApi;
  metrics: Metrics;
  credential: string;
  /** A key listed in the keys file but disabled. */
  disabledCredential: string;
  http: ReturnType<typeof httpClient>;
  cleanup(): Promise<void>;
}

/** The scoring API on its own port with its own topics, keys and scorer; real Kafka for the sinks. */
export async function startTestApi(options: { features?: FeatureStage; env?: Record<string, string>; producer?: RecordProducer; batchRecords?: () => OutgoingRecord[] } = {}): Promise<TestApi> {
  // A generous deadline unless a test is about the deadline: a busy shared machine must not turn answers into fallbacks.
  const config = testConfig({ VIGIL_API_PORT: '0', VIGIL_API_HOST: '127.0.0.1', VIGIL_API_DEADLINE_MS: '10000', ...options.env });
  const kafka = testKafka();
  await createTopics(kafka, [config.topicDecisions, config.topicAlerts], 1);
  const log = createLogger(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: false });
  const stages = { ...simpleStages(config), ...(options.features ? { features: options.features } : {}) };
  const scorer = createScorer(stages, metrics);
  const producer = options.producer ?? createRecordProducer(createKafka({ brokers: config.kafkaBrokers, clientId: uniqueName('api'), logger: log }));
  const good = generateApiKey('test-caller');
  const disabled = generateApiKey('retired-caller');
  const keys = createApiKeyVerifier({ keys: [good.entry, { ...disabled.entry, disabled: true }] });
  const api = await startScoringApi({ config, log, scorer, producer, metrics, keys, ...(options.batchRecords ? { batchRecords: options.batchRecords } : {}) });
  const http = httpClient(api.port);
  return {
    config,
    api,
    metrics,
    credential: good.credential,
    disabledCredential: disabled.credential,
    http,
    async cleanup() {
      http.destroy();
      await api.close();
      await producer.close();
      await deleteTopics(kafka, [config.topicDecisions, config.topicAlerts]);
    },
  };
}

/** Vigil's own producer on a real kafkajs client whose broker is gone (a closed port), with no retries. */
export function unreachableKafkaProducer(): RecordProducer {
  return createRecordProducer(new Kafka({ clientId: uniqueName('down'), brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 300 }));
}

export { REDIS_URL, KAFKA_BROKERS, uniqueName };
