/**
 * Features-stage throughput on real Redis: the velocity stage (features counted in this process from cached entity
 * states, one compare-and-set script call per batch, one pipeline per node) against a naive baseline (one awaited
 * command per counter and per window read), in the same run, on the same events: the first rows of the
 * fraud-handbook dataset (card, terminal, card+terminal, account = customer). A third row runs the second half of
 * the events through a fresh stage on the keys the first half wrote: a cold cache, every known entity read once.
 * With --expose-gc it also reports the heap held per cached entity.
 *
 *   REDIS_URL=redis://127.0.0.1:6390 node --expose-gc --import tsx bench/features.bench.ts [--events 20000] [--naive-events 1000] [--batch 500] [--json]
 *
 * Prints a table; with --json, one JSON object as the last line. Keys use a unique prefix and are deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { Cluster } from 'ioredis';
import { createRedisClient, createRedisFeatureStage, loadFeatureSpecs, type FeatureSpecs, type RedisClient } from '../src/features/index.ts';
import { entityTag, planFeatures } from '../src/features/plan.ts';
import type { PaymentEvent } from '../src/ingest/event.ts';
import { redisCpuMicros } from './lib/redis-cpu.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    'naive-events': { type: 'string', default: '1000' },
    batch: { type: 'string', default: '500' },
    specs: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const DATASET = new URL('../../shared/datasets/fraud-handbook/2018-04.csv.gz', import.meta.url).pathname;
const SPECS_PATH = args.specs ?? new URL('../rules/features.yaml', import.meta.url).pathname;

async function readEvents(limit: number): Promise<PaymentEvent[]> {
  const lines = createInterface({ input: createReadStream(process.env.BENCH_DATASET ?? DATASET).pipe(createGunzip()) });
  const events: PaymentEvent[] = [];
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    const [id, datetime, customer, terminal, amount] = line.split(',');
    events.push({
      id: `tx${id}`,
      ts: Date.parse(`${(datetime as string).replace(' ', 'T')}Z`),
      type: 'card_auth',
      amount: Math.round(Number(amount) * 100),
      currency: 'EUR',
      account: `cust${customer}`,
      card: `card${customer}`,
      terminal: `term${terminal}`,
    });
    if (events.length >= limit) break;
  }
  lines.close();
  return events;
}

interface Result {
  mode: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  roundTripsPerEvent: number;
  /** Commands the client sent. */
  commandsPerEvent: number;
  /** Commands Redis executed, including those run inside scripts (INFO commandstats; other clients add to it). */
  serverCommandsPerEvent: number;
  /** Redis CPU (user + sys, INFO cpu, all masters) per event: steadier than events/s on a shared machine. */
  redisCpuMicrosPerEvent: number;
  /** This process's CPU (user + sys) per event. */
  nodeCpuMicrosPerEvent: number;
  /** Entity writes refused (cold cache or another writer), per event. */
  conflictsPerEvent: number;
}

interface ServerCounters {
  calls: number;
  cpuSeconds: number;
}

/** Calls in INFO commandstats (minus EVAL/EVALSHA themselves) and Redis CPU seconds, summed over masters. */
async function serverCounters(client: RedisClient): Promise<ServerCounters> {
  const total = { calls: 0, cpuSeconds: 0 };
  for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
    for (const match of (await node.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (match[1] !== 'evalsha' && match[1] !== 'eval' && match[1] !== 'info') total.calls += Number(match[2]);
    }
    total.cpuSeconds += (await redisCpuMicros(node)) / 1e6;
  }
  return total;
}

async function runStage(mode: string, client: RedisClient, specs: FeatureSpecs, events: PaymentEvent[], batchSize: number, prefix: string): Promise<Result & { heapBytesPerEntity?: number; estimatedBytesPerEntity?: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const stage = createRedisFeatureStage({ redis: client, specs, keyPrefix: prefix, latenessMs: 300_000, timeoutMs: 60_000 });
  const before = await serverCounters(client);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += batchSize) await stage.compute(events.slice(i, i + batchSize));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const stats = stage.stats();
  const row = result(mode, events.length, seconds, stats.roundTrips, stats.scriptCalls, before, await serverCounters(client), (used.user + used.system) / events.length, stats.conflicts);
  if (gc === undefined || stats.cachedEntities === 0) return row;
  gc();
  const heapBytesPerEntity = Math.round((process.memoryUsage().heapUsed - heapBefore) / stats.cachedEntities);
  void stage; // held until here: its cache is what is measured
  return { ...row, heapBytesPerEntity, estimatedBytesPerEntity: Math.round(stats.cachedBytes / stats.cachedEntities) };
}

