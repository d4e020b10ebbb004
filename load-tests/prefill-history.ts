// Fills Redis with a day of velocity history for the open-loop population (50,000 customers, 10,000 terminals), so
// that a load test runs against states a production Redis would hold, instead of whatever earlier runs left there.
// Events are counted by the velocity stage itself, in event-time order, ending --until-ago before now (older than
// the lateness, so the load test's events are in order after them).
//
//   node --import tsx load-tests/prefill-history.ts [--events 1000000] [--hours 24] [--flush]
//
// REDIS_URL defaults to the stack's own Redis (redis://127.0.0.1:6390); --flush empties it first (FLUSHALL), so that
// the history is exactly this one. 5–8 minutes for a million events on two cores.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRedisFeatureStage, loadFeatureSpecs } from '../src/features/index.ts';
import { SyntheticStream } from '../src/generator/index.ts';
import { parseDuration } from '../src/features/duration.ts';
import { isRetriable } from '../src/errors.ts';
import { backoffDelay } from '../src/retry.ts';
import { OPEN_LOOP_POPULATION } from './lib/population.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    hours: { type: 'string', default: '24' },
    'until-ago': { type: 'string', default: '6m' },
    customers: { type: 'string', default: String(OPEN_LOOP_POPULATION.customers) },
    terminals: { type: 'string', default: String(OPEN_LOOP_POPULATION.terminals) },
    flush: { type: 'boolean', default: false },
    'key-prefix': { type: 'string', default: process.env.VIGIL_FEATURES_KEY_PREFIX ?? 'vigil:' },
  },
});

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const BATCH = 2000;
const total = Number(values.events);
const client = new Redis(REDIS_URL);
if (values.flush) await client.flushall();
const specs = await loadFeatureSpecs(new URL('../rules/features.yaml', import.meta.url).pathname);
const stage = createRedisFeatureStage({ redis: client, specs, keyPrefix: values['key-prefix']!, cacheEntities: 300_000, cacheBytes: 2 ** 31 });
const stream = new SyntheticStream({ ...OPEN_LOOP_POPULATION, seed: 424_242, customers: Number(values.customers), terminals: Number(values.terminals) });
const untilAgo = parseDuration(values['until-ago']!);
if (untilAgo === undefined) throw new Error(`--until-ago ${values['until-ago']} is not a duration such as 6m`);
const end = Date.now() - untilAgo;
const start = end - Number(values.hours) * 3_600_000;
const step = (end - start) / total;
const started = performance.now();
for (let done = 0; done < total; done += BATCH) {
  const events = [];
  for (let i = done; i < Math.min(total, done + BATCH); i++) events.push(stream.next(Math.floor(start + i * step)).event);
  // a retried batch is counted once (the stage deduplicates by event id); Redis may pause for an AOF rewrite
  for (let attempt = 1; ; attempt++) {
    try {
      await stage.compute(events);
      break;
    } catch (error) {
      if (!isRetriable(error) || attempt === 5) throw error;
      process.stderr.write(`prefill: retrying a batch after ${(error as Error).message}\n`);
      await sleep(backoffDelay(attempt, 500, 5000));
    }
  }
  if (done % 100_000 === 0) process.stderr.write(`prefill: ${done} of ${total} events, ${Math.round(done / ((performance.now() - started) / 1000))}/s\n`);
}
const memory = /used_memory_human:(\S+)/.exec((await client.info('memory')) as string)?.[1];
console.log(`prefill: ${total} events over ${values.hours} h ending ${new Date(end).toISOString()}; Redis holds ${await client.dbsize()} keys, ${memory}`);
await stage.close();
await client.quit();
