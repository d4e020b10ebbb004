import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Config } from '../../config/index.ts';
import type { Metrics } from '../../admin/metrics.ts';
import type { Logger } from '../../log.ts';
import { DependencyUnavailableError, ErrorCodes } from '../../errors.ts';
import { createRecordProducer, createTailConsumer, ensureTopics, type IncomingBatch } from '../../ingest/index.ts';
import { actionRecords, auditRecord, auditRecordOf, type ActionMessage, type AuditRecord } from './actions.ts';
import { decodeAlert, type ConsoleAlert } from './alert-codec.ts';
import { loadAssets } from './assets.ts';
import { loadCredentials, LoginThrottle, Sessions } from './auth.ts';
import { Hub } from './hub.ts';
import { createConsoleMetrics, type ConsoleMetrics } from './metrics.ts';
import { listenConsole } from './server.ts';

export { hashPassword, tokenDigest, type Principal, type Role } from './auth.ts';
export type { ConsoleAlert, ServerFrame } from './alert-codec.ts';
export type { ClientMessage } from './actions.ts';
export { hashPasswordCommand } from './hash-password.ts';
export { consoleCommand } from './command.ts';

export interface ConsoleServerOptions {
  config: Config;
  log: Logger;
  /** The process's metrics: the console registers its own on the same registry. */
  metrics?: Metrics;
  /** The Kafka client (from createKafka) the console reads alerts and writes actions with. */
  kafka: Kafka;
  /** Alerts per WebSocket frame (default 200). */
  maxAlertsPerFrame?: number;
}

export interface ConsoleServer {
  port: number;
  /** True once the alert feed (and the acknowledgement feed) joined their groups. */
  isConsuming(): boolean;
  readonly metrics: ConsoleMetrics;
  /** Connected clients (for tests and the admin endpoint). */
  clientCount(): number;
  close(): Promise<void>;
}

/** Audit records read back on start to know which recent alerts are acknowledged. */
const ACK_TAIL = 5000;

function decodeAck(value: Buffer | null): { eventId: string; by: string; at: number } | undefined {
  if (value === null) return undefined;
  try {
    const r = JSON.parse(value.toString('utf8')) as Partial<AuditRecord>;
    if (r.action !== 'ack' || r.outcome !== 'ok' || typeof r.eventId !== 'string' || typeof r.by !== 'string' || typeof r.at !== 'number') return undefined;
    return { eventId: r.eventId, by: r.by, at: r.at };
  } catch {
    return undefined;
  }
}

function headerText(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? undefined : String(first);
}

