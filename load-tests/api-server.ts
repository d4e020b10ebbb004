/**
 * The scoring API as the load test drives it, in a process of its own: the stages `vigil run` builds
 * from the configuration (configuredStages: the Redis velocity stage under a key prefix of its own,
 * the knowledge graph with its replica, the rules), a real Kafka producer to topics of its own (graph links published with the
 * decisions), and one generated key. Prints one JSON line {port, credential} when ready; SIGTERM stops it and
 * deletes its topics.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createApiKeyVerifier, generateApiKey, startScoringApi } from '../src/api/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { createKafka, createRecordProducer, ensureTopics } from '../src/ingest/index.ts';
import { createLogger } from '../src/log.ts';
import { configuredStages, createScorer } from '../src/processor/index.ts';
import { createMetrics } from '../src/admin/index.ts';

const base = `load-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const config = loadConfig({
  ...process.env,
  VIGIL_TOPIC_DECISIONS: `${base}.decisions`,
  VIGIL_TOPIC_ALERTS: `${base}.alerts`,
  VIGIL_TOPIC_LINKS: `${base}.links`,
  VIGIL_TOPIC_LABELS: `${base}.labels`,
  VIGIL_TOPIC_LISTS: `${base}.lists`,
  VIGIL_GROUP_ID: `${base}-group`,
  VIGIL_FEATURES_KEY_PREFIX: `${base}:`,
  VIGIL_API_PORT: process.env.VIGIL_API_PORT ?? '0',
  VIGIL_API_HOST: '127.0.0.1',
  VIGIL_LOG_LEVEL: process.env.VIGIL_LOG_LEVEL ?? 'warn',
});
const log = createLogger(config.logLevel);
const metrics = createMetrics({ defaultMetrics: false });
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: base, logger: log });
const topics = [config.topicDecisions, config.topicAlerts, config.topicLinks, config.topicLabels, config.topicLists];
await ensureTopics(kafka, topics.map((topic) => ({ topic, partitions: 3 })));
// What `vigil run` scores with: velocity features on Redis, the graph (with its replica), the rules.
const configured = configuredStages(config, kafka, log);
await configured.start();
const stages = configured.stages;
const scorer = createScorer(stages, metrics);
const producer = createRecordProducer(kafka);
const key = generateApiKey('load');
const api = await startScoringApi({ config, log, scorer, producer, metrics, keys: createApiKeyVerifier({ keys: [key.entry] }), batchRecords: configured.batchRecords });
process.stdout.write(`${JSON.stringify({ port: api.port, credential: key.credential })}\n`);

/** Upper bound of the bucket holding quantile q of a prom-client histogram (seconds → ms). */
async function serverQuantiles(): Promise<{ count: number; p50Ms: number; p99Ms: number }> {
  const values = (await metrics.registry.getSingleMetric('vigil_api_request_duration_seconds')!.get()).values;
  const buckets = values.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_bucket') && v.labels.route === 'score').map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), n: v.value }));
  const count = buckets.find((b) => b.le === Infinity)?.n ?? 0;
  const at = (q: number) => (buckets.find((b) => b.n >= q * count)?.le ?? Number.NaN) * 1000;
  return { count, p50Ms: at(0.5), p99Ms: at(0.99) };
}

// "stats" on stdin: the server-side latency since the last "stats" (from the request's arrival in the
// handler to its answer being written), then the histogram starts again.
let cpuMark = process.cpuUsage();
let wallMark = process.hrtime.bigint();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  void serverQuantiles().then((q) => {
    metrics.registry.getSingleMetric('vigil_api_request_duration_seconds')!.reset();
    const cpu = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    const wallUs = Number(process.hrtime.bigint() - wallMark) / 1000;
    wallMark = process.hrtime.bigint();
    const cpuCores = Math.round(((cpu.user + cpu.system) / wallUs) * 100) / 100;
    // CPU time of this process per answered request: far less sensitive to a busy machine than latency.
    const cpuUsPerRequest = q.count === 0 ? Number.NaN : Math.round((cpu.user + cpu.system) / q.count);
    process.stdout.write(`${JSON.stringify({ ...q, cpuUsPerRequest, cpuCores })}\n`);
  });
});

process.once('SIGTERM', () => {
  void (async () => {
    await api.close();
    await producer.close();
    const admin = kafka.admin();
    await admin.connect();
    await configured.close();
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
    // The velocity stage's keys of this run.
    const redis = new Redis(config.redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await stages.features.close();
    const timings = (await metrics.stageSeconds.get()).values.filter((v) => !('le' in v.labels));
    const batches = (await metrics.registry.getSingleMetricAsString('vigil_api_micro_batch_size')).split('\n').filter((l) => /_(sum|count) /.test(l));
    const mean = (stage: string) => {
      const sum = timings.find((v) => v.labels.stage === stage && v.metricName?.endsWith('_sum'))?.value ?? 0;
      const count = timings.find((v) => v.labels.stage === stage && v.metricName?.endsWith('_count'))?.value ?? 0;
      return count === 0 ? undefined : Math.round((sum / count) * 1e6) / 1e3;
    };
    process.stdout.write(`${JSON.stringify({ batches, meanMs: { score: mean('api_score'), produce: mean('api_sinks') } })}\n`);
    process.exit(0);
  })();
});
