// Throughput with 1, 2 and 3 `vigil run` instances (child processes, one consumer group per run) on the real local
// stack, same invocation, same machine. Per run: fresh topics (12 partitions), group and Redis key prefix; the
// instances start on the empty payments topic and join their group, are paused (SIGSTOP), the N-event backlog is
// produced, and they are resumed (SIGCONT) together: events/s is measured from the first decision to the last
// (the decisions' record timestamps), so neither start-up nor group formation is in the window.
//
//   npm run bench:scale -- [--events 60000] [--partitions 12] [--instances 1,2,3] [--json]
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { createKafka, createRecordProducer, ensureTopics } from '../src/ingest/index.ts';
import { createLogger } from '../src/log.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { stackUp } from '../src/stack/index.ts';
import { collect } from '../test/support/kafka.ts';
import { freePortPair } from '../test/support/private-kafka.ts';
import { killAll, startVigilChild, topicSet, vigilEnv, type VigilChild } from '../test/support/vigil-child.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '60000' }, partitions: { type: 'string', default: '12' }, instances: { type: 'string', default: '1,2,3' }, json: { type: 'boolean', default: false } },
});
const N = Number(args.events);
const PARTITIONS = Number(args.partitions);
const COUNTS = args.instances.split(',').map(Number);
const say = (line: string) => process.stderr.write(`${line}\n`);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';

await stackUp(say);
const kafka = new Kafka({ clientId: `bench-scale-${process.pid}`, brokers, logLevel: logLevel.NOTHING });
const log = createLogger('silent'); // a fresh topic's first metadata answers are expected errors here

/** The same seeded backlog for every run: payments over the last hour, keyed by account. */
function backlog(topic: string): { topic: string; key: string; value: string }[] {
  const stream = new SyntheticStream({ seed: 7, customers: 20_000, terminals: 5000, fraudRate: 0.004 });
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: N }, (_, j) => {
    const { event } = stream.next(t0 + Math.floor((j * 3_600_000) / N));
    return { topic, key: event.account, value: JSON.stringify(event) };
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Run {
  instances: number;
  eventsPerSec: number;
  seconds: number;
  duplicates: number;
  processorCpuSeconds: number;
}

async function run(instances: number): Promise<Run> {
  const { base, topics } = topicSet(`bench-scale-${instances}`);
  const admin = kafka.admin();
  await admin.connect();
  const children: VigilChild[] = [];
  try {
    const ports = await Promise.all(Array.from({ length: instances }, () => freePortPair()));
    const env = (port: number) =>
      vigilEnv(base, topics, { KAFKA_BROKERS: brokers.join(','), REDIS_URL: redisUrl, VIGIL_TOPIC_PARTITIONS: String(PARTITIONS), VIGIL_ADMIN_PORT: String(port), VIGIL_LOG_LEVEL: 'error', VIGIL_SESSION_TIMEOUT_MS: '60000' });
    await ensureTopics(createKafka({ brokers, clientId: base, logger: log }), Object.values(topics).map((topic) => ({ topic, partitions: PARTITIONS })));
    for (const port of ports) children.push(startVigilChild(env(port)));
    await until(`${instances} instances ready in one stable group`, async () => {
      if (!(await Promise.all(ports.map(ready))).every(Boolean)) return false;
      const { groups } = await admin.describeGroups([`${base}-group`]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === instances;
    }, 180_000);
    for (const c of children) c.child.kill('SIGSTOP');
    const cpuBefore = children.reduce((sum, c) => sum + cpuSeconds(c.child.pid!), 0);
    const producer = createRecordProducer(createKafka({ brokers, clientId: `${base}-switch`, logger: log }));
    const records = backlog(topics.payments);
    for (let i = 0; i < N; i += 5000) await producer.send(records.slice(i, i + 5000));
    await producer.close();
    for (const c of children) c.child.kill('SIGCONT');
    await until('every event committed', async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: `${base}-group`, topics: [topics.payments] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) >= N;
    }, 600_000);
    const processorCpuSeconds = children.reduce((sum, c) => sum + cpuSeconds(c.child.pid!), 0) - cpuBefore;
    for (const c of children) c.child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    const decisions = await collect(kafka, [topics.decisions], (ms) => ms.length >= N, 120_000, 1000);
    const ids = new Set(decisions.map((m) => (JSON.parse(m.value.toString()) as { eventId: string }).eventId));
    if (ids.size !== N) throw new Error(`${instances} instances: ${ids.size} of ${N} events decided`);
    const times = decisions.map((m) => m.timestamp);
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    return { instances, eventsPerSec: Math.round(N / seconds), seconds, duplicates: decisions.length - N, processorCpuSeconds: Math.round(processorCpuSeconds * 10) / 10 };
  } finally {
    killAll(children);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
  }
}

const loadBefore = loadavg()[0]!;
const runs: Run[] = [];
for (const instances of COUNTS) {
  say(`${instances} instance(s): ${N} events on ${PARTITIONS} partitions…`);
  runs.push(await run(instances));
}
const baseline = runs[0]!.eventsPerSec;
const result = {
  bench: 'scale',
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}); Kafka 4.4.0, redis-server and every instance on the same machine`,
  loadAverage1mBefore: Math.round(loadBefore * 100) / 100,
  loadAverage1mAfter: Math.round(loadavg()[0]! * 100) / 100,
  events: N,
  partitions: PARTITIONS,
  runs: runs.map((r) => ({ ...r, seconds: Math.round(r.seconds * 10) / 10, speedup: Math.round((r.eventsPerSec / baseline) * 100) / 100 })),
};
process.stdout.write(
  [
    `machine: ${result.machine}; 1-min load average ${result.loadAverage1mBefore} before, ${result.loadAverage1mAfter} after`,
    `${N} events, ${PARTITIONS} partitions, one group per run; events/s from the first decision to the last`,
    '| instances | events/s | × 1 instance | seconds | duplicate decisions | processor CPU s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.runs.map((r) => `| ${r.instances} | ${r.eventsPerSec} | ${r.speedup} | ${r.seconds} | ${r.duplicates} | ${r.processorCpuSeconds} |`),
    '',
  ].join('\n'),
);
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
