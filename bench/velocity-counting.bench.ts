/**
 * Velocity counting in the process, without Redis: the default features over the synthetic stream, batches grouped
 * by entity as the Redis stage groups them, each entity's events counted into its cached state and its commit entry
 * built and serialised. The baseline, in the same run, is the same pass without the counting (grouping, state look-up,
 * an empty entry), so the difference is what counting and its writes cost. With `--against <checkout>`, that
 * checkout's counting code runs too, alternating round by round with this one: an A/B that the end-to-end bench's
 * noise hides (docs/performance.md).
 *   node --expose-gc --import tsx bench/velocity-counting.bench.ts [--events 200000] [--rounds 3] [--against DIR] [--json]
 */
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PaymentEvent } from '../src/ingest/event.ts';
import { markdownTable, machineLine } from './lib/table.ts';

type Spec = typeof import('../src/features/spec.ts');
type Plan = typeof import('../src/features/plan.ts');
type State = typeof import('../src/features/entity-state.ts');
type Velocity = typeof import('../src/features/entity-velocity.ts');
type Generator = typeof import('../src/generator/index.ts');
type EntityPlan = import('../src/features/plan.ts').EntityPlan;
type EntityState = import('../src/features/entity-state.ts').EntityState;

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const EVENTS = Number(arg('events') ?? 200_000);
const ROUNDS = Number(arg('rounds') ?? 3);
const BATCH = 2_000;
const json = process.argv.includes('--json');
const against = arg('against');

interface Counter {
  readonly label: string;
  readonly plans: readonly EntityPlan[];
  readonly plan: Plan;
  readonly state: State;
  /** undefined: the baseline, which groups and looks up but does not count. */
  readonly velocity: Velocity | undefined;
}

async function counterFrom(root: string, label: string, count: boolean): Promise<Counter> {
  const at = (path: string) => pathToFileURL(resolve(root, path)).href;
  const spec = (await import(at('src/features/spec.ts'))) as Spec;
  const plan = (await import(at('src/features/plan.ts'))) as Plan;
  const state = (await import(at('src/features/entity-state.ts'))) as State;
  const velocity = count ? ((await import(at('src/features/entity-velocity.ts'))) as Velocity) : undefined;
  const specs = spec.loadFeatureSpecsSync(resolve(root, 'rules/features.yaml'));
  const plans = plan.planFeatures(specs, { latenessMs: 300_000, idleTtlMs: 86_400_000, dedupRetentionMs: 0 });
  return { label, plans, plan, state, velocity };
}

const here = resolve(import.meta.dirname, '..');
const counters = [await counterFrom(here, 'grouping only (baseline)', false), await counterFrom(here, 'this checkout', true)];
if (against !== undefined) counters.push(await counterFrom(against, `--against ${against}`, true));

const { SyntheticStream } = (await import('../src/generator/index.ts')) as Generator;
const stream = new SyntheticStream({ seed: 7, customers: 20_000, terminals: 5_000, fraudRate: 0.004 });
const t0 = 1_700_000_000_000;
const events: PaymentEvent[] = Array.from({ length: EVENTS }, (_, j) => stream.next(t0 + Math.floor((j * 3_600_000) / EVENTS)).event);

