import { decode as decodeMsgpack } from '@msgpack/msgpack';
import uWS from 'uWebSockets.js';
import type { Config } from '../config/index.ts';
import { ConfigError, ErrorCodes, InvalidEventError, VigilError } from '../errors.ts';
import { contentTypeOf, createKafka, createRecordProducer, decodeEvent, validateEvent, type ContentType, type DecodeLimits, type OutgoingRecord, type PaymentEvent, type RecordProducer } from '../ingest/index.ts';
import type { Scorer } from '../processor/index.ts';
import type { Decision } from '../rules/decision.ts';
import type { Metrics } from '../admin/metrics.ts';
import type { Logger } from '../log.ts';
import { credentialOf, loadApiKeys, type ApiKeyVerifier } from './api-keys.ts';
import { Exchange, type ApiErrorBody, type BodyFormat } from './exchange.ts';
import { fallbackDecision } from './fallback.ts';
import { createApiMetrics, type ApiMetrics } from './metrics.ts';
import { API_ROUTES, type RouteName } from './routes.ts';
import { createScoringQueue, type ScoringQueue } from './scoring-queue.ts';

export interface ScoringApiOptions {
  config: Config;
  log: Logger;
  /** The processor's scorer (`processor.scorer`), so API and stream decide alike. */
  scorer: Scorer;
  /** Where decisions and alerts are produced, as the stream path does. */
  producer: RecordProducer;
  metrics: Metrics;
  /** Callers' keys; read from VIGIL_API_KEYS_FILE when not given. */
  keys?: ApiKeyVerifier;
  /** Overrides VIGIL_API_PORT (0 picks a free port). */
  port?: number;
  /**
   * Records to produce with each micro-batch's decisions: the processor's graph links
   * (`ConfiguredStages.batchRecords`), so links observed by API requests are published as the stream's are.
   */
  batchRecords?: (events: readonly PaymentEvent[]) => OutgoingRecord[];
}

export interface ScoringApi {
  readonly port: number;
  /** Stops listening, then waits until every accepted request has its answer. */
  close(): Promise<void>;
}

/** One item of a batch answer, in the order of the request's events. */
export type BatchResult = { status: 200; decision: Decision } | ({ status: 400 | 409 } & ApiErrorBody);

const MAX_FUTURE_SKEW_MS = 24 * 3600_000;

function responseFormat(accept: string, request: ContentType): BodyFormat {
  if (accept === '' || accept === '*/*') return request;
  if (accept.includes('msgpack')) return 'msgpack';
  return 'json';
}

function invalidStatus(error: InvalidEventError): 400 | 413 {
  return error.code === ErrorCodes.EVENT_TOO_LARGE ? 413 : 400;
}

interface Request {
  ex: Exchange;
  format: ContentType | undefined;
  accept: string;
  credential: string | undefined;
  contentType: string;
}

/**
 * `POST /v1/score` and `POST /v1/score/batch` on uWebSockets.js: authenticated, size-limited,
 * decided by the same scorer as the stream and recorded on the same topics.
 */
