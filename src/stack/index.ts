import { mkdirSync } from 'node:fs';
import { StackError, ErrorCodes } from '../errors.ts';
import { stackLayout, KAFKA_VERSION, type StackLayout } from './paths.ts';
import { commandExists, runningPid, stopProcess } from './process-control.ts';
import { brokerAnswers, kafkaProcess, startKafka } from './kafka-server.ts';
import { redisAnswers, redisProcess, startRedis } from './redis-server.ts';

export { stackLayout, KAFKA_VERSION, brokerAnswers, type StackLayout };

const PREREQUISITES: ReadonlyArray<readonly [string, string]> = [
  ['java', 'install a Java 17+ runtime, e.g. `apt-get install -y openjdk-17-jre-headless`'],
  ['mvn', 'install Apache Maven, e.g. `apt-get install -y maven`'],
  ['redis-server', 'install Redis, e.g. `apt-get install -y redis-server`'],
];

export function checkPrerequisites(): void {
  for (const [command, hint] of PREREQUISITES) {
    if (!commandExists(command)) throw new StackError(ErrorCodes.STACK_PREREQUISITE_MISSING, `\`${command}\` not found: ${hint}`);
  }
}

export interface StackStatus {
  kafka: { pid?: number; answering: boolean; address: string; version: string };
  redis: { pid?: number; answering: boolean; url: string };
}

export async function stackUp(log: (line: string) => void = () => {}, layout = stackLayout()): Promise<{ kafka: string; redis: string }> {
  checkPrerequisites();
  mkdirSync(layout.stateDir, { recursive: true });
  const redis = await startRedis(layout);
  log(`redis-server ${redis} on redis://127.0.0.1:${layout.redisPort}`);
  const kafka = await startKafka(layout, log);
  log(`kafka ${KAFKA_VERSION} ${kafka} on 127.0.0.1:${layout.kafkaPort}`);
  return { kafka, redis };
}

export async function stackDown(log: (line: string) => void = () => {}, layout = stackLayout()): Promise<void> {
  log((await stopProcess(kafkaProcess(layout))) ? 'kafka stopped' : 'kafka was not running');
  log((await stopProcess(redisProcess(layout))) ? 'redis-server stopped' : 'redis-server was not running');
}

/**
 * Starts just the Kafka broker of `layout` (the same broker `stack up` runs), e.g. a private broker that a fault
 * test may stop and restart on its state dir without touching the shared stack.
 */
export async function startKafkaBroker(layout: StackLayout, log: (line: string) => void = () => {}): Promise<'started' | 'already running'> {
  mkdirSync(layout.stateDir, { recursive: true });
  return startKafka(layout, log);
}

/** Stops the Kafka broker of `layout`: SIGTERM (a clean shutdown) or SIGKILL (a crash); its data dir stays. */
export async function stopKafkaBroker(layout: StackLayout, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<boolean> {
  return stopProcess(kafkaProcess(layout), 60_000, signal);
}

export async function stackStatus(layout = stackLayout()): Promise<StackStatus> {
  const kafkaPid = runningPid(kafkaProcess(layout));
  const redisPid = runningPid(redisProcess(layout));
  return {
    kafka: { ...(kafkaPid === undefined ? {} : { pid: kafkaPid }), answering: kafkaPid !== undefined && (await brokerAnswers(layout.kafkaPort)), address: `127.0.0.1:${layout.kafkaPort}`, version: KAFKA_VERSION },
    redis: { ...(redisPid === undefined ? {} : { pid: redisPid }), answering: redisPid !== undefined && (await redisAnswers(layout.redisPort)), url: `redis://127.0.0.1:${layout.redisPort}` },
  };
}
