/**
 * Graph stage bench: per-event check time (p50/p99) on a graph of ~1M edges, and memory per million edges.
 * Baselines in the same run: an empty-rules pass (event preparation only), a raw graphology scan of the payer's
 * neighbours, and the raw graphology memory of the same nodes and edges without our attributes.
 *
 *   npm run bench:graph [-- --edges 1000000] [--probes 20000] [--json]   (node needs --expose-gc: the npm script gives it)
 */
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import GraphClass from 'graphology';
import type { AbstractGraph } from 'graphology-types';
import { EntityGraph } from '../src/graph/entity-graph.ts';
import { loadGraphRules } from '../src/graph/rule-file.ts';
import { EventLinks, GraphChecks } from '../src/graph/rule-checks.ts';
import type { PaymentEvent } from '../src/ingest/event.ts';
import { machineLine, markdownTable } from './lib/table.ts';

const { values: args } = parseArgs({ options: { edges: { type: 'string', default: '1000000' }, probes: { type: 'string', default: '20000' }, json: { type: 'boolean', default: false } } });
const targetEdges = Number(args.edges);
const probes = Number(args.probes);
const DAY = 86_400_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

let seed = 12345;
const rand = () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  return seed / 4_294_967_296;
};
const pick = (n: number) => Math.floor(rand() * n);
/** Skewed pick: a few hot ids, a long tail (super-nodes appear and hit the degree limits). */
const skewed = (n: number) => Math.floor(n * rand() ** 3);

const ACCOUNTS = Math.round(targetEdges / 4);
const TERMINALS = 20_000;
const T0 = Date.UTC(2026, 0, 1);
let clock = T0;

function nextEvent(i: number): PaymentEvent {
  clock += 20 + pick(40); // ~1 event per 40 ms of event time: ~10 days for 1M edges, inside a 30-day horizon
  const a = pick(ACCOUNTS);
  const e: PaymentEvent = { id: `e${i}`, ts: clock, type: 'payment', amount: 100 + pick(50_000), currency: 'EUR', account: `acc-${a}` };
  const r = rand();
  if (r < 0.55) {
    e.card = `card-${a}-${pick(2)}`;
    e.terminal = `term-${skewed(TERMINALS)}`;
    e.merchant = `m-${Math.floor(Number(e.terminal.slice(5)) / 4)}`;
  } else {
    e.type = 'transfer';
    e.beneficiary = `acc-${rand() < 0.5 ? skewed(ACCOUNTS) : pick(ACCOUNTS)}`;
  }
  e.device = `dev-${rand() < 0.9 ? a * 2 + pick(2) : pick(ACCOUNTS * 2)}`;
  e.ip = `ip-${rand() < 0.7 ? Math.floor(a / 3) : skewed(ACCOUNTS)}`;
  return e;
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function quantiles(ns: Float64Array): { p50: number; p99: number; mean: number } {
  const sorted = Float64Array.from(ns).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1_000;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p99: at(0.99), mean: sum / sorted.length / 1_000 };
}

const rules = loadGraphRules(fileURLToPath(new URL('../graph-rules', import.meta.url)));

// 1. Build the entity graph to the target size.
const base = heap();
const graph = new EntityGraph({ horizonMs: 30 * DAY });
const edgesSeen: [string, string, boolean][] = [];
let events = 0;
const t0 = process.hrtime.bigint();
while (graph.graph.size < targetEdges) graph.recordLink(nextEvent(events++));
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
const ours = heap() - base;
const stats = graph.stats();

// 2. Baseline memory: the same nodes and edges in a bare graphology graph, no attributes.
graph.graph.forEachEdge((_k, _a, s, t, _sa, _ta, undirected) => {
  edgesSeen.push([s, t, undirected]);
});
const before = heap();
const Graph = GraphClass as unknown as new (o: object) => AbstractGraph;
const raw = new Graph({ type: 'mixed', multi: false });
graph.graph.forEachNode((n) => {
  raw.addNode(n);
});
for (const [s, t, u] of edgesSeen) if (u) raw.addUndirectedEdge(s, t);
else raw.addDirectedEdge(s, t);
const rawBytes = heap() - before;
edgesSeen.length = 0;
const perM = (bytes: number) => ((bytes / stats.edges) * 1e6) / 2 ** 20;
raw.clear();

// 3. Labels: 1% of accounts fraud, 1% suspect, 0.5% of cards fraud, each card label naming a payment at a terminal
//    in the last week (the fraud_payments rule counts those).
for (let i = 0; i < ACCOUNTS / 100; i++) {
  graph.applyLabel(`account:acc-${pick(ACCOUNTS)}`, { label: 'fraud', by: 'bench', at: T0, reason: 'synthetic' });
  graph.applyLabel(`account:acc-${pick(ACCOUNTS)}`, { label: 'suspect', by: 'bench', at: T0, reason: 'synthetic' });
  const card = `card:card-${pick(ACCOUNTS)}-0`;
  const info = { label: 'fraud' as const, by: 'bench', at: T0, reason: 'synthetic' };
  graph.applyLabel(card, info);
  graph.recordFraudPayment(card, info, { ts: clock - pick(7 * DAY), terminal: `term-${skewed(TERMINALS)}`, amount: 1_000, usualAmount: 1_000 });
}