export async function startScoringApi(options: ScoringApiOptions): Promise<ScoringApi> {
  const { config, scorer, producer, metrics } = options;
  const log = options.log.child('api');
  if (options.keys === undefined && config.apiKeysFile === '') throw new ConfigError('VIGIL_API_KEYS_FILE', 'the scoring API needs a keys file (see docs/api.md)');
  const keys = options.keys ?? loadApiKeys(config.apiKeysFile);
  const apiMetrics: ApiMetrics = createApiMetrics(metrics.registry);
  const queue: ScoringQueue = createScoringQueue({
    scorer,
    producer,
    topics: { decisions: config.topicDecisions, alerts: config.topicAlerts, dlq: config.topicDlq },
    decisionFormat: config.decisionFormat,
    metrics,
    apiMetrics,
    log,
    maxBatch: config.apiMicroBatchMax,
    concurrency: config.apiMicroBatchConcurrency,
    idempotencyCacheSize: config.apiIdempotencyCacheSize,
    lingerMs: config.apiMicroBatchLingerMs,
    ...(options.batchRecords ? { batchRecords: options.batchRecords } : {}),
  });
  const limits: DecodeLimits = { maxBytes: config.maxMessageBytes, maxFutureSkewMs: MAX_FUTURE_SKEW_MS };
  const retryAfter = { 'retry-after': String(config.apiRetryAfterSeconds) };
  const deadlineMs = config.apiDeadlineMs;
  /** Milliseconds since the request arrived, rounded to µs. */
  const elapsedMs = (ex: Exchange) => Math.round(Number(process.hrtime.bigint() - ex.receivedNs) / 1000) / 1000;
  /** The deadline counts from the request's arrival, not from when its body was read and its key checked. */
  const remainingMs = (ex: Exchange) => Math.max(0, deadlineMs - elapsedMs(ex));

  const failed = (ex: Exchange, error: unknown): void => {
    if (error instanceof VigilError && error.retriable) {
      // The cause (hosts, ports, client messages) stays in the logs and metrics, not in the answer.
      const what = error.code === ErrorCodes.KAFKA_UNAVAILABLE ? 'Kafka is unavailable: the decision cannot be recorded' : 'the feature store (Redis) is unavailable: nothing was decided';
      ex.fail(503, error.code, `${what}; retry after ${config.apiRetryAfterSeconds} s with the same event id`, undefined, retryAfter);
    } else {
      log.error('request failed', { route: ex.route, err: error });
      ex.fail(500, ErrorCodes.INTERNAL_ERROR, 'internal error');
    }
  };

  const scoreOne = (r: Request, body: Buffer): void => {
    const { ex } = r;
    let event: PaymentEvent;
    try {
      event = decodeEvent(body, r.format!, Date.now(), limits);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      ex.fail(invalidStatus(error), error.code, error.message, error.field);
      return;
    }
    const format = responseFormat(r.accept, r.format!);
    const submission = queue.submit(event, ex.receivedNs);
    if (submission.kind === 'replay') {
      apiMetrics.replays.inc();
      ex.send(200, format, submission.decision, { 'vigil-replayed': 'true' });
      return;
    }
    if (submission.kind === 'conflict') {
      ex.fail(409, ErrorCodes.IDEMPOTENCY_CONFLICT, `event id "${event.id}" was already scored with a different ${submission.field}`, submission.field);
      return;
    }
    const timer = setTimeout(() => {
      if (ex.done) return;
      // A dependency known to be down is a 503, not a fallback: the caller should retry, not act on a guess.
      const down = queue.unavailable();
      if (down !== undefined) {
        failed(ex, down);
        return;
      }
      apiMetrics.fallbacks.inc({ reason: 'deadline' });
      ex.send(200, format, fallbackDecision(event, config.apiFallbackDecision, deadlineMs, elapsedMs(ex)), { 'vigil-fallback': 'deadline' });
    }, remainingMs(ex));
    submission.promise.then(
      (decision) => {
        clearTimeout(timer);
        ex.send(200, format, decision);
      },
      (error: unknown) => {
        clearTimeout(timer);
        failed(ex, error);
      },
    );
  };

  const scoreMany = (r: Request, body: Buffer): void => {
    const { ex } = r;
    let parsed: unknown;
    try {
      parsed = r.format === 'json' ? JSON.parse(body.toString('utf8')) : decodeMsgpack(body, { maxArrayLength: config.apiMaxBatchEvents + 1, maxMapLength: 256 });
    } catch (error) {
      ex.fail(400, ErrorCodes.EVENT_UNDECODABLE, `not valid ${r.format === 'json' ? 'JSON' : 'MessagePack'}: ${(error as Error).message.slice(0, 200)}`);
      return;
    }
    const items = (parsed as { events?: unknown } | null)?.events;
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray(items)) {
      ex.fail(400, ErrorCodes.EVENT_INVALID, 'events: expected an object {"events": [event, …]}', 'events');
      return;
    }
    if (items.length > config.apiMaxBatchEvents) {
      ex.fail(413, ErrorCodes.EVENT_TOO_LARGE, `events: ${items.length} events is over the limit of ${config.apiMaxBatchEvents} per request`, 'events');
      return;
    }
    const format = responseFormat(r.accept, r.format!);
    const now = Date.now();
    const results: (BatchResult | undefined)[] = new Array(items.length);
    const events: (PaymentEvent | undefined)[] = new Array(items.length);
    let waiting = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      ex.send(200, format, { results });
    };
    for (let i = 0; i < items.length; i++) {
      let event: PaymentEvent;
      try {
        event = validateEvent(items[i], now, limits);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        results[i] = { status: 400, error: error.field === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, field: error.field } };
        continue;
      }
      const submission = queue.submit(event, ex.receivedNs);
      if (submission.kind === 'replay') {
        apiMetrics.replays.inc();
        results[i] = { status: 200, decision: submission.decision };
      } else if (submission.kind === 'conflict') {
        results[i] = { status: 409, error: { code: ErrorCodes.IDEMPOTENCY_CONFLICT, message: `event id "${event.id}" was already scored with a different ${submission.field}`, field: submission.field } };
      } else {
        waiting++;
        events[i] = event;
        submission.promise.then(
          (decision) => {
            results[i] = { status: 200, decision };
            if (--waiting === 0) finish();
          },
          (error: unknown) => {
            clearTimeout(timer);
            failed(ex, error);
          },
        );
      }
    }
    if (waiting === 0) {
      finish();
      return;
    }
    timer = setTimeout(() => {
      if (ex.done) return;
      const down = queue.unavailable();
      if (down !== undefined) {
        failed(ex, down);
        return;
      }
      let fallbacks = 0;
      for (let i = 0; i < results.length; i++) {
        if (results[i] !== undefined) continue;
        results[i] = { status: 200, decision: fallbackDecision(events[i]!, config.apiFallbackDecision, deadlineMs, elapsedMs(ex)) };
        fallbacks++;
      }
      apiMetrics.fallbacks.inc({ reason: 'deadline' }, fallbacks);
      ex.send(200, format, { results }, { 'vigil-fallback': 'deadline' });
    }, remainingMs(ex));
  };

  const proceed = (r: Request, authorized: string | undefined): void => {
    const { ex } = r;
    if (ex.done) return;
    if (authorized === undefined) {
      ex.fail(401, ErrorCodes.AUTH_FAILED, 'missing or invalid API key: send "Authorization: Bearer <id>.<secret>" or "X-Api-Key: <id>.<secret>"', undefined, { 'www-authenticate': 'Bearer realm="vigil"' }, ex.body === undefined);
      return;
    }
    if (r.format === undefined) {
      ex.fail(415, ErrorCodes.EVENT_UNDECODABLE, `unsupported content-type "${r.contentType.slice(0, 100)}" (use application/json or application/msgpack)`, undefined, undefined, ex.body === undefined);
      return;
    }
    if (ex.overflow) {
      const limit = ex.route === 'score' ? config.maxMessageBytes : config.apiMaxBodyBytes;
      ex.fail(413, ErrorCodes.EVENT_TOO_LARGE, `request body is over the limit of ${limit} bytes`, undefined, undefined, true);
      return;
    }
    try {
      if (ex.route === 'score') scoreOne(r, ex.body!);
      else scoreMany(r, ex.body!);
    } catch (error) {
      failed(ex, error);
    }
  };

  const handle = (route: RouteName, res: uWS.HttpResponse, req: uWS.HttpRequest): void => {
    const ex = new Exchange(res, route, process.hrtime.bigint(), apiMetrics);
    res.onAborted(() => {
      ex.done = true;
    });
    const contentType = req.getHeader('content-type');
    let format: ContentType | undefined;
    try {
      format = contentTypeOf(contentType);
    } catch {
      format = undefined;
    }
    const r: Request = { ex, format, contentType, accept: req.getHeader('accept'), credential: credentialOf(req.getHeader('authorization'), req.getHeader('x-api-key')) };
    const limit = route === 'score' ? config.maxMessageBytes : config.apiMaxBodyBytes;
    const declared = Number(req.getHeader('content-length'));
    if (declared > limit) ex.overflow = true;
    let authorized: string | undefined;
    let authDone = false;
    let bodyDone = false;
    const next = () => {
      if (authDone && (bodyDone || ex.overflow)) proceed(r, authorized);
    };
    ex.readBody(limit, () => {
      bodyDone = true;
      next();
    });
    if (r.credential === undefined) {
      authDone = true;
      next();
    } else {
      keys.verify(r.credential).then(
        (id) => {
          authorized = id;
          authDone = true;
          next();
        },
        (error: unknown) => {
          authDone = true;
          log.error('API key check failed', { err: error });
          next();
        },
      );
    }
  };

  const notAllowed = (res: uWS.HttpResponse) => {
    res.cork(() => res.writeStatus('405 Method Not Allowed').writeHeader('allow', 'POST').writeHeader('content-type', 'application/json').end(JSON.stringify({ error: { code: ErrorCodes.ROUTE_NOT_FOUND, message: 'use POST' } }), true));
  };

  const app = uWS.App();
  app.post(API_ROUTES.score.path, (res, req) => handle('score', res, req));
  app.post(API_ROUTES.batch.path, (res, req) => handle('batch', res, req));
  app.any(API_ROUTES.score.path, notAllowed);
  app.any(API_ROUTES.batch.path, notAllowed);
  app.any('/*', (res, req) => {
    const message = `no route ${req.getMethod().toUpperCase()} ${req.getUrl().slice(0, 200)}; the API serves POST /v1/score and POST /v1/score/batch`;
    res.cork(() => res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end(JSON.stringify({ error: { code: ErrorCodes.ROUTE_NOT_FOUND, message } }), true));
  });

  const requestedPort = options.port ?? config.apiPort;
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(config.apiHost, requestedPort, (socket) => {
      if (socket === false) reject(new ConfigError('VIGIL_API_PORT', `cannot listen on ${config.apiHost}:${requestedPort}`));
      else resolve(socket);
    });
  });
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
  log.info('scoring API listening', { port, keys: keys.size, deadlineMs });
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= (async () => {
        uWS.us_listen_socket_close(listenSocket);
        await queue.drain();
        log.info('scoring API stopped');
      })();
      return closed;
    },
  };
}

/**
 * The API beside a processor in `vigil run`: its own Kafka producer (closed with it) and the
 * processor's scorer and metrics. Start it after `processor.start()`, which creates the topics.
 */
export async function startScoringApiService(options: Omit<ScoringApiOptions, 'producer'>): Promise<ScoringApi> {
  const kafka = createKafka({ brokers: options.config.kafkaBrokers, clientId: `vigil-api-${options.config.instanceId}`, logger: options.log });
  const producer = createRecordProducer(kafka);
  const api = await startScoringApi({ ...options, producer });
  return {
    port: api.port,
    async close() {
      await api.close();
      await producer.close();
    },
  };
}
