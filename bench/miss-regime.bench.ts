/**
 * The velocity stage when most entities miss its cache, as in production (millions of cards, a few payments a day
 * each): the open-loop population (50,000 customers, 10,000 terminals: ~230,000 active entities for a 50,000-entity
 * cache) over a Redis holding a day of their history (load-tests/prefill-history.ts writes it), against the baseline
 * of a population that fits the cache (2,000 customers, 400 terminals: the first ones of the same population, so
 * their states have the same history). Twelve partitions submit batches concurrently, closed loop, as `vigil run`
 * does; the two populations alternate in the same run, each on a fresh stage.
 *
 *   node --import tsx load-tests/prefill-history.ts --flush     # once: a day of history, ~1 M keys
 *   REDIS_URL=redis://127.0.0.1:6390 node --import tsx bench/miss-regime.bench.ts [--seconds 15] [--rounds 3] [--batch 100] [--json]
 *
 * Events get the current time, so the keys' history grows with each run, as in the open-loop tests.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import * as hdr from 'hdr-histogram-js';
import { createRedisFeatureStage, loadFeatureSpecs } from '../src/features/index.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { OPEN_LOOP_POPULATION } from '../load-tests/lib/population.ts';
import { redisCpuMicros } from './lib/redis-cpu.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '12' },
    'key-prefix': { type: 'string', default: 'vigil:' },
    populations: { type: 'string', default: 'cached,missing' },
    specs: { type: 'string', default: new URL('../rules/features.yaml', import.meta.url).pathname },
    json: { type: 'boolean', default: false },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const client = new Redis(REDIS_URL);
const keys = await client.dbsize();
if (keys < 100_000) {
  process.stderr.write(`Redis at ${REDIS_URL} holds ${keys} keys: run load-tests/prefill-history.ts first (see the header of this file)\n`);
  process.exit(2);
}
const specs = await loadFeatureSpecs(args.specs!);
const POPULATIONS = {
  cached: new SyntheticStream({ ...OPEN_LOOP_POPULATION, seed: Date.now() % 1_000_000, customers: 2_000, terminals: 400 }),
  missing: new SyntheticStream({ ...OPEN_LOOP_POPULATION, seed: (Date.now() + 1) % 1_000_000 }),
};
type Population = keyof typeof POPULATIONS;
const populations = args.populations!.split(',') as Population[];
for (const name of populations) {
  if (!(name in POPULATIONS)) {
    process.stderr.write(`--populations: ${JSON.stringify(name)} is not one of ${Object.keys(POPULATIONS).join(', ')}\n`);
    process.exit(2);
  }
}

interface Row {
  population: Population;
  events: number;
  eventsPerSec: number;
  nodeCpuMicrosPerEvent: number;
  redisCpuMicrosPerEvent: number;
  batchP50Ms: number;
  batchP99Ms: number;
  missShare: number;
  cachedEntities: number;
}

async function measure(population: Population, seconds: number): Promise<Row> {
  // a fresh stage per measurement, with the default cache; the warm-up fills it
  const stage = createRedisFeatureStage({ redis: client, specs, keyPrefix: args['key-prefix']! });
  const stream = POPULATIONS[population];
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const warmUntil = Date.now() + 5000;
  const until = warmUntil + seconds * 1000;
  let events = 0;
  let redis0 = 0;
  let cpu0 = process.cpuUsage();
  let stats0 = stage.stats();
  let warm = false;
  const partition = async (): Promise<void> => {
    while (Date.now() < until) {
      const batch = Array.from({ length: Number(args.batch) }, () => stream.next(Date.now()).event);
      const sent = performance.now();
      await stage.compute(batch);
      if (!warm && Date.now() >= warmUntil) {
        warm = true;
        redis0 = await redisCpuMicros(client);
        cpu0 = process.cpuUsage();
        stats0 = stage.stats();
      } else if (warm) {
        events += batch.length;
        latency.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
      }
    }
  };
  await Promise.all(Array.from({ length: Number(args.partitions) }, partition));
  const cpu = process.cpuUsage(cpu0);
  const redis = (await redisCpuMicros(client)) - redis0;
  const stats = stage.stats();
  const uses = stats.cacheHits + stats.cacheMisses - stats0.cacheHits - stats0.cacheMisses;
  const misses = stats.cacheMisses - stats0.cacheMisses;
  await stage.close();
  return {
    population,
    events,
    eventsPerSec: Math.round(events / seconds),
    nodeCpuMicrosPerEvent: (cpu.user + cpu.system) / events,
    redisCpuMicrosPerEvent: redis / events,
    batchP50Ms: latency.getValueAtPercentile(50) / 1000,
    batchP99Ms: latency.getValueAtPercentile(99) / 1000,
    missShare: misses / uses,
    cachedEntities: stats.cachedEntities,
  };
}

const rows: Row[] = [];
for (let round = 0; round < Number(args.rounds); round++) {
  for (const population of populations) rows.push(await measure(population, Number(args.seconds)));
}
console.log(`miss-regime bench — ${keys} keys in Redis, ${args.partitions} partitions × batches of ${args.batch}, ${args.rounds} alternating rounds of ${args.seconds} s; ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}); Node ${process.version}`);
console.log('population      events/s   node µs/event   redis µs/event   batch p50 ms   batch p99 ms   misses   cached states');
for (const r of rows) {
  console.log(`${r.population.padEnd(14)} ${String(r.eventsPerSec).padStart(9)} ${r.nodeCpuMicrosPerEvent.toFixed(0).padStart(15)} ${r.redisCpuMicrosPerEvent.toFixed(0).padStart(16)} ${r.batchP50Ms.toFixed(1).padStart(14)} ${r.batchP99Ms.toFixed(1).padStart(14)} ${(100 * r.missShare).toFixed(0).padStart(7)}% ${String(r.cachedEntities).padStart(15)}`);
}
const median = (population: Population) => {
  const list = rows.filter((r) => r.population === population).map((r) => r.eventsPerSec).sort((a, b) => a - b);
  return list[Math.floor(list.length / 2)] as number;
};
const both = populations.includes('cached') && populations.includes('missing');
const ratio = both ? median('missing') / median('cached') : null;
if (ratio !== null) console.log(`missing / cached: ×${ratio.toFixed(2)} events/s (medians ${median('missing')} vs ${median('cached')})`);
if (args.json) console.log(JSON.stringify({ keys, ratio, rows }));
await client.quit();
