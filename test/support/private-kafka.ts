import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerAnswers, stackLayout, startKafkaBroker, stopKafkaBroker, type StackLayout } from '../../src/stack/index.ts';
import { uniqueName } from './env.ts';

/** A Kafka broker of one test's own, which the test may stop and restart without touching the shared stack. */
export interface PrivateKafka {
  readonly brokers: string[];
  /** A plain kafkajs client on this broker (the switch, the reader, the admin of the test). */
  client(): Kafka;
  /** SIGTERM = clean shutdown, SIGKILL = crash; the data dir stays for `start`. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts the broker on its data dir; resolves once it serves consumer groups, with the time it first answered metadata requests. */
  start(): Promise<number>;
  /** Stops the broker and deletes its data dir. */
  destroy(): Promise<void>;
}

/** A TCP port that was free a moment ago, with the next one free too (the broker's controller listener). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port < 65535 && (await listenOnce(port + 1).then(() => true, () => false))) return port;
  }
  throw new Error('no two adjacent free ports found');
}

export function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

export async function startPrivateKafka(): Promise<PrivateKafka> {
  const kafkaPort = await freePortPair();
  const stateDir = await mkdtemp(join(tmpdir(), 'vigil-private-kafka-'));
  const layout: StackLayout = stackLayout({ kafkaPort, kafkaControllerPort: kafkaPort + 1, stateDir });
  await startKafkaBroker(layout);
  const brokers = [`127.0.0.1:${kafkaPort}`];
  return {
    brokers,
    client: () => new Kafka({ clientId: uniqueName('test'), brokers, logLevel: logLevel.NOTHING }),
    async stop(signal) {
      await stopKafkaBroker(layout, signal);
    },
    async start() {
      let answeredAt: number | undefined;
      let starting = true;
      // `startKafkaBroker` also warms up a consumer group, which may take a while after a crash: the broker is back
      // (for clients that retry) from its first metadata answer
      const probe = (async () => {
        while (starting && answeredAt === undefined) {
          if (await brokerAnswers(kafkaPort)) answeredAt = Date.now();
          else await sleep(100);
        }
      })();
      try {
        await startKafkaBroker(layout);
      } finally {
        starting = false;
        await probe;
      }
      return answeredAt ?? Date.now();
    },
    async destroy() {
      await stopKafkaBroker(layout, 'SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export { freePortPair };
