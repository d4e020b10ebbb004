import { loadConfig } from '../config/index.ts';
import { createLogger } from '../log.ts';
import { createProcessor } from '../processor/index.ts';
import { startAdminServer } from '../admin/index.ts';
import { startScoringApiService } from '../api/index.ts';
import { startConsoleServer } from '../sinks/console/index.ts';
import { createKafka } from '../ingest/index.ts';

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/** `vigil run`: the processor and its admin endpoints, until SIGTERM/SIGINT. */
export async function runCommand(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const signalled = nextSignal();
  const processor = createProcessor({ config, log });
  const admin = await startAdminServer({ port: config.adminPort, registry: processor.metrics.registry, notReadyReason: processor.notReadyReason });
  log.info('admin endpoints listening', { port: admin.port, paths: ['/healthz', '/readyz', '/metrics'] });
  await processor.start();
  const api = config.apiEnabled
    ? await startScoringApiService({ config, log, scorer: processor.scorer, metrics: processor.metrics, batchRecords: processor.batchRecords })
    : undefined;
  if (api) log.info('scoring API listening', { port: api.port, paths: ['/v1/score', '/v1/score/batch'] });
  const consoleServer = config.consoleEnabled
    ? await startConsoleServer({ config, log, metrics: processor.metrics, kafka: createKafka({ brokers: config.kafkaBrokers, clientId: `vigil-console-${config.instanceId}`, logger: log }) })
    : undefined;
  if (consoleServer) log.info('analyst console listening', { port: consoleServer.port });
  const signal = await signalled;
  log.info('stopping: finishing the batch in flight', { signal });
  await api?.close();
  await consoleServer?.close();
  await processor.stop();
  await admin.close();
  return 0;
}
