/**
 * Cost of recording a batch's decisions in the metrics: Metrics.recordDecisions (per-batch tallies,
 * FixedHistogram) against the per-event prom-client calls it replaced (baseline, same run).
 *
 *   npm run bench:admin [-- --json]
 */
import { cpus, totalmem } from 'node:os';
import { Counter, Histogram, Registry } from 'prom-client';
import { createMetrics } from '../src/admin/metrics.ts';
import { LATENCY_BUCKETS } from '../src/admin/labels.ts';
import type { Decision, Reason } from '../src/rules/decision.ts';
import { machineLine, markdownTable } from './lib/table.ts';

const BATCH = 500;
const ROUNDS = 400;
const REPEATS = 5;

const over: Reason = { rule: 'amount.over_limit', score: 60, detail: 'd' };
const shadow: Reason = { rule: 'graph.shared_device', score: 30, detail: 'd', shadow: true };
const now = Date.now();
const batch: Decision[] = Array.from({ length: BATCH }, (_, i) => ({
  eventId: `e${i}`,
  ts: now - (i % 200),
  decision: i % 20 === 0 ? 'block' : i % 10 === 0 ? 'review' : 'allow',
  score: 0,
  reasons: i % 10 === 0 ? [over, shadow] : i % 7 === 0 ? [shadow] : [],
  features: {},
  rulesVersion: 'v',
  latencyMs: 0,
}));

/** The per-event code of the foundation commit (prom-client observe/inc per decision). */
function baseline() {
  const registry = new Registry();
  const events = new Counter({ name: 'e_total', help: 'h', labelNames: ['outcome'], registers: [registry] });
  const latency = new Histogram({ name: 'l_seconds', help: 'h', labelNames: ['from'], buckets: [...LATENCY_BUCKETS], registers: [registry] });
  const hits = new Counter({ name: 'h_total', help: 'h', labelNames: ['rule', 'shadow'], registers: [registry] });
  return (decisions: readonly Decision[], fromIngest: number, producedAt: number) => {
    for (const d of decisions) {
      events.inc({ outcome: d.decision });
      latency.observe({ from: 'ingest' }, fromIngest);
      latency.observe({ from: 'event' }, Math.max(0, producedAt - d.ts) / 1000);
      for (const r of d.reasons) hits.inc({ rule: r.rule, shadow: r.shadow === true ? 'true' : 'false' });
    }
  };
}

function time(fn: (d: readonly Decision[], a: number, b: number) => void): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) fn(batch, 0.004, now + 5);
  return Number(process.hrtime.bigint() - start) / (ROUNDS * BATCH);
}

const base = baseline();
const metrics = createMetrics({ defaultMetrics: false });
const current = metrics.recordDecisions.bind(metrics);
time(base);
time(current);
const rows: { baselineNsPerEvent: number; recordDecisionsNsPerEvent: number }[] = [];
for (let i = 0; i < REPEATS; i++) rows.push({ baselineNsPerEvent: time(base), recordDecisionsNsPerEvent: time(current) });
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const b = median(rows.map((r) => r.baselineNsPerEvent));
const c = median(rows.map((r) => r.recordDecisionsNsPerEvent));
console.log(`recording decisions in the metrics, batches of ${BATCH}, ${ROUNDS * BATCH} events, median of ${REPEATS}; ${machineLine(cpus(), totalmem())}`);
console.log(
  markdownTable(
    ['recording', 'ns/event', 'ratio to baseline'],
    [
      ['per-event prom-client calls (baseline)', Math.round(b), 1],
      ['Metrics.recordDecisions (shipped)', Math.round(c), Number((c / b).toFixed(3))],
    ],
  ),
);
if (process.argv.includes('--json')) console.log(JSON.stringify({ node: process.version, batch: BATCH, events: ROUNDS * BATCH, baselineNsPerEvent: Math.round(b), recordDecisionsNsPerEvent: Math.round(c), speedup: Number((b / c).toFixed(1)) }));