/** One awaited command per dedup check, per counter increment and per window read: what the script replaces. */
async function runNaive(client: RedisClient, specs: FeatureSpecs, events: PaymentEvent[], prefix: string): Promise<Result> {
  const plans = planFeatures(specs, { latenessMs: 0, idleTtlMs: 0, dedupRetentionMs: 0 });
  const byEntity = new Map<string, FeatureSpecs['features'][number][]>();
  for (const spec of specs.features) byEntity.set(spec.entity, [...(byEntity.get(spec.entity) ?? []), spec]);
  let commands = 0;
  const before = await serverCounters(client);
  const start = process.hrtime.bigint();
  for (const event of events) {
    for (const plan of plans) {
      const tag = entityTag(plan, event);
      if (tag === undefined) continue;
      const base = `${prefix}{${tag}}`;
      const features = byEntity.get(plan.entity) ?? [];
      commands++;
      const fresh = await client.set(`${base}:seen:${event.id}`, '1', 'PX', 86_400_000, 'NX');
      const sizes = [...new Set(features.map((f) => f.bucketMs))];
      if (fresh !== null) {
        for (const bs of sizes) {
          const idx = Math.floor(event.ts / bs);
          await client.hincrby(`${base}:c`, `${bs}:${idx}:c`, 1);
          await client.hincrby(`${base}:c`, `${bs}:${idx}:s`, event.amount);
          commands += 2;
          for (const f of features) {
            if (f.aggregate === 'distinct' && f.bucketMs === bs) {
              await client.sadd(`${base}:d:${f.distinctField}:${bs}:${idx}`, event[f.distinctField as 'account'] ?? '');
              commands++;
            }
          }
        }
      }
      for (const f of features) {
        const hi = Math.floor(event.ts / f.bucketMs);
        const fields: string[] = [];
        const keys: string[] = [];
        for (let idx = hi - f.buckets + 1; idx <= hi; idx++) {
          fields.push(`${f.bucketMs}:${idx}:c`, `${f.bucketMs}:${idx}:s`);
          keys.push(`${base}:d:${f.distinctField}:${f.bucketMs}:${idx}`);
        }
        if (f.aggregate === 'distinct') await client.sunion(...keys);
        else await client.hmget(`${base}:c`, ...fields);
        commands++;
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return result('naive, 1 command per counter', events.length, seconds, commands, commands, before, await serverCounters(client));
}

function result(mode: string, events: number, seconds: number, roundTrips: number, commands: number, before: ServerCounters, after: ServerCounters, nodeCpuMicrosPerEvent = 0, conflicts = 0): Result {
  return {
    mode,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    roundTripsPerEvent: roundTrips / events,
    commandsPerEvent: commands / events,
    serverCommandsPerEvent: (after.calls - before.calls) / events,
    redisCpuMicrosPerEvent: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / events,
    nodeCpuMicrosPerEvent,
    conflictsPerEvent: conflicts / events,
  };
}

async function deletePrefix(client: RedisClient, prefix: string): Promise<void> {
  for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await Promise.all(keys.map((key) => node.unlink(key)));
    } while (cursor !== '0');
  }
}

const specs = await loadFeatureSpecs(SPECS_PATH);
const events = await readEvents(Number(args.events));
const naiveEvents = events.slice(0, Number(args['naive-events']));
const client = createRedisClient(REDIS_URL, { commandTimeoutMs: 10_000 });
const prefix = `bench:features:${randomUUID()}:`;
try {
  const batch = Number(args.batch);
  await runStage('warm-up', client, specs, events.slice(0, 1000), batch, `${prefix}warm:`); // JIT and script cache
  const lua = await runStage('velocity stage', client, specs, events, batch, `${prefix}lua:`);
  const half = Math.floor(events.length / 2);
  await runStage('first half', client, specs, events.slice(0, half), batch, `${prefix}cold:`);
  const cold = await runStage('2nd half, cold cache', client, specs, events.slice(half), batch, `${prefix}cold:`);
  const naive = await runNaive(client, specs, naiveEvents, `${prefix}naive:`);
  const luaSameEvents = await runStage('velocity stage', client, specs, naiveEvents, batch, `${prefix}lua2:`);
  const rows = [lua, cold, luaSameEvents, naive];
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other helpers; Node ${process.version}; Redis ${REDIS_URL}`;
  console.log(`features bench — ${specs.features.length} features, batch ${args.batch}, ${machine}`);
  console.log('mode                           events   seconds   events/s  round trips/event  commands/event  server commands/event  redis cpu µs/event  node cpu µs/event  conflicts/event');
  for (const r of rows) {
    console.log(
      `${r.mode.padEnd(30)} ${String(r.events).padStart(6)} ${r.seconds.toFixed(2).padStart(9)} ${r.eventsPerSecond.toFixed(0).padStart(10)} ${r.roundTripsPerEvent.toFixed(3).padStart(18)} ${r.commandsPerEvent.toFixed(2).padStart(15)} ${r.serverCommandsPerEvent.toFixed(1).padStart(22)} ${r.redisCpuMicrosPerEvent.toFixed(0).padStart(19)} ${r.nodeCpuMicrosPerEvent.toFixed(0).padStart(18)} ${r.conflictsPerEvent.toFixed(2).padStart(16)}`,
    );
  }
  const ratio = luaSameEvents.eventsPerSecond / naive.eventsPerSecond;
  console.log(`velocity stage / naive on the same ${naive.events} events: ${ratio.toFixed(1)}x events/s`);
  if (lua.heapBytesPerEntity !== undefined) console.log(`heap held per cached entity: ${lua.heapBytesPerEntity} bytes (the cache's own estimate: ${lua.estimatedBytesPerEntity} bytes)`);
  if (args.json) console.log(JSON.stringify({ bench: 'features', machine, features: specs.features.length, batch, stage: lua, coldCache: cold, stageSameEvents: luaSameEvents, naive, ratio }));
} finally {
  await deletePrefix(client, prefix);
  await client.quit();
}
