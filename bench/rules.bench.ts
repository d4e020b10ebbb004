/**
 * Rule evaluation speed: the compiled evaluators (generated JavaScript, built once per rule set) against a
 * tree-walking interpreter of the same rules (src/rules/interpret.ts), in the same run, on the same events.
 *   node --import tsx bench/rules.bench.ts [--events 200000] [--rules 60] [--json]
 */
import { cpus, loadavg } from 'node:os';
import { compileExpression } from '../src/rules/compile.ts';
import { loadRuleSet } from '../src/rules/loader.ts';
import { interpret } from '../src/rules/interpret.ts';
import { parseExpression } from '../src/rules/parser.ts';
import type { PaymentEvent } from '../src/ingest/event.ts';
import type { Reason } from '../src/rules/decision.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 200_000);
const RULES = arg('rules', 60);
const json = process.argv.includes('--json');

/** Rule templates covering the language: comparisons, arithmetic, lists, logic, functions, graph hits. */
const TEMPLATES = [
  (k: number) => [`amount > ${1000 + k * 10} * 100`, '40'],
  (k: number) => [`card.count.1m > ${2 + (k % 5)}`, 'min(60, 10 * card.count.1m)'],
  (k: number) => [`amount > ${3 + (k % 3)} * account.avg_amount.30d and account.count.30d >= 2`, 'min(99, 20 * (amount / account.avg_amount.30d - 3))'],
  (k: number) => [`country not in [FR, DE, ES, IT, NL, BE, PT, AT, IE, LU${k % 2 ? ', PL' : ''}]`, '25'],
  (k: number) => [`currency != "EUR" and channel in [web, app] and hour >= ${k % 24}`, '15'],
  (k: number) => [`graph.near_fraud >= ${k % 50} or exists(graph.compromised_terminal)`, 'max(coalesce(graph.near_fraud, 0), 30)'],
  (k: number) => [`not (device.distinct_account.24h <= ${1 + (k % 4)}) and card.count.24h > 10`, '35'],
  (k: number) => [`abs(amount - card.avg_amount.30d) / (card.avg_amount.30d + 1) > ${2 + (k % 3)}`, 'sqrt(amount) / 10'],
];

const rules = Array.from({ length: RULES }, (_, k) => {
  const [when, score] = TEMPLATES[k % TEMPLATES.length]!(k);
  const whenTree = parseExpression(when!, 'bool');
  const scoreTree = parseExpression(score!, 'number');
  return { whenTree, scoreTree, when: compileExpression<boolean>(whenTree), score: compileExpression<number>(scoreTree) };
});

let seed = 1;
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
const COUNTRIES = ['FR', 'DE', 'US', 'GB', 'PL', 'NG'];
const inputs = Array.from({ length: 4096 }, (_, i) => {
  const event: PaymentEvent = {
    id: `e${i}`, ts: 1_700_000_000_000 + i * 1000, type: 'payment', amount: Math.floor(rnd() * 500_000), currency: rnd() < 0.8 ? 'EUR' : 'USD', account: `a${i % 97}`,
    card: `c${i % 89}`, country: COUNTRIES[i % COUNTRIES.length]!, channel: rnd() < 0.5 ? 'web' : 'pos', device: `d${i % 13}`,
  };
  const features: Record<string, number> = { 'card.count.1m': Math.floor(rnd() * 8), 'card.count.24h': Math.floor(rnd() * 30), 'account.avg_amount.30d': rnd() * 100_000, 'account.count.30d': Math.floor(rnd() * 50), 'card.avg_amount.30d': rnd() * 100_000 };
  if (rnd() < 0.5) features['device.distinct_account.24h'] = Math.floor(rnd() * 6);
  const hits: Reason[] = rnd() < 0.1 ? [{ rule: 'graph.near_fraud', score: Math.floor(rnd() * 100), detail: '' }] : [];
  return { event, features, hits };
});

function runCompiled(n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const { event, features, hits } = inputs[i & 4095]!;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (rule.when(event, features, hits)) { const s = rule.score(event, features, hits); if (s === s) total += s; }
    }
  }
  return total;
}

function runInterpreted(n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const { event, features, hits } = inputs[i & 4095]!;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (interpret(rule.whenTree, event, features, hits)) { const s = interpret(rule.scoreTree, event, features, hits) as number; if (s === s) total += s; }
    }
  }
  return total;
}

function measure(fn: (n: number) => number): { eventsPerSecond: number; nsPerEvent: number; checksum: number } {
  fn(Math.min(EVENTS, 20_000)); // warm-up
  const best = { ms: Infinity, checksum: 0 };
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.hrtime.bigint();
    const checksum = fn(EVENTS);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms < best.ms) { best.ms = ms; best.checksum = checksum; }
  }
  return { eventsPerSecond: Math.round(EVENTS / (best.ms / 1000)), nsPerEvent: Math.round((best.ms * 1e6) / EVENTS), checksum: best.checksum };
}

const interpreted = measure(runInterpreted);
const compiled = measure(runCompiled);
if (Math.abs(compiled.checksum - interpreted.checksum) > 1e-6 * Math.abs(interpreted.checksum)) throw new Error(`results differ: ${compiled.checksum} vs ${interpreted.checksum}`);
const ratio = compiled.eventsPerSecond / interpreted.eventsPerSecond;
// absolute: the shipped rule set end to end (lists, rules, graph pass-through, combination, reasons)
const shipped = await loadRuleSet('rules');
const shippedRun = measure((n) => {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const { event, features, hits } = inputs[i & 4095]!;
    total += shipped.evaluate(event, features, hits).score;
  }
  return total;
});
const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with other work), node ${process.version}`;
console.log(`rules.bench: ${RULES} rules, ${EVENTS.toLocaleString('en')} events per run, best of 3 — ${machine}`);
console.log('| evaluator | events/s | ns/event (all rules) |');
console.log('|---|---|---|');
console.log(`| AST interpreter (baseline) | ${interpreted.eventsPerSecond.toLocaleString('en')} | ${interpreted.nsPerEvent} |`);
console.log(`| compiled (shipped) | ${compiled.eventsPerSecond.toLocaleString('en')} | ${compiled.nsPerEvent} |`);
console.log(`| shipped rules/ (${shipped.rules.length} rules), RuleSet.evaluate | ${shippedRun.eventsPerSecond.toLocaleString('en')} | ${shippedRun.nsPerEvent} |`);
console.log(`compiled / interpreter: ${ratio.toFixed(2)}×`);
if (json) console.log(JSON.stringify({ bench: 'rules', rules: RULES, events: EVENTS, interpreter: interpreted, compiled, ratio, shipped: shippedRun, machine }));