// 4. Per-event check time, the graph as it is before each event; each event is recorded after (as the stage does).
const checks = new GraphChecks(graph);
const ev = new EventLinks();
const probeEvents = Array.from({ length: probes }, () => nextEvent(events++));
const emptyNs = new Float64Array(probes);
const scanNs = new Float64Array(probes);
let scanned = 0;
const countNeighbour = () => {
  scanned++;
};
const allNs = new Float64Array(probes);
const recordNs = new Float64Array(probes);
const perRuleNs = rules.map(() => new Float64Array(probes));
const hits = rules.map(() => 0);
for (let i = 0; i < 2_000; i++) for (const r of rules) checks.run(r.params, ev.reset(probeEvents[i % 100]!)); // warm-up
for (let i = 0; i < probes; i++) {
  const e = probeEvents[i]!;
  let t = process.hrtime.bigint();
  ev.reset(e);
  emptyNs[i] = Number(process.hrtime.bigint() - t);
  t = process.hrtime.bigint();
  if (graph.graph.hasNode(ev.payer)) graph.graph.forEachNeighbor(ev.payer, countNeighbour);
  scanNs[i] = Number(process.hrtime.bigint() - t);
  t = process.hrtime.bigint();
  ev.reset(e);
  for (let r = 0; r < rules.length; r++) {
    const rt = process.hrtime.bigint();
    if (checks.run(rules[r]!.params, ev) !== undefined) hits[r]!++;
    perRuleNs[r]![i] = Number(process.hrtime.bigint() - rt);
  }
  allNs[i] = Number(process.hrtime.bigint() - t);
  t = process.hrtime.bigint();
  graph.recordLink(e);
  recordNs[i] = Number(process.hrtime.bigint() - t);
}
const all = quantiles(allNs);
const empty = quantiles(emptyNs);
const scan = quantiles(scanNs);
const rec = quantiles(recordNs);
const perRule = rules.map((r, i) => ({ rule: r.id, ...quantiles(perRuleNs[i]!), hits: hits[i]! }));
const µs = (v: number) => Number(v.toFixed(2));
console.log(`graph stage: ${stats.edges} edges, ${stats.nodes} nodes from ${events} events, built in ${buildMs.toFixed(0)} ms (${((events / buildMs) * 1000).toFixed(0)} events/s), ${stats.refusedEdges} edges refused by degree limits; ${probes} probe events; ${machineLine(cpus(), totalmem())}`);
console.log(
  markdownTable(
    ['per event', 'p50 µs', 'p99 µs', 'mean µs', 'ratio p50 to the empty pass'],
    [
      [`check, ${rules.length} shipped rules`, µs(all.p50), µs(all.p99), µs(all.mean), Math.round(all.p50 / empty.p50)],
      ['baseline: empty-rules pass (event preparation only)', µs(empty.p50), µs(empty.p99), µs(empty.mean), 1],
      [`baseline: raw graphology scan of the payer's neighbours (${(scanned / probes).toFixed(1)} on average)`, µs(scan.p50), µs(scan.p99), µs(scan.mean), Math.round(scan.p50 / empty.p50)],
      ["recording the event's links after its check", µs(rec.p50), µs(rec.p99), µs(rec.mean), Math.round(rec.p50 / empty.p50)],
      ...perRule.map((r): (string | number)[] => [`  rule ${r.rule} (${r.hits} hits)`, µs(r.p50), µs(r.p99), µs(r.mean), Math.round(r.p50 / empty.p50)]),
    ],
  ),
);
console.log(`memory per million edges: entity graph ${perM(ours).toFixed(0)} MiB (${(ours / stats.edges).toFixed(0)} B/edge, nodes included, no labels) vs bare graphology ${perM(rawBytes).toFixed(0)} MiB (${(rawBytes / stats.edges).toFixed(0)} B/edge): ×${(ours / rawBytes).toFixed(2)}`);
if (args.json) {
  console.log(JSON.stringify({ bench: 'graph', edges: stats.edges, nodes: stats.nodes, events, buildMs: Math.round(buildMs), refusedEdges: stats.refusedEdges, probes, checkUs: all, emptyPassUs: empty, neighbourScanUs: scan, recordUs: rec, perRule, bytesPerEdge: Math.round(ours / stats.edges), bareGraphologyBytesPerEdge: Math.round(rawBytes / stats.edges) }));
}
