import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FeatureStage } from '../features/index.ts';
import { openDataset } from '../replay/datasets/index.ts';
import { loadRuleSet } from '../rules/index.ts';
import { parseArgs, parseDate, parseDurationMs } from './args.ts';
import { cardPrecisionAtK, dailyAlerts, DAY_MS, HANDBOOK_BASELINES, precisionRecallAtBudgets, rocAuc } from './metrics.ts';
import { createReferenceFeatureStage } from './reference-features.ts';
import { createReferenceGraphStage } from './reference-graph.ts';
import { writeReport } from './report.ts';
import { realGraphStage, redisFeatureStage } from './real-stages.ts';
import { runPipeline, type LabelledGraphStage, type Progress } from './run.ts';

const OPTIONS = {
  dataset: 'value', out: 'value', rules: 'value', from: 'value', to: 'value', 'test-start': 'value', 'test-days': 'value',
  'label-delay': 'value', features: 'value', graph: 'value', 'batch-size': 'value', 'redis-url': 'value', 'feature-specs': 'value', 'graph-rules': 'value', help: 'flag',
} as const;

const USAGE = `usage: vigil backtest --dataset DIR --out OUTDIR [--rules DIR] [--from DATE] [--to DATE]
       [--test-start DATE] [--test-days N] [--label-delay 7d] [--batch-size 500]
       [--features reference|redis [--redis-url URL] [--feature-specs rules/features.yaml]] [--graph reference|real [--graph-rules graph-rules]]
With the fraud-handbook dataset and no dates: the handbook protocol (history from 2018-04-01, test week 2018-08-08 .. 2018-08-14).`;

/** Hooks to plug the real stages in (the lead wires createRedisFeatureStage / the graph stage here). */
export interface BacktestStageFactories {
  redisFeatures?: (featureNames: readonly string[]) => Promise<FeatureStage>;
  realGraph?: () => Promise<LabelledGraphStage>;
}