/**
 * The analyst console: the page, its WebSocket feed of alerts (read from the alerts topic with a
 * consumer group of its own, starting with the newest VIGIL_CONSOLE_BACKLOG alerts), and analyst
 * actions written to the labels, lists and audit topics. Any number of instances can run.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const { config, kafka } = options;
  const log = options.log.child('console');
  const auditLog = options.log.child('audit');
  const metrics = createConsoleMetrics(options.metrics?.registry, options.metrics?.feeds.console);
  const credentials = loadCredentials(config.consoleUsersFile);
  if (credentials.users.size === 0 && credentials.tokens.size === 0) log.warn('no console users or tokens configured (VIGIL_CONSOLE_USERS): every login is refused');
  const sessions = new Sessions({
    secret: config.consoleSessionSecret === '' ? randomBytes(32) : Buffer.from(config.consoleSessionSecret, 'utf8'),
    ttlMs: config.consoleSessionTtlS * 1000,
  });
  const hub = new Hub({ backlog: config.consoleBacklog, bufferLimitBytes: config.consoleClientBufferBytes, maxAlertsPerFrame: options.maxAlertsPerFrame ?? 200, metrics });
  const topics = { labels: config.topicLabels, lists: config.topicLists, audit: config.topicAudit };
  await ensureTopics(kafka, [config.topicAlerts, config.topicLabels, config.topicLists, config.topicAudit].map((topic) => ({ topic, partitions: config.topicPartitions })));
  const producer = createRecordProducer(kafka);

  const audit = (record: AuditRecord): Promise<void> => {
    auditLog.info('console action', record as unknown as Record<string, unknown>);
    return producer.send([auditRecord(record, topics.audit)]);
  };

  const consumer = createTailConsumer(kafka, {
    groupId: `${config.groupId}-console-${config.instanceId}`,
    topic: config.topicAlerts,
    tail: config.consoleBacklog,
    maxBytes: config.fetchMaxBytes,
  });

  // Acknowledgements taken on any console instance, read back from the audit topic.
  const acks = createTailConsumer(kafka, {
    groupId: `${config.groupId}-console-${config.instanceId}-acks`,
    topic: config.topicAudit,
    tail: ACK_TAIL,
    maxBytes: config.fetchMaxBytes,
  });

  const server = await listenConsole({
    host: config.consoleHost,
    port: config.consolePort,
    origins: config.consoleOrigins,
    credentials,
    sessions,
    throttle: new LoginThrottle(),
    hub,
    metrics,
    log,
    assets: loadAssets(),
    bufferLimitBytes: config.consoleClientBufferBytes,
    secureCookie: config.consoleOrigins.some((o) => o.startsWith('https:')),
    auditLogin(name, outcome, remote) {
      const record: AuditRecord = { at: Date.now(), by: name, role: '', action: outcome === 'logout' ? 'logout' : 'login', outcome: outcome === 'ok' || outcome === 'logout' ? 'ok' : 'denied', reason: `${outcome} from ${remote}` };
      audit(record).catch((error: unknown) => log.warn('audit record not written', { err: error }));
    },
    async onAction(message: ActionMessage, who) {
      const at = Date.now();
      auditLog.info('console action', auditRecordOf(message, who, at, 'ok') as unknown as Record<string, unknown>);
      try {
        await producer.send(actionRecords(message, who, at, topics, message.action === 'label' ? hub.alertOf(message.eventId) : undefined));
      } catch (error) {
        metrics.actions.inc({ action: message.action, outcome: 'failed' });
        auditLog.warn('console action failed', auditRecordOf(message, who, at, 'failed', (error as Error).message) as unknown as Record<string, unknown>);
        throw error;
      }
      metrics.actions.inc({ action: message.action, outcome: 'ok' });
      // Acknowledgements reach every client of every instance through the audit topic (below).
    },
    onDenied(message, who) {
      metrics.actions.inc({ action: message.action, outcome: 'denied' });
      audit(auditRecordOf(message, who, Date.now(), 'denied', 'role viewer')).catch((error: unknown) => log.warn('audit record not written', { err: error }));
    },
  });

  try {
    await consumer.start(async (batch: IncomingBatch) => {
      const alerts: ConsoleAlert[] = [];
      for (const m of batch.messages) {
        const alert = decodeAlert(m.value, headerText(m.headers?.['content-type']), m.key?.toString() ?? '', `${batch.partition}:${m.offset}`);
        if (alert !== undefined) alerts.push(alert);
      }
      metrics.alertsReceived.inc(alerts.length);
      hub.publish(alerts);
    });
    await acks.start(async (batch: IncomingBatch) => {
      for (const m of batch.messages) {
        const ack = decodeAck(m.value);
        if (ack !== undefined) hub.acknowledge(ack.eventId, ack.by, ack.at);
      }
    });
  } catch (error) {
    await acks.stop().catch(() => {});
    // Leave nothing listening or connected behind: the caller gets the error and a process that can exit.
    server.close();
    await consumer.stop().catch(() => {});
    await producer.close().catch(() => {});
    throw new DependencyUnavailableError(ErrorCodes.KAFKA_UNAVAILABLE, `console cannot read ${config.topicAlerts}: ${(error as Error).message}`, error);
  }
  log.info('console listening', { port: server.port, topic: config.topicAlerts, users: credentials.users.size, tokens: credentials.tokens.size });

  return {
    port: server.port,
    metrics,
    isConsuming: () => consumer.isConsuming() && acks.isConsuming(),
    clientCount: () => hub.clients.size,
    async close() {
      server.close();
      await consumer.stop();
      await acks.stop();
      await producer.close();
    },
  };
}
