import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { FeatureStage } from '../features/index.ts';
import { createNoGraphStage, type GraphStage } from '../graph/index.ts';
import type { FeatureValues, Reason } from '../rules/decision.ts';
import type { PaymentEvent } from '../ingest/event.ts';
import type { Dataset, DatasetRange, DatasetRecord } from '../replay/datasets/index.ts';
import type { RuleSet } from '../rules/index.ts';
import { createScorer } from '../processor/scorer.ts';
import { createMetrics } from '../admin/metrics.ts';
import { ScoredRows } from './scored.ts';
import type { FedBackLabel } from './reference-graph.ts';

/** What the backtest needs of a graph stage: checks, and labels fed back (the real stage and the reference both fit). */
export interface LabelledGraphStage {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  applyLabel?(label: FedBackLabel): unknown;
  close(): Promise<void>;
}

export interface PipelineRunOptions {
  dataset: Dataset;
  range: DatasetRange;
  features: FeatureStage;
  graph: LabelledGraphStage;
  /** The rule set; taken once per batch, as the live pipeline does. */
  rules: () => RuleSet;
  /** Fraud labels reach the graph this long after the payment (event time). */
  labelDelayMs: number;
  batchSize?: number;
  /** Where `TRANSACTION_ID,score` lines go. */
  scoresPath: string;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  events: number;
  /** Event time reached, epoch ms. */
  eventTime: number;
  /** Share of the range done, by event time (0–1). */
  done: number;
  elapsedMs: number;
}

export interface PipelineRunResult {
  rows: ScoredRows;
  events: number;
  labelsFedBack: number;
  rulesVersions: string[];
  /** Hits per rule id over the run (graph rules and shadow rules included, shadow ones suffixed ` (shadow)`). */
  ruleHits: Record<string, number>;
  elapsedMs: number;
}

/**
 * Runs a dataset in event time through the processor's scoring path (src/processor/scorer.ts), in batches:
 * features, then graph checks (graph as before each event), then the rule set (one snapshot per batch). Fraud labels are fed back to
 * the graph `labelDelayMs` after their payment, before the first batch that starts later than that.
 */
export async function runPipeline(o: PipelineRunOptions): Promise<PipelineRunResult> {
  const started = Date.now();
  const rows = new ScoredRows();
  const out = createWriteStream(o.scoresPath);
  out.write('TRANSACTION_ID,score\n');
  const pending: FedBackLabel[] = [];
  let pendingHead = 0;
  let labelsFedBack = 0;
  const versions = new Set<string>();
  const ruleHits = new Map<string, number>();
  const batchSize = o.batchSize ?? 500;
  let batch: DatasetRecord[] = [];
  let events = 0;
  const from = o.range.from ?? 0;
  const span = (o.range.to ?? from + 1) - from;
  let lastProgress = 0;
  // the processor's own scoring path: features → graph → rules, one rule-set snapshot per batch
  const graph: GraphStage = { ...createNoGraphStage(), check: (events, features) => o.graph.check(events, features) };
  const scorer = createScorer({ features: o.features, graph, rules: o.rules }, createMetrics({ defaultMetrics: false }));

  const flush = async () => {
    if (batch.length === 0) return;
    const first = batch[0]!.event.ts;
    while (pendingHead < pending.length && pending[pendingHead]!.at <= first) {
      o.graph.applyLabel?.(pending[pendingHead++]!);
      labelsFedBack++;
    }
    if (pendingHead > 65_536) { pending.splice(0, pendingHead); pendingHead = 0; }
    const decisions = await scorer.score(batch.map((r) => r.event), process.hrtime.bigint());
    let text = '';
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const v = decisions[i]!;
      if (i === 0) versions.add(v.rulesVersion);
      rows.push(v.score, r.event.ts, r.event.card ?? r.event.account, r.fraud, v.decision);
      for (const reason of v.reasons) {
        const key = reason.shadow === true ? `${reason.rule} (shadow)` : reason.rule;
        ruleHits.set(key, (ruleHits.get(key) ?? 0) + 1);
      }
      text += `${r.txId},${v.score}\n`;
      if (r.fraud) {
        for (const entity of r.labelEntities) {
          pending.push({ entity, label: 'fraud', at: r.event.ts + o.labelDelayMs, by: 'backtest', reason: `dataset fraud label of transaction ${r.txId}`, payment: r.event, paymentFeatures: v.features });
        }
      }
    }
    events += batch.length;
    if (!out.write(text)) await once(out, 'drain');
    const now = Date.now();
    if (o.onProgress && now - lastProgress > 1000) {
      lastProgress = now;
      o.onProgress({ events, eventTime: first, done: Math.min(1, (first - from) / span), elapsedMs: now - started });
    }
    batch = [];
  };

  for await (const rec of o.dataset.records(o.range)) {
    batch.push(rec);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  out.end();
  await once(out, 'finish');
  return { rows, events, labelsFedBack, rulesVersions: [...versions], ruleHits: Object.fromEntries([...ruleHits].sort((a, b) => b[1] - a[1])), elapsedMs: Date.now() - started };
}
