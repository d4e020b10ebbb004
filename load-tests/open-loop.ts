// Open-loop load test: payments at a constant arrival rate (each stamped with its scheduled time, so a
// slow system cannot hide latency by slowing the sender — no coordinated omission), event-time-to-decision
// latency in an HdrHistogram, throughput, lag, RSS and CPU of the `vigil run` process. Each step runs first with
// the baseline, a pass-through process in place of `vigil run` (lib/pass-through-process.ts: the same Kafka client,
// settings and topics, no scoring), at the same rate on the same machine: what Kafka and kafkajs cost on their own.
//
//   node --import tsx load-tests/open-loop.ts --rate 10000 --duration 60
//   node --import tsx load-tests/open-loop.ts --steps 5000,10000,15000,20000 --duration 30 --budget-p99-ms 15
//   node --import tsx load-tests/open-loop.ts --rate 1000 --duration 600 --baseline-duration 60   (a memory run)
//   node --import tsx load-tests/open-loop.ts --rate 3000 --send-every-ms 5   (the generator sends every 5 ms, as a lingering producer)
//   node --import tsx load-tests/open-loop.ts --rate 1000 --state shared   (over the velocity state already in Redis: a prefilled day, earlier runs)
//
// --state fresh (the default): each step's `vigil run` counts into velocity keys of its own, deleted after the step, so
// every step starts from the same empty state whatever ran before it (a later step would otherwise meet the earlier
// steps' state with a cold cache: a restart, which costs several times more per event). --state shared: the keys
// under VIGIL_FEATURES_KEY_PREFIX (default vigil:), kept, as load-tests/prefill-history.ts writes them.
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
// kafkajs with Vigil's own record-batch writer and per-partition grouping (src/ingest/kafkajs.ts): the generator's CPU
// is taken from the same two cores as the process under test, so it should cost no more than it must
import { Kafka, logLevel } from '../src/ingest/kafkajs.ts';
import { VigilPartitioner } from '../src/ingest/partitioner.ts';
import { brokerCpuSeconds, machineTicks } from '../bench/lib/machine-cpu.ts';
import { redisCpuMicros } from '../bench/lib/redis-cpu.ts';
import { deleteKeysWithPrefix } from '../bench/lib/redis-keys.ts';
import { stackUp } from '../src/stack/index.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { freePort, startPassThrough, startVigil } from './lib/vigil-process.ts';
import { htmlReport, type Chart } from './lib/chart.ts';
import { OPEN_LOOP_POPULATION } from './lib/population.ts';
import { scrapeProcessor, summariseWindow, type Scrape, type SeriesSummary } from './lib/processor-metrics.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    steps: { type: 'string' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    // the pass-through baseline's own duration (default: the same); a shorter one for long memory runs
    'baseline-duration': { type: 'string' },
    'budget-p99-ms': { type: 'string', default: '15' },
    // how often the generator sends what is due (a switch's producer linger): every event keeps its scheduled time, so
    // a longer interval shows in the latency; 1 ms is about a produce request per millisecond
    'send-every-ms': { type: 'string', default: '1' },
    state: { type: 'string', default: 'fresh' },
    partitions: { type: 'string', default: '12' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    json: { type: 'boolean', default: false },
  },
});

/** What a step measures of one process: `vigil run`, or the pass-through baseline. */
interface Measured {
  targetRate: number;
  durationS: number;
  produced: number;
  decided: number;
  sustainedEventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  maxLag: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  cpuCoresUsed: number;
  /** Where the rest of the machine's CPU went over the step (cores): this load test (generator and reader), the broker, Redis; and the share left idle. */
  machine: { loadTestCores: number; brokerCores: number | null; redisCores: number; idleShare: number };
  /** The processor's own histograms over the measured window: per-batch stage times, Redis round trips (seconds), batch sizes. */
  processor?: Record<string, SeriesSummary>;
  perSecond: { t: number; decided: number; p99Ms: number; lag: number; rssMb: number }[];
}

