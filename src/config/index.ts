import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import { bool, brokers, currencyList, duration, integer, oneOf, optionalText, originList, port, redisUrl, text, topicName, type Parser } from './parsers.ts';

/** Shipped rule folders, so `npx vigil run` finds them from any working directory. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const DEFAULT_CURRENCIES = 'EUR,USD,GBP,CHF,JPY,CAD,AUD,NZD,SEK,NOK,DKK,PLN,CZK,HUF,RON,BGN,ISK,SGD,HKD';

/** Every setting: its environment variable, default and parser. Defaults match `vigil stack up`. */
const SCHEMA = {
  kafkaBrokers: ['KAFKA_BROKERS', '127.0.0.1:9092', brokers],
  redisUrl: ['REDIS_URL', 'redis://127.0.0.1:6390', redisUrl],
  groupId: ['VIGIL_GROUP_ID', 'vigil', text],
  instanceId: ['VIGIL_INSTANCE_ID', `${hostname()}-${process.pid}`, text],
  topicPayments: ['VIGIL_TOPIC_PAYMENTS', 'payments', topicName],
  topicDecisions: ['VIGIL_TOPIC_DECISIONS', 'payments.decisions', topicName],
  topicAlerts: ['VIGIL_TOPIC_ALERTS', 'fraud.alerts', topicName],
  topicDlq: ['VIGIL_TOPIC_DLQ', 'payments.dlq', topicName],
  topicLinks: ['VIGIL_TOPIC_LINKS', 'graph.links', topicName],
  topicLabels: ['VIGIL_TOPIC_LABELS', 'fraud.labels', topicName],
  topicPartitions: ['VIGIL_TOPIC_PARTITIONS', '12', integer(1, 10_000)],
  consolePort: ['VIGIL_CONSOLE_PORT', '8080', port],
  consoleEnabled: ['VIGIL_CONSOLE', 'true', bool],
  consoleHost: ['VIGIL_CONSOLE_HOST', '0.0.0.0', text],
  consoleUsersFile: ['VIGIL_CONSOLE_USERS', '', optionalText],
  consoleOrigins: ['VIGIL_CONSOLE_ORIGINS', '', originList],
  consoleSessionSecret: ['VIGIL_CONSOLE_SESSION_SECRET', '', optionalText],
  consoleSessionTtlS: ['VIGIL_CONSOLE_SESSION_TTL_S', '28800', integer(60, 7 * 86_400)],
  consoleBacklog: ['VIGIL_CONSOLE_BACKLOG', '500', integer(0, 100_000)],
  consoleClientBufferBytes: ['VIGIL_CONSOLE_CLIENT_BUFFER_BYTES', String(1024 * 1024), integer(16 * 1024, 256 * 1024 * 1024)],
  topicLists: ['VIGIL_TOPIC_LISTS', 'vigil.lists', topicName],
  topicAudit: ['VIGIL_TOPIC_AUDIT', 'vigil.audit', topicName],
  adminPort: ['VIGIL_ADMIN_PORT', '9464', port],
  apiPort: ['VIGIL_API_PORT', '8081', port],
  apiEnabled: ['VIGIL_API', 'false', bool],
  apiHost: ['VIGIL_API_HOST', '0.0.0.0', text],
  apiKeysFile: ['VIGIL_API_KEYS_FILE', '', optionalText],
  apiMaxBodyBytes: ['VIGIL_API_MAX_BODY_BYTES', String(1024 * 1024), integer(256, 64 * 1024 * 1024)],
  apiMaxBatchEvents: ['VIGIL_API_MAX_BATCH_EVENTS', '500', integer(1, 100_000)],
  apiDeadlineMs: ['VIGIL_API_DEADLINE_MS', '200', integer(1, 60_000)],
  apiFallbackDecision: ['VIGIL_API_FALLBACK_DECISION', 'review', oneOf('allow', 'review', 'block')],
  apiRetryAfterSeconds: ['VIGIL_API_RETRY_AFTER_S', '1', integer(1, 3600)],
  apiMicroBatchMax: ['VIGIL_API_MICROBATCH_MAX', '256', integer(1, 10_000)],
  apiMicroBatchConcurrency: ['VIGIL_API_MICROBATCH_CONCURRENCY', '4', integer(1, 1024)],
  apiMicroBatchLingerMs: ['VIGIL_API_MICROBATCH_LINGER_MS', '0', integer(0, 100)],
  apiIdempotencyCacheSize: ['VIGIL_API_IDEMPOTENCY_CACHE', '20000', integer(0, 10_000_000)],
  maxMessageBytes: ['VIGIL_MAX_MESSAGE_BYTES', '65536', integer(256, 16 * 1024 * 1024)],
  amountLimit: ['VIGIL_AMOUNT_LIMIT', '1000000', integer(0, Number.MAX_SAFE_INTEGER)],
  allowedCurrencies: ['VIGIL_ALLOWED_CURRENCIES', DEFAULT_CURRENCIES, currencyList],
  reviewThreshold: ['VIGIL_REVIEW_THRESHOLD', '50', integer(0, 100)],
  blockThreshold: ['VIGIL_BLOCK_THRESHOLD', '80', integer(0, 100)],
  decisionFormat: ['VIGIL_DECISION_FORMAT', 'json', oneOf('json', 'msgpack')],
  logLevel: ['VIGIL_LOG_LEVEL', 'info', oneOf('debug', 'info', 'warn', 'error', 'silent')],
  fetchMaxBytes: ['VIGIL_FETCH_MAX_BYTES', String(8 * 1024 * 1024), integer(1024, 256 * 1024 * 1024)],
  fetchMinBytes: ['VIGIL_FETCH_MIN_BYTES', '1', integer(1, 64 * 1024 * 1024)],
  fetchMaxWaitMs: ['VIGIL_FETCH_MAX_WAIT_MS', '500', integer(0, 10_000)],
  partitionsConsumedConcurrently: ['VIGIL_PARTITIONS_CONCURRENCY', '12', integer(1, 256)],
  retryMaxDelayMs: ['VIGIL_RETRY_MAX_DELAY_MS', '5000', integer(10, 600_000)],
  rulesDir: ['VIGIL_RULES_DIR', `${PACKAGE_ROOT}rules`, text],
  rulesWatch: ['VIGIL_RULES_WATCH', 'true', bool],
  topicRulesUpdates: ['VIGIL_TOPIC_RULES_UPDATES', 'vigil.rules', topicName],
  featuresFile: ['VIGIL_FEATURES_FILE', `${PACKAGE_ROOT}rules/features.yaml`, text],
  featuresLatenessMs: ['VIGIL_FEATURES_LATENESS', '5m', duration],
  featuresDedupRetentionMs: ['VIGIL_FEATURES_DEDUP_RETENTION', '0s', duration],
  featuresTimeoutMs: ['VIGIL_FEATURES_TIMEOUT_MS', '5000', integer(100, 120_000)],
  featuresMinReplicas: ['VIGIL_FEATURES_MIN_REPLICAS', '0', integer(0, 16)],
  featuresKeyPrefix: ['VIGIL_FEATURES_KEY_PREFIX', 'vigil:', text],
  featuresCacheEntities: ['VIGIL_FEATURES_CACHE_ENTITIES', '50000', integer(0, 100_000_000)],
  featuresCacheMb: ['VIGIL_FEATURES_CACHE_MB', '256', integer(0, 1_000_000)],
  graphRulesDir: ['VIGIL_GRAPH_RULES', `${PACKAGE_ROOT}graph-rules`, text],
  graphHorizon: ['VIGIL_GRAPH_HORIZON', '30d', duration],
  sessionTimeoutMs: ['VIGIL_SESSION_TIMEOUT_MS', '10000', integer(6000, 300_000)],
  commitIntervalMs: ['VIGIL_COMMIT_INTERVAL_MS', '100', integer(0, 60_000)],
} as const satisfies Record<string, readonly [string, string, Parser<unknown>]>;

