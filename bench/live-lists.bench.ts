/**
 * Cost of the live allow / block lists on a decision: the shipped rule set's evaluate() without them (baseline),
 * with empty live lists, and with 10,000 block + 1,000 allow entries of which ~1% of the events hit, in the same
 * run on the same events.
 *   node --import tsx bench/live-lists.bench.ts [--events 500000] [--json]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadRuleSet } from '../src/rules/loader.ts';
import { LiveLists, decodeListChange, encodeListChange, type RuleEngine } from '../src/rules/index.ts';
import type { PaymentEvent } from '../src/ingest/event.ts';
import { machineLine, markdownTable } from './lib/table.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 500_000);
const json = process.argv.includes('--json');

const set = await loadRuleSet(fileURLToPath(new URL('../rules', import.meta.url)));
const inputs = Array.from({ length: 4096 }, (_, i) => {
  const event: PaymentEvent = { id: `e${i}`, ts: 1_700_000_000_000 + i * 1000, type: i % 3 === 0 ? 'card_auth' : 'payment', amount: (i * 7919) % 40_000, currency: 'EUR', account: `a${i}`, card: `c${i}`, device: `d${i % 500}`, ip: `10.0.${i % 256}.${i % 7}` };
  const features: Record<string, number> = { 'card.count.30d': i % 5, 'card.avg_amount.30d': 5_000 + (i % 300), 'card.count.1h': i % 8 };
  return { event, features };
});

function filled(): LiveLists {
  const lists = new LiveLists();
  const add = (list: 'allow' | 'block', entity: string) => {
    const d = decodeListChange(encodeListChange({ list, entity, op: 'add', by: 'bench', at: 0, reason: 'bench' }));
    if (!d.ok) throw new Error(d.reason);
    lists.apply(d.change);
  };
  // Cards c0, c100, c200… are blocked (~1% of the events), the rest of the entries match nothing.
  for (let i = 0; i < 10_000; i++) add('block', i < 41 ? `card:c${i * 100}` : `card:x${i}`);
  for (let i = 0; i < 1_000; i++) add('allow', `account:y${i}`);
  return lists;
}

function run(engine: RuleEngine, n: number): number {
  let blocked = 0;
  for (let i = 0; i < n; i++) {
    const { event, features } = inputs[i & 4095]!;
    if (engine.evaluate(event, features, []).decision === 'block') blocked++;
  }
  return blocked;
}

function measure(engine: RuleEngine): { nsPerEvent: number; blocked: number } {
  run(engine, 50_000);
  const t0 = process.hrtime.bigint();
  const blocked = run(engine, EVENTS);
  return { nsPerEvent: Number(process.hrtime.bigint() - t0) / EVENTS, blocked };
}

const variants: [string, RuleEngine][] = [
  ['rule set alone (baseline)', set],
  ['with empty live lists', set.withLiveLists(new LiveLists())],
  ['with 10,000 block + 1,000 allow live entries', set.withLiveLists(filled())],
];
// Twice round, so JIT warm-up order does not favour the first variant.
const results = new Map<string, { nsPerEvent: number; blocked: number }>();
for (let round = 0; round < 2; round++) for (const [name, engine] of variants) results.set(name, measure(engine));
const base = results.get(variants[0]![0])!.nsPerEvent;
console.log(`live lists on a decision, ${EVENTS} events; ${machineLine(cpus(), totalmem())}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(markdownTable(['rule engine', 'ns/event', 'ratio to baseline', 'blocked'], [...results].map(([name, r]) => [name, Math.round(r.nsPerEvent), Number((r.nsPerEvent / base).toFixed(2)), r.blocked])));
if (json) console.log(JSON.stringify({ events: EVENTS, results: Object.fromEntries(results) }));
