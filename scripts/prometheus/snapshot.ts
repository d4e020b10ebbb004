/**
 * Draws docs/images/sre-overview.png and docs/images/sre-detection.png from a real Prometheus that
 * scraped a real processor under ~90 s of synthetic Kafka traffic: every chart is a range query of
 * the dashboards' own panel queries. Needs Kafka (KAFKA_BROKERS), /usr/bin/prometheus, chromium.
 *
 *   node --import tsx scripts/prometheus/snapshot.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createMetrics, startAdminServer } from '../../src/admin/index.ts';
import { createLogger } from '../../src/log.ts';
import { startTestProcessor, testConfig } from '../../test/support/processor.ts';
import { KAFKA_BROKERS } from '../../test/support/env.ts';
import { testKafka } from '../../test/support/kafka.ts';
import { DETECTION, SRE_OVERVIEW } from './build-dashboards.ts';
import { startPrometheus, type PrometheusServer, type PromSample } from './prometheus-server.ts';
import { substituteGrafanaVariables } from './queries.ts';
import { renderPage, type ChartPanel } from './render-charts.ts';
import { createTopicsWithLeaders, demoSlowFeatureStage, playTraffic, writeDemoGraphRules, type TrafficPlan } from './traffic.ts';

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const PLAN: TrafficPlan = { steps: [[20, 100], [25, 300], [25, 600], [20, 150]], bursts: [{ step: 1, messages: 8000 }] };
const MS_PER_EVENT = 1;

type Rows = typeof SRE_OVERVIEW;

async function panels(prometheus: PrometheusServer, rows: Rows, start: number, end: number): Promise<{ title: string; panels: ChartPanel[] }[]> {
  const vars = { job: 'vigil', instance: '.*', rateInterval: '10s', range: `${Math.round(end - start)}s` };
  const out: { title: string; panels: ChartPanel[] }[] = [];
  for (const row of rows) {
    const charts: ChartPanel[] = [];
    for (const panel of row.panels) {
      const series: ChartPanel['series'] = [];
      for (const target of panel.targets) {
        const result = await prometheus.queryRange(substituteGrafanaVariables(target.expr, vars), start, end, 2);
        if (result.status !== 'success') throw new Error(`${panel.title}: ${result.error}`);
        for (const s of result.data!.result as PromSample[]) {
          const name = target.legend.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => s.metric[label] ?? '');
          const points = (s.values ?? []).map(([t, v]) => [t, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v));
          series.push({ name, points });
        }
      }
      const flat = series.every((s) => s.points.every(([, v]) => v === 0));
      charts.push({ title: panel.title, unit: panel.unit, series, ...(flat ? { note: 'zero: not fed in this run' } : {}) });
    }
    out.push({ title: row.row, panels: charts });
  }
  return out;
}

function screenshot(html: string, file: string, rows: { panels: unknown[] }[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-shot-'));
  try {
    writeFileSync(join(dir, 'page.html'), html);
    const height = 80 + rows.reduce((h, r) => h + 34 + Math.ceil(r.panels.length / 3) * 238, 0);
    const run = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${join(dir, 'profile')}`, `--window-size=1620,${height}`, `--screenshot=${file}`, `file://${join(dir, 'page.html')}`], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`chromium failed: ${run.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const metrics = createMetrics();
  const rulesDir = writeDemoGraphRules();
  const config = testConfig({ VIGIL_GRAPH_RULES: rulesDir });
  await createTopicsWithLeaders(testKafka(), [config.topicPayments, config.topicDecisions, config.topicAlerts, config.topicDlq, config.topicLinks, config.topicLabels], config.topicPartitions);
  const vigil = await startTestProcessor({ metrics, log: createLogger('warn'), config, stages: { features: demoSlowFeatureStage(MS_PER_EVENT) } });
  const admin = await startAdminServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, notReadyReason: vigil.processor.notReadyReason });
  const prometheus = await startPrometheus({ targets: [`127.0.0.1:${admin.port}`], port: Number(process.env.PROMETHEUS_PORT ?? 19090) });
  try {
    await prometheus.waitForScrapes(2);
    const start = Date.now() / 1000;
    const sent = await playTraffic(KAFKA_BROKERS, vigil.topics.payments, PLAN);
    const deadline = Date.now() + 120_000;
    const counted = async () => (await metrics.events.get()).values.reduce((sum, v) => sum + v.value, 0);
    while ((await counted()) < sent && Date.now() < deadline) await sleep(250);
    await sleep(5000);
    const end = Date.now() / 1000;
    const subtitle = `Real Prometheus ${'2.42'} scraping a real Vigil processor (1 s scrape) under ${sent} synthetic payments on Kafka 4.4 (${PLAN.steps.map(([s, r]) => `${s}s@${r}/s`).join(', ')}, +8000 burst). Real graph stage and replica with two demo fan-in rules (one live, one shadow). Stand-in: the features stage costs ${MS_PER_EVENT} ms/event (Redis stage not merged), so Redis series are not fed; nor are console and rule-reload series. Machine: 2 cores shared with other jobs. ${new Date(start * 1000).toISOString()}`;
    const sre = await panels(prometheus, SRE_OVERVIEW, start - 5, end);
    screenshot(renderPage({ title: 'Vigil — SRE overview (grafana/dashboards/vigil-sre-overview.json queries)', subtitle, rows: sre, start: start - 5, end }), join(IMAGES, 'sre-overview.png'), sre);
    const detection = await panels(prometheus, DETECTION, start - 5, end);
    screenshot(renderPage({ title: 'Vigil — detection (grafana/dashboards/vigil-detection.json queries)', subtitle, rows: detection, start: start - 5, end }), join(IMAGES, 'sre-detection.png'), detection);
    const instant = async (expr: string) => Number(((await prometheus.query(expr, end - 40)).data?.result as PromSample[])[0]?.value?.[1]);
    const report = {
      sent,
      durationSeconds: Math.round(end - start),
      ingestP50: await instant('histogram_quantile(0.5, sum by (le) (rate(vigil_decision_latency_seconds_bucket{from="ingest"}[60s])))'),
      ingestP99: await instant('histogram_quantile(0.99, sum by (le) (rate(vigil_decision_latency_seconds_bucket{from="ingest"}[60s])))'),
      eventP99: await instant('histogram_quantile(0.99, sum by (le) (rate(vigil_decision_latency_seconds_bucket{from="event"}[60s])))'),
      maxLag: Number(((await prometheus.query(`max_over_time(sum(vigil_consumer_lag_messages)[${Math.round(end - start)}s:1s])`, end)).data?.result as PromSample[])[0]?.value?.[1]),
    };
    console.log(JSON.stringify(report));
  } finally {
    await prometheus.stop();
    await admin.close();
    await vigil.cleanup();
    rmSync(rulesDir, { recursive: true, force: true });
  }
}

await main();