type Schema = typeof SCHEMA;
export type Config = { readonly [K in keyof Schema]: ReturnType<Schema[K][2]> };

/** All environment keys Vigil reads, for docs and `vigil run --help`. */
export const CONFIG_KEYS: ReadonlyArray<{ key: string; default: string }> = Object.values(SCHEMA).map(([key, def]) => ({ key, default: def }));

function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError('VIGIL_CONFIG', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('VIGIL_CONFIG', `${path} must hold a mapping of KEY: value`);
  const known = new Set(Object.values(SCHEMA).map(([key]) => key));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key as never)) throw new ConfigError(key, `unknown key in ${path}`);
    out[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}

/**
 * Reads configuration once at start-up: the optional file named by VIGIL_CONFIG (YAML or JSON of
 * KEY: value), overridden by the environment. Throws ConfigError naming the bad key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.VIGIL_CONFIG ? readConfigFile(env.VIGIL_CONFIG) : {};
  const config: Record<string, unknown> = {};
  for (const [name, [key, fallback, parse]] of Object.entries(SCHEMA)) {
    const raw = env[key] ?? file[key] ?? fallback;
    config[name] = (parse as Parser<unknown>)(key, raw);
  }
  const result = config as Config;
  if (result.blockThreshold < result.reviewThreshold) throw new ConfigError('VIGIL_BLOCK_THRESHOLD', `must be >= VIGIL_REVIEW_THRESHOLD (${result.reviewThreshold})`);
  return result;
}