interface StepResult extends Measured {
  baseline: Omit<Measured, 'processor'>;
  /** Vigil's latency over the baseline's at the same rate. */
  p50ToBaseline: number;
  p99ToBaseline: number;
}

type Target = 'vigil' | 'pass-through';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const log = (line: string) => process.stderr.write(`${line}\n`);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6390', { lazyConnect: true });
const freshState = values.state !== 'shared';

async function measure(target: Target, rate: number, durationS: number, warmupS: number, partitions: number): Promise<Measured> {
  const base = `load-${Date.now().toString(36)}`;
  const topics = { payments: `${base}.payments`, decisions: `${base}.decisions` };
  const kafka = new Kafka({ clientId: base, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const names = ['payments', 'decisions', 'alerts', 'dlq', 'links', 'labels'].map((t) => `${base}.${t}`);
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
  // the process under test: `vigil run`, or the baseline in its place
  const subject = await (target === 'vigil' ? startVigil : startPassThrough)(
    {
      KAFKA_BROKERS: BROKERS.join(','),
      VIGIL_GROUP_ID: `${base}-group`,
      VIGIL_TOPIC_PAYMENTS: topics.payments,
      VIGIL_TOPIC_DECISIONS: topics.decisions,
      VIGIL_TOPIC_ALERTS: `${base}.alerts`,
      VIGIL_TOPIC_DLQ: `${base}.dlq`,
      VIGIL_TOPIC_LINKS: `${base}.links`,
      VIGIL_TOPIC_LABELS: `${base}.labels`,
      VIGIL_TOPIC_PARTITIONS: String(partitions),
      ...(freshState ? { VIGIL_FEATURES_KEY_PREFIX: `${base}:` } : {}),
    },
    await freePort(),
  );

  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let window = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let decided = 0;
  let decidedInWindow = 0;
  const start = Date.now() + 500;
  const measureFrom = start + warmupS * 1000;
  const measureTo = start + durationS * 1000;
  const reader = kafka.consumer({ groupId: `${base}-reader`, maxWaitTimeInMs: 20, maxBytes: 16 * 1024 * 1024 });
  await reader.connect();
  await reader.subscribe({ topic: topics.decisions, fromBeginning: true });
  await reader.run({
    // a fresh group on a fresh topic, read from its start: nothing to commit (kafkajs' default commit after every
    // batch was the busiest request on the broker, ~560 a second at 1,000 events/s)
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const value = m.value!.toString();
        // ts is the scheduled send time; the decision JSON carries it as "ts"
        const tsAt = value.indexOf('"ts":') + 5;
        const ts = Number(value.slice(tsAt, value.indexOf(',', tsAt)));
        decided++;
        const micros = Math.max(1, (now - ts) * 1000);
        window.recordValue(micros);
        if (ts >= measureFrom && ts < measureTo) {
          histogram.recordValue(micros);
          decidedInWindow++;
        }
      }
    },
  });

  const producer = kafka.producer({ idempotent: true, createPartitioner: VigilPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const stream = new SyntheticStream({ ...OPEN_LOOP_POPULATION, seed: Date.now() % 1_000_000 });
  let produced = 0;
  let inFlight = 0;
  const perSecond: StepResult['perSecond'] = [];
  const rssStart = subject.rssBytes();
  let rssMax = rssStart;
  const cpuStart = subject.cpuSeconds();
  const loadCpuStart = process.cpuUsage();
  const brokerStart = brokerCpuSeconds();
  const redisStart = await redisCpuMicros(redis);
  const ticksStart = machineTicks();
  let maxLag = 0;
  let nextSample = start + 1000;
  let scrapeAtMeasureStart: Promise<Scrape> | undefined;
  while (Date.now() < start) await sleep(1);
  const total = rate * durationS;
  while (produced < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * rate)) - produced;
    if (due > 0 && inFlight < 64) {
      const messages = new Array(due);
      for (let i = 0; i < due; i++) {
        const scheduled = Math.floor(start + ((produced + i) * 1000) / rate);
        const { event } = stream.next(scheduled);
        event.ts = scheduled;
        messages[i] = { key: event.account, value: JSON.stringify(event) };
      }
      produced += due;
      inFlight++;
      producer.send({ topic: topics.payments, acks: -1, messages }).then(
        () => inFlight--,
        (error: Error) => {
          inFlight--;
          log(`produce failed: ${error.message}`);
        },
      );
    }
    if (target === 'vigil' && scrapeAtMeasureStart === undefined && now >= measureFrom) scrapeAtMeasureStart = scrapeProcessor(subject.adminPort);
    if (now >= nextSample) {
      nextSample += 1000;
      const rss = subject.rssBytes();
      rssMax = Math.max(rssMax, rss);
      const lag = produced - decided;
      maxLag = Math.max(maxLag, lag);
      perSecond.push({ t: perSecond.length + 1, decided, p99Ms: window.getValueAtPercentile(99) / 1000, lag, rssMb: rss / 2 ** 20 });
      window = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    }
    await sleep(sendEveryMs);
  }
  const drainDeadline = Date.now() + 60_000;
  while (decided < produced && Date.now() < drainDeadline) await sleep(50);
  const elapsedCpu = subject.cpuSeconds() - cpuStart;
  const wall = (Date.now() - start) / 1000;
  const loadCpu = process.cpuUsage(loadCpuStart);
  const brokerEnd = brokerCpuSeconds();
  const redisEnd = await redisCpuMicros(redis);
  const ticksEnd = machineTicks();
  const cores = (seconds: number) => Math.round((seconds / wall) * 100) / 100;
  const rssEnd = subject.rssBytes();
  const processor = target === 'vigil' ? summariseWindow(await (scrapeAtMeasureStart ?? scrapeProcessor(subject.adminPort)), await scrapeProcessor(subject.adminPort)) : undefined;
  await producer.disconnect();
  await reader.disconnect();
  await subject.stop();
  await admin.deleteTopics({ topics: names }).catch(() => {});
  await admin.disconnect();
  if (freshState && target === 'vigil') await deleteKeysWithPrefix(redis, `${base}:`);
  const measuredSeconds = durationS - warmupS;
  return {
    targetRate: rate,
    durationS,
    produced,
    decided,
    sustainedEventsPerSec: Math.round(decidedInWindow / measuredSeconds),
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    p999Ms: histogram.getValueAtPercentile(99.9) / 1000,
    maxMs: histogram.maxValue / 1000,
    maxLag,
    rssStartMb: Math.round(rssStart / 2 ** 20),
    rssEndMb: Math.round(rssEnd / 2 ** 20),
    rssMaxMb: Math.round(rssMax / 2 ** 20),
    cpuCoresUsed: Math.round((elapsedCpu / wall) * 100) / 100,
    machine: {
      loadTestCores: cores((loadCpu.user + loadCpu.system) / 1e6),
      brokerCores: brokerStart === undefined || brokerEnd === undefined ? null : cores(brokerEnd - brokerStart),
      redisCores: cores((redisEnd - redisStart) / 1e6),
      idleShare: Math.round(((ticksEnd.idle - ticksStart.idle) / Math.max(1, ticksEnd.total - ticksStart.total)) * 100) / 100,
    },
    ...(processor === undefined ? {} : { processor }),
    perSecond,
  };
}

