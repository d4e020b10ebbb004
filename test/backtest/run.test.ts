import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backtestCommand } from '../../src/backtest/index.ts';
import { createReferenceFeatureStage, createReferenceGraphStage, runPipeline } from '../../src/backtest/index.ts';
import type { Dataset, DatasetRecord } from '../../src/replay/index.ts';
import { loadRuleSet } from '../../src/rules/index.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2018-04-01T00:00:00Z');

/** Cards 1..4 pay at terminal T once an hour; cards 1 and 2 are fraud at hour 0 and 1; card 5 pays at T at hour 30. */
function tinyDataset(): Dataset {
  const recs: DatasetRecord[] = [];
  const add = (h: number, card: string, fraud: boolean) =>
    recs.push({ event: { id: `x${recs.length}`, ts: T0 + h * HOUR, type: 'card_auth', amount: 1000, currency: 'EUR', account: `a${card}`, card, terminal: 'T' }, txId: String(recs.length), fraud, labelEntities: [`card:${card}`] });
  add(0, '1', true);
  add(1, '2', true);
  add(2, '3', false);
  add(20, '4', false); // before the labels are due (delay 24 h): no hit
  add(30, '5', false); // after both are due: compromised-terminal hit
  return { kind: 'fraud-handbook', dir: '(memory)', async *records() { yield* recs; } };
}

test('the pipeline feeds labels back only after the delay, through the scorer, and writes every score', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bt-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rules = await loadRuleSet('rules');
  const applied: number[] = [];
  const graph = createReferenceGraphStage();
  const spy = { ...graph, applyLabel: (l: Parameters<typeof graph.applyLabel>[0]) => { applied.push(l.at); return graph.applyLabel(l); } };
  const result = await runPipeline({
    dataset: tinyDataset(), range: {}, features: createReferenceFeatureStage(rules.featureRefs), graph: spy, rules: () => rules,
    labelDelayMs: 24 * HOUR, batchSize: 1, scoresPath: join(dir, 'scores.csv'),
  });
  assert.equal(result.events, 5);
  assert.equal(result.labelsFedBack, 2);
  assert.deepEqual(applied, [T0 + 24 * HOUR, T0 + 25 * HOUR]);
  const lines = (await readFile(join(dir, 'scores.csv'), 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'TRANSACTION_ID,score');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), ['0', '1', '2', '3', '4']);
  const scores = lines.slice(1).map((l) => Number(l.split(',')[1]));
  assert.equal(scores[3], 0, 'no label known yet at hour 20');
  assert.equal(scores[4], 40, 'two fraud-labelled cards at the terminal: 30 + 5·2');
  assert.deepEqual(result.rulesVersions, [rules.version]);
});

test('vigil backtest on a handbook slice writes scores.csv for every payment and the report files', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'vigil-bt-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const logs: string[] = [];
  const code = await backtestCommand(['--dataset', '/work/shared/datasets/fraud-handbook', '--out', out, '--from', '2018-04-01', '--to', '2018-04-06', '--test-start', '2018-04-04', '--test-days', '2'], {}, (l) => logs.push(l));
  assert.equal(code, 0, logs.join('\n'));
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const scores = (await readFile(join(out, 'scores.csv'), 'utf8')).trim().split('\n');
  assert.equal(scores.length - 1, report.events);
  assert.ok(report.events > 40_000);
  assert.equal(report.handbook.cardPrecision100.perDay.length, 2);
  assert.equal(report.dailyAlerts.length, 5);
  assert.match(report.stages.features, /^reference/);
  assert.match(await readFile(join(out, 'chart.html'), 'utf8'), /<svg/);
  assert.match(await readFile(join(out, 'report.md'), 'utf8'), /Card Precision@100/);
});
