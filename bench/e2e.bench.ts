// End-to-end benchmark on the real local stack: the full pipeline (default rules, velocity and graph on)
// against a pass-through consumer→producer with the same Kafka client and settings but no scoring
// (the ceiling), on the same broker, the same pre-produced topic and the same machine, in one run.
//
//   npm run bench:e2e -- [--events 50000] [--warmup 0] [--partitions 12] [--rounds 3] [--json]
//   (the npm script gives node the processor's young-generation flags, as bin/vigil.js does)
//
// --rounds R: the ceiling and the full pipeline run alternately R times on the same pre-produced topic (each round
// with its own consumer groups, graph-links topic and velocity keys, so no round sees another's state). This VM's
// speed drifts by up to 2x within an hour and one ceiling run lasts well under a second, so a single pair's ratio
// is noise: the summary gives each figure's median over the rounds, and the range of the per-round ratios.
//
// Without --warmup: both drain a backlog of `events` from the start, on empty state (every entity new).
// --warmup W: W events go first (earlier in event time) and W more after, and only the middle `events` are timed:
// from the W-th decided to the (W + events)-th, so the timed events meet a graph and velocity state already built,
// and the pipeline is as full at the window's end as at its start (no drain at the end).
// Beside this process's CPU per event, each run reports the broker's (its pid file in the stack's state directory),
// Redis's (INFO cpu) and the share of the machine left idle (/proc/stat), over the same timed window.
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import * as hdr from 'hdr-histogram-js';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { createMetrics } from '../src/admin/index.ts';
import { createBatchConsumer, createKafka, createRecordProducer, ensureTopics } from '../src/ingest/index.ts';
import { createProcessor, paymentsConsumerOptions } from '../src/processor/index.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { stackUp } from '../src/stack/index.ts';
import { redisCpuMicros } from './lib/redis-cpu.ts';
import { brokerCpuSeconds, machineTicks } from './lib/machine-cpu.ts';
import { machineLine, markdownTable } from './lib/table.ts';
import { deleteKeysWithPrefix } from './lib/redis-keys.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '50000' }, warmup: { type: 'string', default: '0' }, partitions: { type: 'string', default: '12' }, rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const N = Number(args.events);
const W = Number(args.warmup);
const TAIL = W;
const TOTAL = W + N + TAIL;
const PARTITIONS = Number(args.partitions);
const ROUNDS = Number(args.rounds);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a positive integer, not ${args.rounds}`);
const log = createLogger('error');
const say = (line: string) => process.stderr.write(`${line}\n`);

await stackUp(say);
const base = `bench-${Date.now().toString(36)}`;
const env = {
  ...process.env,
  VIGIL_GROUP_ID: `${base}-vigil`,
  VIGIL_TOPIC_PAYMENTS: `${base}.payments`,
  VIGIL_TOPIC_DECISIONS: `${base}.decisions`,
  VIGIL_TOPIC_ALERTS: `${base}.alerts`,
  VIGIL_TOPIC_DLQ: `${base}.dlq`,
  VIGIL_TOPIC_LINKS: `${base}.links`,
  VIGIL_TOPIC_LABELS: `${base}.labels`,
  VIGIL_TOPIC_LISTS: `${base}.lists`,
  VIGIL_TOPIC_PARTITIONS: String(PARTITIONS),
  VIGIL_FEATURES_KEY_PREFIX: `${base}:`,
  VIGIL_LOG_LEVEL: 'error',
};
const config = loadConfig(env);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: base, logger: log });
const topicNames = ['payments', 'decisions', 'alerts', 'dlq', 'labels', 'lists', 'passthrough', ...Array.from({ length: ROUNDS }, (_, r) => `links-${r}`)];
await ensureTopics(kafka, topicNames.map((t) => ({ topic: `${base}.${t}`, partitions: PARTITIONS })));
/** A round's processor: its own group, graph-links topic (its graph replays that topic at start) and velocity keys. */
const roundConfig = (round: number) => loadConfig({ ...env, VIGIL_GROUP_ID: `${base}-vigil-${round}`, VIGIL_TOPIC_LINKS: `${base}.links-${round}`, VIGIL_FEATURES_KEY_PREFIX: `${base}:${round}:` });

say(`producing ${TOTAL} synthetic payments to ${config.topicPayments}…`);
const producer = createRecordProducer(kafka);
const stream = new SyntheticStream({ seed: 7, customers: 20_000, terminals: 5000, fraudRate: 0.004 });
const t0 = Date.now() - 3_600_000;
for (let i = 0; i < TOTAL; i += 5000) {
  const records = [];
  for (let j = i; j < Math.min(TOTAL, i + 5000); j++) {
    const { event } = stream.next(t0 + Math.floor((j * 3_600_000) / TOTAL));
    records.push({ topic: config.topicPayments, key: event.account, value: JSON.stringify(event) });
  }
  await producer.send(records);
}

interface Run {
  seconds: number;
  eventsPerSec: number;
  cpuMsPerEvent: number;
  /** Main-thread time in garbage collection (PerformanceObserver 'gc' entries) per event. */
  gcMsPerEvent: number;
  /** The broker's CPU per event over the same window (null when the broker is not the stack's own). */
  brokerCpuMsPerEvent: number | null;
  /** Share of the machine's CPU time (all cores) left idle during the window. */
  machineIdle: number;
}

interface TimedWindow {
  seconds: number;
  cpuMs: number;
  gcMs: number;
  brokerCpuMs: number | null;
  machineIdle: number;
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

function measure(): () => TimedWindow {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const gcAtStart = gcMs;
  const brokerAtStart = brokerCpuSeconds();
  const ticksAtStart = machineTicks();
  return () => {
    const used = process.cpuUsage(cpu);
    const broker = brokerCpuSeconds();
    const ticks = machineTicks();
    return {
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
      cpuMs: (used.user + used.system) / 1000,
      gcMs: gcMs - gcAtStart,
      brokerCpuMs: broker === undefined || brokerAtStart === undefined ? null : (broker - brokerAtStart) * 1000,
      machineIdle: (ticks.idle - ticksAtStart.idle) / Math.max(1, ticks.total - ticksAtStart.total),
    };
  };
}

const perEvent = (ms: number | null, events: number): number | null => (ms === null ? null : Math.round((ms / events) * 1000) / 1000);

/**
 * Counts events through a run and times the window from the W-th to the (W + N)-th (from the start to the N-th
 * without warm-up); events() is how many were counted inside it (batches straddle its ends).
 */
function timedWindow(onStart: () => void = () => {}) {
  let done = 0;
  let doneAtStart = 0;
  let doneAtEnd = 0;
  let stop: (() => TimedWindow) | undefined;
  let ended = false;
  return {
    timing: () => stop !== undefined && !ended,
    startIfDue(): void {
      if (stop !== undefined || done < W) return;
      doneAtStart = done;
      stop = measure();
      onStart();
    },
    /** Adds counted events; returns the window's measurement when this call ends it. */
    add(n: number): TimedWindow | undefined {
      done += n;
      if (ended || stop === undefined || done < W + N) return undefined;
      ended = true;
      doneAtEnd = done;
      return stop();
    },
    events: () => doneAtEnd - doneAtStart,
  };
}

async function passThrough(round: number): Promise<Run> {
  const consumer = createBatchConsumer(kafka, paymentsConsumerOptions(config, `${base}-ceiling-${round}`));
  const out = createRecordProducer(kafka);
  const span = timedWindow();
  const finished = new Promise<TimedWindow>((resolve) => {
    void consumer.start(async (batch) => {
      // the ceiling's clock starts with its first batch (W = 0) or once W are through
      span.startIfDue();
      await out.send(batch.messages.map((m) => ({ topic: `${base}.passthrough`, key: m.key, value: m.value ?? Buffer.alloc(0) })));
      const ended = span.add(batch.messages.length);
      if (ended !== undefined) resolve(ended);
    });
  });
  const result = await finished;
  await consumer.stop();
  await out.close();
  const timedEvents = span.events();
  return { seconds: result.seconds, eventsPerSec: Math.round(timedEvents / result.seconds), cpuMsPerEvent: result.cpuMs / timedEvents, gcMsPerEvent: result.gcMs / timedEvents, brokerCpuMsPerEvent: perEvent(result.brokerCpuMs, timedEvents), machineIdle: result.machineIdle };
}

type PipelineRun = Run & { p50Ms: number; p99Ms: number; redisCommandsPerEvent: number; redisCpuMsPerEvent: number; outcomes: Record<string, number> };

async function fullPipeline(round: number): Promise<PipelineRun> {
  const config = roundConfig(round);
  const redis = new Redis(config.redisUrl);
  // Redis's command count and CPU, read together (INFO takes a round trip, so it is read as the window opens and closes)
  const commands = async () => ({ commands: Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]), cpuMicros: await redisCpuMicros(redis) });
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const outcomes: Record<string, number> = { allow: 0, review: 0, block: 0 };
  let commandsAtStart = { commands: 0, cpuMicros: 0 };
  const span = timedWindow(() => void commands().then((n) => (commandsAtStart = n)));
  let resolveDone!: (r: TimedWindow & { commandsAtEnd: { commands: number; cpuMicros: number } }) => void;
  const finished = new Promise<TimedWindow & { commandsAtEnd: { commands: number; cpuMicros: number } }>((r) => (resolveDone = r));
  const metrics = createMetrics({ defaultMetrics: false });
  const processor = createProcessor({
    config,
    log,
    metrics,
    onDecided(decisions) {
      if (span.timing()) {
        for (const d of decisions) {
          latency.recordValue(Math.max(1, Math.round(d.latencyMs * 1000)));
          outcomes[d.decision] = (outcomes[d.decision] ?? 0) + 1;
        }
      }
      if (process.env.BENCH_BATCHES) process.stderr.write(`${decisions.length} `);
      const ended = span.add(decisions.length);
      span.startIfDue();
      // Redis's count read as the window ends: with warm-up the processor goes on with the tail
      if (ended !== undefined) void commands().then((n) => resolveDone({ ...ended, commandsAtEnd: n }));
    },
  });
  // without warm-up the pipeline's clock starts before the processor (its start and group join are timed)
  if (W === 0) {
    commandsAtStart = await commands();
    span.startIfDue();
  }
  await processor.start();
  const result = await finished;
  const redisCommands = result.commandsAtEnd.commands - commandsAtStart.commands;
  const redisCpuMs = (result.commandsAtEnd.cpuMicros - commandsAtStart.cpuMicros) / 1000;
  if (process.env.BENCH_STAGES) process.stderr.write(`${JSON.stringify((await metrics.stageSeconds.get()).values.filter((v) => v.metricName?.endsWith('_sum')).map((v) => [v.labels.stage, Math.round((v.value * 1e6) / TOTAL)]))}\n`);
  await processor.stop();
  // the velocity state this run wrote (one hash per entity) would otherwise stay until its idle TTL
  await deleteKeysWithPrefix(redis, config.featuresKeyPrefix);
  await redis.quit();
  return {
    seconds: result.seconds,
    eventsPerSec: Math.round(span.events() / result.seconds),
    cpuMsPerEvent: result.cpuMs / span.events(),
    gcMsPerEvent: result.gcMs / span.events(),
    brokerCpuMsPerEvent: perEvent(result.brokerCpuMs, span.events()),
    machineIdle: result.machineIdle,
    redisCpuMsPerEvent: perEvent(redisCpuMs, span.events())!,
    p50Ms: latency.getValueAtPercentile(50) / 1000,
    p99Ms: latency.getValueAtPercentile(99) / 1000,
    redisCommandsPerEvent: Math.round((redisCommands / span.events()) * 10) / 10,
    outcomes,
  };
}

const rounds: { ceiling: Run; full: PipelineRun }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const of = ROUNDS > 1 ? ` (round ${round + 1} of ${ROUNDS})` : '';
  say(`ceiling: pass-through consumer → producer${of}…`);
  const ceiling = await passThrough(round);
  say(`full pipeline: decode → velocity (Redis) → graph → rules → decisions${of}…`);
  const full = await fullPipeline(round);
  rounds.push({ ceiling, full });
}
await producer.close();
const admin = kafka.admin();
await admin.connect();
await admin.deleteTopics({ topics: topicNames.map((t) => `${base}.${t}`) }).catch(() => {});
await admin.disconnect();

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
/** The median over the rounds of one figure (null when the broker's CPU could not be read). */
const medianOf = (pick: (r: (typeof rounds)[number]) => number | null): number | null => {
  const values = rounds.map(pick);
  return values.some((v) => v === null) ? null : round3(median(values as number[]));
};
const ratios = rounds.map((r) => r.full.eventsPerSec / r.ceiling.eventsPerSec);
const lastFull = rounds[rounds.length - 1]!.full;

const result = {
  bench: 'e2e',
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Kafka 4.4.0, redis-server and this process on the same machine`,
  events: N,
  warmupEvents: W,
  partitions: PARTITIONS,
  rounds: ROUNDS,
  summary: 'each figure is its median over the rounds; ratioToCeiling is the median of the per-round ratios (each from a ceiling and a pipeline run minutes apart)',
  eventsPerSec: Math.round(median(rounds.map((r) => r.full.eventsPerSec))),
  ceilingEventsPerSec: Math.round(median(rounds.map((r) => r.ceiling.eventsPerSec))),
  ratioToCeiling: round3(median(ratios)),
  ratioToCeilingRange: [round3(Math.min(...ratios)), round3(Math.max(...ratios))],
  p50Ms: medianOf((r) => r.full.p50Ms),
  p99Ms: medianOf((r) => r.full.p99Ms),
  latencyNote: 'per event, from the batch leaving Kafka to its decision being ready to produce (Decision.latencyMs), in a drain of a pre-produced backlog',
  redisCommandsPerEvent: medianOf((r) => r.full.redisCommandsPerEvent),
  cpuMsPerEvent: medianOf((r) => r.full.cpuMsPerEvent),
  ceilingCpuMsPerEvent: medianOf((r) => r.ceiling.cpuMsPerEvent),
  gcMsPerEvent: medianOf((r) => r.full.gcMsPerEvent),
  ceilingGcMsPerEvent: medianOf((r) => r.ceiling.gcMsPerEvent),
  redisCpuMsPerEvent: medianOf((r) => r.full.redisCpuMsPerEvent),
  brokerCpuMsPerEvent: medianOf((r) => r.full.brokerCpuMsPerEvent),
  ceilingBrokerCpuMsPerEvent: medianOf((r) => r.ceiling.brokerCpuMsPerEvent),
  machineIdle: medianOf((r) => r.full.machineIdle),
  ceilingMachineIdle: medianOf((r) => r.ceiling.machineIdle),
  outcomesOfLastRound: lastFull.outcomes,
  perRound: rounds.map(({ ceiling, full }) => ({
    ceilingEventsPerSec: ceiling.eventsPerSec,
    eventsPerSec: full.eventsPerSec,
    ratioToCeiling: round3(full.eventsPerSec / ceiling.eventsPerSec),
    cpuMsPerEvent: round3(full.cpuMsPerEvent),
    gcMsPerEvent: round3(full.gcMsPerEvent),
    redisCpuMsPerEvent: full.redisCpuMsPerEvent,
    brokerCpuMsPerEvent: full.brokerCpuMsPerEvent,
    machineIdle: round3(full.machineIdle),
  })),
};
const cell = (x: number | null): string | number => (x === null ? 'n/a' : x);
const percent = (x: number | null): string => (x === null ? 'n/a' : `${Math.round(x * 100)} %`);
const rows: (string | number)[][] = [];
rounds.forEach(({ ceiling, full }, i) => {
  rows.push([`${i + 1}`, 'pass-through ceiling', ceiling.eventsPerSec, round3(ceiling.cpuMsPerEvent), round3(ceiling.gcMsPerEvent), cell(ceiling.brokerCpuMsPerEvent), '–', percent(ceiling.machineIdle), '–']);
  rows.push([`${i + 1}`, 'full pipeline', full.eventsPerSec, round3(full.cpuMsPerEvent), round3(full.gcMsPerEvent), cell(full.brokerCpuMsPerEvent), cell(full.redisCpuMsPerEvent), percent(full.machineIdle), round3(ratios[i]!)]);
});
process.stdout.write(
  [
    machineLine(cpus(), totalmem()),
    markdownTable(['round', 'run', 'events/s', 'CPU ms/event (Node)', 'of which GC', 'broker CPU ms/event', 'Redis CPU ms/event', 'machine idle', 'ratio'], rows),
    `median over ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}: full pipeline ${result.eventsPerSec} events/s, ceiling ${result.ceilingEventsPerSec}, ratio ${result.ratioToCeiling} (per round ${result.ratioToCeilingRange[0]}–${result.ratioToCeilingRange[1]}); decision latency p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; Redis commands/event ${result.redisCommandsPerEvent}`,
    '',
  ].join('\n'),
);
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