await stackUp(log);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const baselineDurationS = Number(values['baseline-duration'] ?? values.duration);
const budget = Number(values['budget-p99-ms']);
const sendEveryMs = Number(values['send-every-ms']);
if (!(sendEveryMs >= 1)) throw new Error('--send-every-ms must be at least 1');
if (values.state !== 'fresh' && values.state !== 'shared') throw new Error(`--state must be fresh or shared, not ${values.state}`);
const rates = (values.steps ?? values.rate!).split(',').map(Number);
const results: StepResult[] = [];
const describe = (m: Measured) =>
  `sustained ${m.sustainedEventsPerSec}/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, p99.9 ${m.p999Ms} ms, max ${m.maxMs} ms, max lag ${m.maxLag}, RSS ${m.rssStartMb}→${m.rssEndMb} MB (max ${m.rssMaxMb}), CPU ${m.cpuCoresUsed} cores; load test ${m.machine.loadTestCores}, broker ${m.machine.brokerCores ?? '?'}, Redis ${m.machine.redisCores} cores, machine ${Math.round(m.machine.idleShare * 100)} % idle`;
const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 0.001)) * 100) / 100;
for (const rate of rates) {
  log(`step: ${rate} events/s for ${durationS}s, baseline (pass-through) first…`);
  const { processor: _none, ...baseline } = await measure('pass-through', rate, baselineDurationS, Math.min(warmupS, baselineDurationS / 2), Number(values.partitions));
  log(`  pass-through: ${describe(baseline)}`);
  const vigil = await measure('vigil', rate, durationS, warmupS, Number(values.partitions));
  log(`  vigil run:    ${describe(vigil)}`);
  const stages = Object.entries(vigil.processor ?? {}).filter(([key]) => key.startsWith('vigil_stage_duration_seconds'));
  log(`  per batch (mean ms): ${stages.map(([key, v]) => `${/stage="(\w+)"/.exec(key)?.[1]} ${(v.mean * 1000).toFixed(2)}`).join(', ')}`);
  results.push({ ...vigil, baseline, p50ToBaseline: ratio(vigil.p50Ms, baseline.p50Ms), p99ToBaseline: ratio(vigil.p99Ms, baseline.p99Ms) });
}
const withinBudget = results.filter((r) => r.p99Ms <= budget && r.decided === r.produced);
const baselineWithinBudget = results.filter((r) => r.baseline.p99Ms <= budget && r.baseline.decided === r.baseline.produced);
const summary = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Kafka, Redis and the load generator on the same machine`,
  budgetP99Ms: budget,
  velocityState: freshState ? 'fresh (each step its own keys)' : 'shared (the keys already in Redis)',
  sendEveryMs,
  highestRateWithinBudget: withinBudget.length > 0 ? Math.max(...withinBudget.map((r) => r.targetRate)) : null,
  /** The same for the pass-through baseline: where even it does not stay within the budget, the budget is below what Kafka costs here. */
  baselineHighestRateWithinBudget: baselineWithinBudget.length > 0 ? Math.max(...baselineWithinBudget.map((r) => r.targetRate)) : null,
  steps: results.map(({ perSecond: _p, baseline: { perSecond: _b, ...baseline }, ...r }) => ({ ...r, baseline })),
};
mkdirSync(values.out!, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(values.out!, `open-loop-${stamp}.json`), `${JSON.stringify({ ...summary, perSecond: results.map((r) => r.perSecond), baselinePerSecond: results.map((r) => r.baseline.perSecond) }, null, 2)}\n`);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const charts: Chart[] = [
  {
    title: 'p99 event-to-decision latency per second (ms, log scale); grey: the pass-through baseline at the same rate',
    xLabel: 'seconds',
    yLabel: 'ms',
    logY: true,
    series: results.flatMap((r, i) => [
      { name: `${r.targetRate}/s`, color: colors[i % colors.length]!, points: r.perSecond.map((p) => [p.t, p.p99Ms] as [number, number]) },
      { name: `${r.targetRate}/s pass-through`, color: '#999999', points: r.baseline.perSecond.map((p) => [p.t, p.p99Ms] as [number, number]) },
    ]),
  },
  { title: 'Lag (produced − decided)', xLabel: 'seconds', yLabel: 'events', series: results.map((r, i) => ({ name: `${r.targetRate}/s`, color: colors[i % colors.length]!, points: r.perSecond.map((p) => [p.t, p.lag] as [number, number]) })) },
  { title: 'RSS of vigil run (MB)', xLabel: 'seconds', yLabel: 'MB', series: results.map((r, i) => ({ name: `${r.targetRate}/s`, color: colors[i % colors.length]!, points: r.perSecond.map((p) => [p.t, p.rssMb] as [number, number]) })) },
];
writeFileSync(join(values.out!, `open-loop-${stamp}.html`), htmlReport('Vigil open-loop load test', summary, charts));
process.stdout.write(`${values.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2)}\n`);
process.exit(0);
