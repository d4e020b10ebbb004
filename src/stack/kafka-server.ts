import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from '../ingest/kafkajs.ts';
import { StackError } from '../errors.ts';
import { ErrorCodes } from '../errors.ts';
import { KAFKA_VERSION, type StackLayout } from './paths.ts';
import { portOpen, runningPid, startDetached, waitFor, type ManagedProcess } from './process-control.ts';

export function kafkaProcess(layout: StackLayout): ManagedProcess {
  return { pidFile: join(layout.stateDir, 'kafka.pid'), markers: [join(layout.stateDir, 'kafka', 'server.properties')] };
}

function libsDir(layout: StackLayout): string {
  return join(layout.cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
}

/** Fetches the broker jars with Maven once; later runs reuse the cache folder. */
export function ensureKafkaJars(layout: StackLayout, log: (line: string) => void): string {
  const libs = libsDir(layout);
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) return libs;
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libs} (first run only)`);
  const staging = `${libs}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(layout.projectRoot, 'scripts', 'kafka', 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime', `-Dkafka.version=${KAFKA_VERSION}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) throw new StackError(ErrorCodes.STACK_START_FAILED, `mvn could not fetch the Kafka jars (exit ${result.status})`);
  mkdirSync(join(libs, '..'), { recursive: true });
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  return libs;
}

function writeServerProperties(layout: StackLayout): string {
  const dir = join(layout.stateDir, 'kafka');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const file = join(dir, 'server.properties');
  writeFileSync(
    file,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${layout.kafkaControllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${layout.kafkaPort},CONTROLLER://127.0.0.1:${layout.kafkaControllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${layout.kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=12',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'message.max.bytes=4194304',
      'log.retention.hours=24',
      'log.segment.bytes=268435456',
      '',
    ].join('\n'),
  );
  return file;
}

function java(args: string[], libs: string, layout: StackLayout) {
  return spawnSync('java', ['-cp', `${libs}/*`, `-Dlog4j2.configurationFile=${join(layout.projectRoot, 'scripts', 'kafka', 'log4j2.yaml')}`, ...args], { encoding: 'utf8' });
}

/** A random KRaft cluster id (16 bytes, base64url); never one starting with '-', which the storage tool reads as an option. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function brokerAnswers(port: number): Promise<boolean> {
  if (!(await portOpen(port))) return false;
  const kafka = new Kafka({ clientId: 'vigil-stack-probe', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function startKafka(layout: StackLayout, log: (line: string) => void): Promise<'started' | 'already running'> {
  const proc = kafkaProcess(layout);
  if (runningPid(proc) !== undefined) {
    await waitFor('Kafka', () => brokerAnswers(layout.kafkaPort), 60_000, () => runningPid(proc) !== undefined);
    return 'already running';
  }
  if (await portOpen(layout.kafkaPort)) {
    throw new StackError(ErrorCodes.STACK_START_FAILED, `port ${layout.kafkaPort} is taken by a process this stack did not start; set VIGIL_STACK_KAFKA_PORT`);
  }
  const libs = ensureKafkaJars(layout, log);
  const properties = writeServerProperties(layout);
  const dataDir = join(layout.stateDir, 'kafka', 'data');
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const format = java(['kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', properties], libs, layout);
    if (format.status !== 0) throw new StackError(ErrorCodes.STACK_START_FAILED, `formatting Kafka storage failed: ${format.stderr || format.stdout}`);
  }
  const heap = process.env.VIGIL_STACK_KAFKA_HEAP ?? '1g';
  startDetached(
    proc,
    'java',
    [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(layout.projectRoot, 'scripts', 'kafka', 'log4j2.yaml')}`, '-cp', `${libs}/*`, 'kafka.Kafka', properties],
    join(layout.stateDir, 'kafka.log'),
  );
  await waitFor('Kafka', () => brokerAnswers(layout.kafkaPort), 90_000, () => runningPid(proc) !== undefined, join(layout.stateDir, 'kafka.log'));
  await warmUp(layout.kafkaPort, log);
  return 'started';
}

/**
 * A fresh broker creates its offsets topic at the first group coordinator lookup and answers
 * "not the leader" for a while; a first consumer group round trip here means `up` returns a broker
 * that every client can use at once.
 */
async function warmUp(port: number, log: (line: string) => void): Promise<void> {
  const kafka = new Kafka({ clientId: 'vigil-stack-warmup', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 200 } });
  const admin = kafka.admin();
  const topic = 'vigil.stack.warmup';
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false });
    for (let attempt = 1; ; attempt++) {
      // A group of its own each time: rejoining an old one waits out the session of a member that left uncleanly.
      // No restart of its own: a crash racing the disconnect below (a restarted broker's coordinator still loading)
      // would otherwise leave a consumer that reconnects forever once the broker is gone, keeping its process alive.
      const consumer = kafka.consumer({
        groupId: `vigil-stack-warmup-${Date.now().toString(36)}`,
        maxWaitTimeInMs: 100,
        retry: { retries: 20, initialRetryTime: 200, restartOnFailure: async () => false },
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const joined = new Promise<void>((resolve, reject) => {
          consumer.on(consumer.events.GROUP_JOIN, () => resolve());
          consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
        });
        await consumer.run({ eachMessage: async () => {} });
        // Bounded: a warm-up that cannot finish must not hang `up`; the broker answers, clients retry on their own.
        if (!(await within(joined, WARM_UP_MS))) log(`kafka: a first consumer group did not join within ${WARM_UP_MS / 1000} s; continuing`);
        return;
      } catch (error) {
        if (attempt >= 10) throw error;
        await sleep(500);
      } finally {
        await within(consumer.disconnect().catch(() => {}), 10_000);
      }
    }
  } finally {
    await within(admin.disconnect().catch(() => {}), 10_000);
  }
}

const WARM_UP_MS = 60_000;

/** True when `promise` settles within `ms`; false otherwise (it is left to settle on its own). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
