// Child process of console-load.ts: one console server, configured from the environment, so that its
// CPU time is measured apart from the clients and the producer. Prints {"port": N} once listening.
import { loadConfig } from '../src/config/index.ts';
import { createKafka } from '../src/ingest/index.ts';
import { createLogger } from '../src/log.ts';
import { startConsoleServer } from '../src/sinks/console/index.ts';

const config = loadConfig();
const log = createLogger(config.logLevel);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `console-load-${process.pid}`, logger: log });
const server = await startConsoleServer({ config, log, kafka });
while (!server.isConsuming()) await new Promise((r) => setTimeout(r, 50));
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
