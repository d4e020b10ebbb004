/**
 * Reading velocity states that are not cached (every cache miss): a pipeline of HGETALL (the baseline, two bulk
 * replies per field for the client to decode, read as bytes and joined) against the load script (lua/load-packed.lua:
 * one bulk reply per state), both parsed by EntityState.fromPacked, alternating in the same run on the same stored states. The states are written by the
 * velocity stage itself from synthetic payments, so they have the real field shapes.
 *
 *   REDIS_URL=redis://127.0.0.1:6390 node --import tsx bench/state-load.bench.ts [--entities 2000] [--rounds 20] [--json]
 *
 * Prints a table; with --json, one JSON object as the last line. Keys use a unique prefix and are deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createRedisFeatureStage, loadFeatureSpecs } from '../src/features/index.ts';
import { EntityState, packHash } from '../src/features/entity-state.ts';
import { registerLoadScript, statesOf } from '../src/features/load-script.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { redisCpuMicros } from './lib/redis-cpu.ts';
import { deleteKeysWithPrefix } from './lib/redis-keys.ts';

const { values: args } = parseArgs({ options: { entities: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const PER_CALL = 200;
const prefix = `bench:load:${randomUUID()}:`;
const client = new Redis(REDIS_URL);
const specs = await loadFeatureSpecs(new URL('../rules/features.yaml', import.meta.url).pathname);

// states with history: a few events per customer, then every key the stage wrote
const customers = Math.max(1, Math.floor(Number(args.entities) / 4));
const stream = new SyntheticStream({ customers, terminals: Math.max(1, Math.floor(customers / 5)), seed: 7, fraudRate: 0.01 });
const stage = createRedisFeatureStage({ redis: client, specs, keyPrefix: prefix });
let now = Date.UTC(2026, 0, 1);
for (let i = 0; i < customers * 8; i += 500) {
  const events = Array.from({ length: 500 }, () => stream.next((now += 50)).event);
  await stage.compute(events);
}
const keys: string[] = [];
for await (const batch of client.scanStream({ match: `${prefix}*:s`, count: 1000 })) keys.push(...(batch as string[]));

const loadScript = registerLoadScript(client);
async function viaHgetall(list: string[]): Promise<EntityState[]> {
  const pipeline = client.pipeline();
  for (const key of list) pipeline.callBuffer('HGETALL', key);
  const results = (await pipeline.exec()) ?? [];
  // the same byte parser on the same bytes: the pieces joined as the load script joins them
  return results.map(([, reply]) => EntityState.fromPacked(packHash(reply as Buffer[])));
}
async function viaScript(list: string[]): Promise<EntityState[]> {
  const pipeline = client.pipeline();
  loadScript.queue(pipeline, list);
  const [error, reply] = ((await pipeline.exec()) ?? [])[0] ?? [new Error('no reply'), null];
  if (error) throw error;
  return statesOf(reply);
}

const totals = { hgetall: { node: 0, redis: 0, wall: 0, states: 0 }, script: { node: 0, redis: 0, wall: 0, states: 0 } };
for (let round = 0; round < Number(args.rounds); round++) {
  for (const [name, read] of [['hgetall', viaHgetall], ['script', viaScript]] as const) {
    const redis0 = await redisCpuMicros(client);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let i = 0; i < keys.length; i += PER_CALL) totals[name].states += (await read(keys.slice(i, i + PER_CALL))).length;
    const cpu = process.cpuUsage(cpu0);
    totals[name].wall += (performance.now() - wall0) * 1000;
    totals[name].node += cpu.user + cpu.system;
    totals[name].redis += (await redisCpuMicros(client)) - redis0;
  }
}
const rows = Object.entries(totals).map(([mode, t]) => ({ mode, states: t.states, nodeCpuMicrosPerState: t.node / t.states, redisCpuMicrosPerState: t.redis / t.states, wallMicrosPerState: t.wall / t.states }));
console.log(`state-load bench — ${keys.length} states, ${PER_CALL} per round trip, ${args.rounds} alternating rounds; ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}); Node ${process.version}`);
console.log('mode      states   node cpu µs/state   redis cpu µs/state   wall µs/state');
for (const row of rows) console.log(`${row.mode.padEnd(8)} ${String(row.states).padStart(7)} ${row.nodeCpuMicrosPerState.toFixed(1).padStart(19)} ${row.redisCpuMicrosPerState.toFixed(1).padStart(20)} ${row.wallMicrosPerState.toFixed(1).padStart(15)}`);
const [baseline, script] = rows as [(typeof rows)[0], (typeof rows)[0]];
console.log(`script / HGETALL: Node CPU ×${(baseline.nodeCpuMicrosPerState / script.nodeCpuMicrosPerState).toFixed(2)} less, Redis CPU ×${(script.redisCpuMicrosPerState / baseline.redisCpuMicrosPerState).toFixed(2)}`);
if (args.json) console.log(JSON.stringify({ states: keys.length, rows }));

await deleteKeysWithPrefix(client, prefix);
await stage.close();
await client.quit();
