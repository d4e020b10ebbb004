import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HANDBOOK_BASELINES, type BudgetResult, type CardPrecisionResult, type DailyAlerts } from './metrics.ts';

export interface BacktestReport {
  dataset: { kind: string; dir: string };
  /** Which stages produced the scores: `redis` / `graph` (the real stages) or `reference` (in-process stand-ins). */
  stages: { features: string; graph: string };
  rulesVersions: string[];
  range: { from: string; to: string };
  labelDelayDays: number;
  events: number;
  labelsFedBack: number;
  /** Hits per rule id over the whole run. */
  ruleHits: Record<string, number>;
  elapsedSeconds: number;
  evaluation: { from: string; to: string; rocAuc: number; budgets: BudgetResult[] };
  handbook?: { protocol: string; cardPrecision100: CardPrecisionResult; baselines: typeof HANDBOOK_BASELINES };
  dailyAlerts: DailyAlerts[];
  command: string;
}

export async function writeReport(outDir: string, r: BacktestReport): Promise<void> {
  await writeFile(join(outDir, 'report.json'), JSON.stringify(r, null, 2) + '\n');
  await writeFile(join(outDir, 'report.md'), markdown(r));
  await writeFile(join(outDir, 'chart.html'), chartHtml(r));
}

const pct = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

function markdown(r: BacktestReport): string {
  const lines: string[] = [];
  lines.push(`# Backtest — ${r.dataset.kind}`, '');
  lines.push(`- Command: \`${r.command}\``);
  lines.push(`- Data: ${r.dataset.dir}, event time ${r.range.from} .. ${r.range.to} (${r.events.toLocaleString('en')} payments in ${r.elapsedSeconds.toFixed(0)} s)`);
  lines.push(`- Stages: features = ${r.stages.features}, graph = ${r.stages.graph}; rules ${r.rulesVersions.join(', ')}`);
  lines.push(`- Fraud labels fed back ${r.labelDelayDays} days after the payment (${r.labelsFedBack.toLocaleString('en')} labels)`, '');
  if (r.handbook) {
    const cp = r.handbook.cardPrecision100;
    lines.push('## Card Precision@100 on the test week (the handbook protocol)', '', r.handbook.protocol, '');
    lines.push('| day | Card Precision@100 | compromised cards (unknown) | detected |', '|---|---|---|---|');
    for (const d of cp.perDay) lines.push(`| ${d.day} | ${d.precision.toFixed(2)} | ${d.compromisedCards} | ${d.detected} |`);
    lines.push('', `**Mean Card Precision@100: ${cp.mean.toFixed(3)}**`, '');
    lines.push('| model (published, same protocol) | AUC ROC | Card Precision@100 |', '|---|---|---|');
    lines.push(`| **Vigil rules (this run)** | ${pct(r.evaluation.rocAuc)} | **${cp.mean.toFixed(3)}** |`);
    for (const b of r.handbook.baselines) lines.push(`| ${b.model} | ${b.auc.toFixed(3)} | ${b.cardPrecision100.toFixed(3)} |`);
    lines.push('| perfect detector | 1.000 | about 0.40 |', '');
  }
  lines.push(`## Alert budgets (${r.evaluation.from} .. ${r.evaluation.to}, top-scored payments per day)`, '');
  lines.push('| alerts / day | precision | recall |', '|---|---|---|');
  for (const b of r.evaluation.budgets) lines.push(`| ${b.budget} | ${pct(b.precision)} | ${pct(b.recall)} |`);
  lines.push('', `AUC ROC over the same days: ${pct(r.evaluation.rocAuc)}`, '');
  lines.push('## Rule hits over the run', '', '| rule | hits |', '|---|---|');
  for (const [rule, n] of Object.entries(r.ruleHits)) lines.push(`| ${rule} | ${n} |`);
  lines.push('');
  lines.push('## Alerts per day (decisions review or block)', '', 'See chart.html for daily precision and alert volume.', '');
  lines.push('| day | payments | frauds | alerts | blocks | alert precision | fraud recall |', '|---|---|---|---|---|---|---|');
  for (const d of r.dailyAlerts) lines.push(`| ${d.day} | ${d.transactions} | ${d.frauds} | ${d.alerts} | ${d.blocks} | ${pct(d.precision)} | ${pct(d.recall)} |`);
  return lines.join('\n') + '\n';
}

