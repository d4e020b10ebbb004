import { mkdirSync } from 'node:fs';
import { StackError, ErrorCodes } from '../errors.ts';
import { stackLayout, KAFKA_VERSION, type StackLayout } from './paths.ts';
import { commandExists, runningPid, stopProcess } from './process-control.ts';
import { brokerAnswers, kafkaProcess, startKafka } from './kafka-server.ts';
import { redisAnswers, redisProcess, startRedis } from './redis-server.ts';

export { stackLayout, KAFKA_VERSION, type StackLayout };

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

export async function stackStatus(layout = stackLayout()): Promise<StackStatus> {
  const kafkaPid = runningPid(kafkaProcess(layout));
  const redisPid = runningPid(redisProcess(layout));
  return {
    kafka: { ...(kafkaPid === undefined ? {} : { pid: kafkaPid }), answering: kafkaPid !== undefined && (await brokerAnswers(layout.kafkaPort)), address: `127.0.0.1:${layout.kafkaPort}`, version: KAFKA_VERSION },
    redis: { ...(redisPid === undefined ? {} : { pid: redisPid }), answering: redisPid !== undefined && (await redisAnswers(layout.redisPort)), url: `redis://127.0.0.1:${layout.redisPort}` },
  };
}
