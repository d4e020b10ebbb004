/**
 * Replays the IBM AMLSim sample runs through the graph stage and reports, per run and per rule, how many accounts
 * the rules flag among the dataset's laundering accounts (isFraud = 1) and among the others.
 *
 *   node --import tsx scripts/amlsim-graph-report.ts [--data /work/shared/datasets/amlsim] [--rules graph-rules] [--delay 7]
 *
 * Replay: one AMLSim step = one day of event time; transfers in step order become `transfer` payments
 * payer → beneficiary. Labels are fed back with a delay, like chargebacks: a laundering account whose fraudStep
 * is known (>= 0) is labelled `fraud` at fraudStep + delay days; accounts with fraudStep = -1 are never labelled,
 * so flags on them are not helped by their own label. An account is flagged by a rule when one of its payments
 * (as payer) gets a hit, shadow rules included; "before own label" counts the laundering accounts flagged while
 * their own label was not yet known (the detections that matter — a hit after the label is the label itself).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadGraphRules } from '../src/graph/rule-file.ts';
import { createGraphCore } from '../src/graph/stage.ts';
import type { PaymentEvent } from '../src/ingest/event.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/work/shared/datasets/amlsim' },
    rules: { type: 'string', default: new URL('../graph-rules', import.meta.url).pathname },
    delay: { type: 'string', default: '7' },
    batch: { type: 'string', default: '100' },
  },
});
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const delayDays = Number(values.delay);
const batchSize = Number(values.batch);
const rules = loadGraphRules(values.rules!);
const RUNS = ['20K_cycle200', '20K_fanin200', '20K_fanin200cycle200'];

function csv(path: string): string[][] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  return lines.slice(1).filter((l) => l.length > 0).map((l) => l.split(','));
}

interface Counts {
  fraud: Set<string>;
  /** Laundering accounts flagged before their own label was fed back (or never labelled). */
  ahead: Set<string>;
  legit: Set<string>;
  hits: number;
}
const counts0 = (): Counts => ({ fraud: new Set(), ahead: new Set(), legit: new Set(), hits: 0 });

console.log(`AMLSim graph report — rules: ${rules.map((r) => r.id + (r.shadow ? ' (shadow)' : '')).join(', ')}; label delay ${delayDays} days; batch ${batchSize}`);
for (const run of RUNS) {
  const dir = join(values.data!, run);
  const nodes = csv(join(dir, 'nodes.csv.gz'));
  const isFraud = new Map<string, boolean>();
  const neverLabelled = new Set<string>();
  const labels: { at: number; account: string }[] = [];
  const labelAt = new Map<string, number>();
  for (const [id, fraud, , step] of nodes) {
    isFraud.set(id!, fraud === '1');
    if (fraud !== '1') continue;
    if (Number(step) >= 0) {
      const at = T0 + (Number(step) + delayDays) * DAY;
      labels.push({ at, account: id! });
      labelAt.set(id!, at);
    } else neverLabelled.add(id!);
  }
  labels.sort((a, b) => a.at - b.at);
  const rows = csv(join(dir, 'transactions.csv.gz'));
  const events: PaymentEvent[] = rows
    .map(([src, dst, value, step], i) => ({ i, step: Number(step), src: src!, dst: dst!, value: Number(value) }))
    .sort((a, b) => a.step - b.step || a.i - b.i)
    .map((r, i) => ({ id: `t${r.i}`, ts: T0 + r.step * DAY + (i % 86_400_000), type: 'transfer', amount: Math.round(r.value * 100), currency: 'USD', account: r.src, beneficiary: r.dst }));

  const core = createGraphCore({ rules, horizonMs: 90 * DAY });
  const counts = new Map(rules.map((r) => [r.id, counts0()]));
  const any = counts0();
  const anyLive = counts0();
  const shadow = new Set(rules.filter((r) => r.shadow).map((r) => r.id));
  let nextLabel = 0;
  const started = process.hrtime.bigint();
  for (let b = 0; b < events.length; b += batchSize) {
    const batch = events.slice(b, b + batchSize);
    while (nextLabel < labels.length && labels[nextLabel]!.at <= batch[0]!.ts) {
      const { account, at } = labels[nextLabel++]!;
      core.applyLabel({ entity: `account:${account}`, label: 'fraud', by: 'amlsim-replay', at, reason: 'laundering pattern' });
    }
    const reasons = core.check(batch, batch.map(() => ({})));
    reasons.forEach((rs, i) => {
      if (rs.length === 0) return;
      const { account, ts } = batch[i]!;
      const add = (c: Counts) => {
        c.hits++;
        if (isFraud.get(account) === true) {
          c.fraud.add(account);
          if (ts < (labelAt.get(account) ?? Number.POSITIVE_INFINITY)) c.ahead.add(account);
        } else c.legit.add(account);
      };
      add(any);
      if (rs.some((r) => !shadow.has(r.rule))) add(anyLive);
      for (const r of rs) add(counts.get(r.rule)!);
    });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const totalFraud = [...isFraud.values()].filter(Boolean).length;
  const totalLegit = isFraud.size - totalFraud;
  const baseRate = ((totalFraud / isFraud.size) * 100).toFixed(1);
  console.log(`\n${run}: ${events.length} transfers, ${isFraud.size} accounts (${totalFraud} laundering, ${neverLabelled.size} of them never labelled; ${totalLegit} others; base rate ${baseRate}%), ${labels.length} labels fed back; replay ${ms.toFixed(0)} ms; graph ${core.stats().edges} edges`);
  const line = (name: string, c: Counts) => {
    const flagged = c.fraud.size + c.legit.size;
    const precision = flagged === 0 ? '-' : ((c.fraud.size / flagged) * 100).toFixed(1) + '%';
    console.log(
      `  ${name.padEnd(30)} hits ${String(c.hits).padStart(6)}  flagged laundering ${String(c.fraud.size).padStart(5)}/${totalFraud} (before own label ${String(c.ahead.size).padStart(4)})  flagged others ${String(c.legit.size).padStart(5)}/${totalLegit}  share laundering ${precision}`,
    );
  };
  for (const r of rules) line(r.id, counts.get(r.id)!);
  line('any non-shadow rule', anyLive);
  line('any rule, shadow included', any);
}