/** A self-contained HTML page with an inline SVG: daily alert volume (bars) and alert precision (line). */
function chartHtml(r: BacktestReport): string {
  const days = r.dailyAlerts;
  const W = 960, H = 360, L = 60, R = 60, T = 30, B = 50;
  const n = Math.max(1, days.length);
  const bw = (W - L - R) / n;
  const maxAlerts = Math.max(1, ...days.map((d) => d.alerts));
  const y1 = (v: number) => T + (H - T - B) * (1 - v / maxAlerts);
  const y2 = (v: number) => T + (H - T - B) * (1 - v);
  const bars = days.map((d, i) => `<rect x="${(L + i * bw).toFixed(1)}" y="${y1(d.alerts).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(H - B - y1(d.alerts)).toFixed(1)}" fill="#9ecae1"><title>${d.day}: ${d.alerts} alerts</title></rect>`).join('');
  const line = days.map((d, i) => `${(L + (i + 0.5) * bw).toFixed(1)},${y2(d.precision).toFixed(1)}`).join(' ');
  const step = Math.max(1, Math.ceil(n / 12));
  const labels = days.map((d, i) => (i % step === 0 ? `<text x="${(L + i * bw).toFixed(1)}" y="${H - B + 16}" font-size="10">${d.day.slice(5)}</text>` : '')).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${L}" y1="${y2(f).toFixed(1)}" x2="${W - R}" y2="${y2(f).toFixed(1)}" stroke="#ddd"/>` +
      `<text x="${L - 6}" y="${(y2(f) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#3182bd">${Math.round(maxAlerts * f)}</text>` +
      `<text x="${W - R + 6}" y="${(y2(f) + 4).toFixed(1)}" font-size="10" fill="#e6550d">${f.toFixed(2)}</text>`)
    .join('');
  // the evaluated test days are shaded
  const testDays = new Set(r.handbook?.cardPrecision100.perDay.map((d) => d.day) ?? []);
  const shade = days.map((d, i) => (testDays.has(d.day) ? `<rect x="${(L + i * bw).toFixed(1)}" y="${T}" width="${bw.toFixed(1)}" height="${H - T - B}" fill="#fdd0a2" opacity="0.5"><title>test day ${d.day}</title></rect>` : '')).join('');
  const cp = r.handbook ? `<p>Card Precision@100 on the test week: <b>${r.handbook.cardPrecision100.mean.toFixed(3)}</b> (best published baseline 0.291, logistic regression; perfect ≈ 0.40).</p>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Vigil backtest — ${r.dataset.kind}</title></head>
<body style="font-family:sans-serif"><h1>Vigil backtest — ${r.dataset.kind}</h1>
<p>Rules ${r.rulesVersions.join(', ')}; stages: features ${r.stages.features}, graph ${r.stages.graph}; labels after ${r.labelDelayDays} days.</p>${cp}
<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>
<line x1="${W - R}" y1="${T}" x2="${W - R}" y2="${H - B}" stroke="#333"/>
<text x="5" y="${T - 10}" font-size="12" fill="#3182bd">alerts / day (review + block)</text>
<text x="${W - R - 120}" y="${T - 10}" font-size="12" fill="#e6550d">alert precision (0–1)</text>
${ticks}${shade}${bars}<polyline points="${line}" fill="none" stroke="#e6550d" stroke-width="1.5"/>${labels}
</svg></body></html>
`;
}
