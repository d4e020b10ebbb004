import { loadConfig } from '../../config/index.ts';
import { createKafka } from '../../ingest/index.ts';
import { createLogger } from '../../log.ts';
import { createMetrics, startAdminServer } from '../../admin/index.ts';
import { hashPasswordCommand } from './hash-password.ts';
import { startConsoleServer } from './index.ts';

/**
 * `vigil console` runs the analyst console alone (alerts come from the alerts topic, so it needs no
 * processor in the same process), with its admin endpoints; `vigil console hash-password` prints a
 * users-file hash of the password read from standard input.
 */
export async function consoleCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'hash-password') return hashPasswordCommand(argv.slice(1));
  if (argv.length > 0) {
    process.stderr.write('usage: vigil console [hash-password]\n');
    return 2;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const metrics = createMetrics();
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `vigil-console-${config.instanceId}`, logger: log });
  const server = await startConsoleServer({ config, log, metrics, kafka });
  const admin = await startAdminServer({ port: config.adminPort, registry: metrics.registry, notReadyReason: () => (server.isConsuming() ? undefined : 'console feed not consuming') });
  log.info('console running', { port: server.port, admin: admin.port });
  const signal = await signalled;
  log.info('stopping console', { signal });
  await server.close();
  await admin.close();
  return 0;
}