/** One pass over all events with fresh states: CPU µs and commit JSON bytes per event. */
function pass(counter: Counter): { us: number; bytes: number; replies: number } {
  const states = new Map<string, EntityState>();
  let bytes = 0;
  let replies = 0;
  const start = process.cpuUsage();
  for (let b = 0; b < EVENTS; b += BATCH) {
    const batch = events.slice(b, b + BATCH);
    for (const plan of counter.plans) {
      const groups = new Map<string, number[]>();
      for (let i = 0; i < batch.length; i++) {
        const tag = counter.plan.entityTag(plan, batch[i] as PaymentEvent);
        if (tag === undefined) continue;
        const list = groups.get(tag);
        if (list === undefined) groups.set(tag, [i]);
        else list.push(i);
      }
      const entries: unknown[] = [];
      for (const [tag, indexes] of groups) {
        const key = `${plan.entity}:${tag}`;
        let state = states.get(key);
        if (state === undefined) states.set(key, (state = new counter.state.EntityState()));
        if (counter.velocity === undefined) {
          entries.push([state.version, 0, [], [], [], [], [], []]);
          continue;
        }
        const counted = counter.velocity.countEntityEvents(plan, state, batch, indexes);
        replies += counted.replies.length;
        const { ids, checks } = counted.writes as { ids: readonly string[] | Map<number, string[]>; checks: Map<number, string[]> | undefined };
        entries.push([state.version, counted.expire ? 1 : 0, counted.writes.sets, counted.writes.deletes, ids instanceof Map ? flatGroups(ids, 2) : ids, counted.writes.idBucketDeletes.map(String), flatGroups(checks, 1), counted.expireIdBuckets.map(String)]);
      }
      bytes += JSON.stringify(entries).length;
    }
  }
  const used = process.cpuUsage(start);
  return { us: (used.user + used.system) / EVENTS, bytes: bytes / EVENTS, replies };
}

/**
 * Groups by id bucket in the script's flat form (idx, n, then n items of `width` strings), as the stage writes the
 * look-ups; a checkout from before `099a625` gives its counted ids as such a Map too (items of 2: id, value).
 */
function flatGroups(groups: Map<number, string[]> | undefined, width: 1 | 2): string[] {
  const flat: string[] = [];
  if (groups !== undefined) for (const [idx, items] of groups) flat.push(String(idx), String(items.length / width), ...items);
  return flat;
}

const gc = (globalThis as { gc?: () => void }).gc;
// one untimed pass each first: the first passes run before the optimising compiler has the hot functions
for (const counter of counters) pass(counter);
const runs = counters.map(() => [] as { us: number; bytes: number; replies: number }[]);
for (let round = 0; round < ROUNDS; round++) {
  // each round starts one later in the list, so no checkout always runs right after the same one
  for (let k = 0; k < counters.length; k++) {
    const c = (round + k) % counters.length;
    gc?.();
    runs[c]!.push(pass(counters[c]!));
  }
}
const counted = runs[1]!.map((run) => run.replies);
for (const other of runs.slice(2)) {
  if (other.some((run, r) => run.replies !== counted[r])) throw new Error('the two checkouts counted different numbers of entity events');
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const base = median(runs[0]!.map((run) => run.us));
const rows = counters.map((counter, c) => {
  const us = runs[c]!.map((run) => run.us);
  const counting = c === 0 ? '—' : (median(us) - base).toFixed(1);
  return [counter.label, us.map((value) => value.toFixed(1)).join(' / '), Number(median(us).toFixed(1)), counting, Math.round(median(runs[c]!.map((run) => run.bytes)))] as const;
});
console.log(machineLine(cpus(), totalmem()));
console.log(`${EVENTS.toLocaleString('en')} synthetic events in batches of ${BATCH}, ${counters[1]!.plans.length} entity kinds, ${ROUNDS} alternating rounds after a warm-up pass each${gc === undefined ? ' (run with --expose-gc for a collection before each pass)' : ''}`);
console.log(markdownTable(['pass', 'CPU µs per event, by round', 'median', 'counting (median − baseline)', 'commit JSON bytes per event'], rows));
if (against !== undefined) {
  const ratio = (median(runs[1]!.map((run) => run.us)) - base) / (median(runs[2]!.map((run) => run.us)) - base);
  console.log(`this checkout's counting ×${ratio.toFixed(3)} of --against's`);
}
if (json) {
  console.log(
    JSON.stringify({
      bench: 'velocity-counting',
      events: EVENTS,
      rounds: ROUNDS,
      baselineUsPerEvent: base,
      passes: counters.map((counter, c) => ({ label: counter.label, usPerEventByRound: runs[c]!.map((run) => run.us), commitBytesPerEvent: median(runs[c]!.map((run) => run.bytes)) })),
    }),
  );
}