/** `vigil backtest`: returns the exit code (0 ok, 1 failure, 2 usage). */
export async function backtestCommand(argv: readonly string[], factories: BacktestStageFactories = {}, log: (s: string) => void = console.log): Promise<number> {
  const { values: v, flags, error } = parseArgs(argv, OPTIONS);
  if (error || flags.has('help') || !v.get('dataset') || !v.get('out')) {
    log(error ? `${error}\n${USAGE}` : USAGE);
    return flags.has('help') ? 0 : 2;
  }
  const dataset = await openDataset(v.get('dataset')!);
  const handbook = dataset.kind === 'fraud-handbook';
  const testStart = parseDate(v.get('test-start') ?? (handbook ? '2018-08-08' : '')) ;
  const testDays = Number(v.get('test-days') ?? 7);
  const from = parseDate(v.get('from') ?? (handbook ? '2018-04-01' : '1970-01-01'));
  const to = v.get('to') ? parseDate(v.get('to')!) : testStart !== undefined ? testStart + testDays * DAY_MS : undefined;
  const delay = parseDurationMs(v.get('label-delay') ?? '7d');
  if (from === undefined || (v.get('to') && to === undefined) || delay === undefined || !(testDays > 0) || (v.get('test-start') && testStart === undefined)) {
    log(`bad --from/--to/--test-start/--test-days/--label-delay\n${USAGE}`);
    return 2;
  }
  const outDir = resolve(v.get('out')!);
  await mkdir(outDir, { recursive: true });
  const rules = await loadRuleSet(v.get('rules') ?? 'rules');

  const featuresKind = v.get('features') ?? 'reference';
  const graphKind = v.get('graph') ?? 'reference';
  if (!['reference', 'redis'].includes(featuresKind) || !['reference', 'real'].includes(graphKind)) { log(`--features reference|redis, --graph reference|real\n${USAGE}`); return 2; }
  let features: FeatureStage;
  if (featuresKind === 'redis') {
    const redisUrl = v.get('redis-url') ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
    features = factories.redisFeatures
      ? await factories.redisFeatures(rules.featureRefs)
      : await redisFeatureStage({ redisUrl, specsPath: v.get('feature-specs') ?? join(v.get('rules') ?? 'rules', 'features.yaml'), featureNames: rules.featureRefs });
  } else features = createReferenceFeatureStage(rules.featureRefs);
  let graph: LabelledGraphStage;
  if (graphKind === 'real') {
    graph = factories.realGraph ? await factories.realGraph() : await realGraphStage({ rulesDir: v.get('graph-rules') ?? 'graph-rules', horizonMs: 35 * DAY_MS });
  } else graph = createReferenceGraphStage();

  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const progress = (p: Progress) => {
    const rate = p.events / (p.elapsedMs / 1000);
    const eta = p.done > 0 ? (p.elapsedMs / p.done - p.elapsedMs) / 1000 : NaN;
    const line = `${p.events.toLocaleString('en')} events, ${Math.round(rate).toLocaleString('en')}/s, event time ${new Date(p.eventTime).toISOString().slice(0, 10)}, ${(p.done * 100).toFixed(1)} %, ETA ${Number.isFinite(eta) ? `${Math.round(eta)} s` : '?'}`;
    if (tty) process.stderr.write(`\r${line}   `);
    else if (Date.now() - lastLine > 15_000) { lastLine = Date.now(); process.stderr.write(`${line}\n`); }
  };
  const result = await runPipeline({
    dataset, range: { from, ...(to === undefined ? {} : { to }) }, features, graph, rules: () => rules, labelDelayMs: delay,
    batchSize: Number(v.get('batch-size') ?? 500), scoresPath: join(outDir, 'scores.csv'), onProgress: progress,
  });
  if (tty) process.stderr.write('\n');
  await features.close();
  await graph.close();

  const rows = result.rows;
  const firstDay = Math.floor(from / DAY_MS);
  let lastDay = firstDay;
  for (let i = 0; i < rows.length; i++) if (rows.day[i]! > lastDay) lastDay = rows.day[i]!;
  const evalFrom = testStart !== undefined ? Math.floor(testStart / DAY_MS) : firstDay;
  const evalTo = testStart !== undefined ? evalFrom + testDays : lastDay + 1;
  const day = (d: number) => new Date(d * DAY_MS).toISOString().slice(0, 10);
  await writeReport(outDir, {
    dataset: { kind: dataset.kind, dir: dataset.dir },
    stages: { features: featuresKind === 'redis' ? 'redis (src/features)' : 'reference (in-process, src/backtest/reference-features.ts)', graph: graphKind === 'real' ? 'graph (src/graph)' : 'reference (in-process stand-in for graph.terminal_fraud_payments, src/backtest/reference-graph.ts)' },
    rulesVersions: result.rulesVersions,
    range: { from: new Date(from).toISOString(), to: to === undefined ? day(lastDay + 1) : new Date(to).toISOString() },
    labelDelayDays: delay / DAY_MS,
    events: result.events,
    labelsFedBack: result.labelsFedBack,
    ruleHits: result.ruleHits,
    elapsedSeconds: result.elapsedMs / 1000,
    evaluation: { from: day(evalFrom), to: day(evalTo - 1), rocAuc: rocAuc(rows, evalFrom, evalTo), budgets: precisionRecallAtBudgets(rows, evalFrom, evalTo, [50, 100, 200, 500, 1000]) },
    ...(handbook && testStart !== undefined
      ? {
          handbook: {
            protocol: `Test days ${day(evalFrom)} .. ${day(evalTo - 1)}; cards with a fraud on ${day(evalFrom - 14)} .. test day − 8 removed each day; cards detected on an earlier test day removed; labels fed back after ${delay / DAY_MS} days; rules tuned on April–July only.`,
            cardPrecision100: cardPrecisionAtK(rows, evalFrom, testDays, 100),
            baselines: HANDBOOK_BASELINES,
          },
        }
      : {}),
    dailyAlerts: dailyAlerts(rows, firstDay, lastDay + 1),
    command: `vigil backtest ${argv.join(' ')}`,
  });
  const cp = handbook && testStart !== undefined ? cardPrecisionAtK(rows, evalFrom, testDays, 100).mean : undefined;
  log(`${result.events} events scored in ${(result.elapsedMs / 1000).toFixed(1)} s; rules ${result.rulesVersions.join(', ')}; features ${featuresKind}, graph ${graphKind}`);
  if (cp !== undefined) log(`Card Precision@100 (${day(evalFrom)} .. ${day(evalTo - 1)}): ${cp.toFixed(3)}  (best published baseline 0.291)`);
  log(`wrote ${join(outDir, 'scores.csv')}, report.json, report.md, chart.html`);
  return 0;
}
