/**
 * Writes grafana/dashboards/*.json from the panel lists below, so every query lives in one readable
 * place. Run: `node --import tsx scripts/prometheus/build-dashboards.ts` and commit the JSON.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const S = 'job="$job", instance=~"$instance"';
const RI = '$__rate_interval';

interface Target {
  expr: string;
  legend: string;
}
interface PanelSpec {
  title: string;
  description: string;
  type?: 'timeseries' | 'stat';
  unit: string;
  targets: Target[];
  width?: number;
  stacked?: boolean;
}
interface RowSpec {
  row: string;
  panels: PanelSpec[];
}

const q = (phi: number, selector: string, by = 'le') => `histogram_quantile(${phi}, sum by (${by}) (rate(${selector}[${RI}])))`;
const latency = (from: string): Target[] => [
  { expr: q(0.5, `vigil_decision_latency_seconds_bucket{${S}, from="${from}"}`), legend: 'p50' },
  { expr: q(0.99, `vigil_decision_latency_seconds_bucket{${S}, from="${from}"}`), legend: 'p99' },
  { expr: q(0.999, `vigil_decision_latency_seconds_bucket{${S}, from="${from}"}`), legend: 'p99.9' },
];

export const SRE_OVERVIEW: RowSpec[] = [
  {
    row: 'Traffic and latency',
    panels: [
      { title: 'Throughput by outcome', description: 'Events decided (or dead-lettered as invalid) per second.', unit: 'reqps', stacked: true, targets: [{ expr: `sum by (outcome) (rate(vigil_events_total{${S}}[${RI}]))`, legend: '{{outcome}}' }] },
      { title: 'Decision latency from ingest', description: 'From receipt of the batch to the decision acknowledged by Kafka.', unit: 's', targets: latency('ingest') },
      { title: 'Decision latency from event time', description: 'From the payment timestamp to the decision acknowledged by Kafka (includes upstream delay).', unit: 's', targets: latency('event') },
      { title: 'Latency SLO: decisions within 250 ms of ingest', description: 'SLO 99%. Burn rate 1 spends the 30-day error budget in 30 days.', type: 'stat', unit: 'percentunit', targets: [{ expr: `sum(rate(vigil_decision_latency_seconds_bucket{${S}, from="ingest", le="0.25"}[${RI}])) / sum(rate(vigil_decision_latency_seconds_count{${S}, from="ingest"}[${RI}]))`, legend: 'within SLO' }] },
      { title: 'Stage time p99 (per batch)', description: 'Time each stage takes for one batch.', unit: 's', targets: [{ expr: q(0.99, `vigil_stage_duration_seconds_bucket{${S}}`, 'le, stage'), legend: '{{stage}}' }] },
      { title: 'Batch size', description: 'Messages per batch: mean and p99.', unit: 'short', targets: [{ expr: `sum(rate(vigil_batch_size_messages_sum{${S}}[${RI}])) / sum(rate(vigil_batch_size_messages_count{${S}}[${RI}]))`, legend: 'mean' }, { expr: q(0.99, `vigil_batch_size_messages_bucket{${S}}`), legend: 'p99' }] },
    ],
  },
  {
    row: 'Kafka: lag, DLQ, errors, readiness',
    panels: [
      { title: 'Consumer lag per partition', description: 'Messages behind the high watermark, measured at each batch.', unit: 'short', targets: [{ expr: `sum by (topic, partition) (vigil_consumer_lag_messages{${S}})`, legend: '{{topic}}/{{partition}}' }] },
      { title: 'Total consumer lag', description: 'Sum over the partitions this job owns.', type: 'stat', unit: 'short', targets: [{ expr: `sum(vigil_consumer_lag_messages{${S}})`, legend: 'lag' }] },
      { title: 'Dead letters by code', description: 'Messages sent to the DLQ per second.', unit: 'reqps', stacked: true, targets: [{ expr: `sum by (code) (rate(vigil_dead_letters_total{${S}}[${RI}]))`, legend: '{{code}}' }] },
      { title: 'Error ratios', description: 'Invalid share of input; batch retries per dependency.', unit: 'percentunit', targets: [{ expr: `sum(rate(vigil_events_total{${S}, outcome="invalid"}[${RI}])) / sum(rate(vigil_events_total{${S}}[${RI}]))`, legend: 'invalid / all' }, { expr: `sum by (dependency) (rate(vigil_dependency_retries_total{${S}}[${RI}]))`, legend: 'retries/s {{dependency}}' }] },
      { title: 'Ready', description: '1 when consuming with every dependency answering; up is the scrape itself.', type: 'stat', unit: 'short', targets: [{ expr: `min by (instance) (vigil_ready{${S}})`, legend: 'ready {{instance}}' }, { expr: `min by (instance) (up{${S}})`, legend: 'up {{instance}}' }] },
    ],
  },
  {
    row: 'Redis, graph, console',
    panels: [
      { title: 'Redis round trip', description: 'One pipeline per batch and node (features), or a ping.', unit: 's', targets: [{ expr: q(0.5, `vigil_redis_round_trip_seconds_bucket{${S}}`, 'le, operation'), legend: 'p50 {{operation}}' }, { expr: q(0.99, `vigil_redis_round_trip_seconds_bucket{${S}}`, 'le, operation'), legend: 'p99 {{operation}}' }] },
      { title: 'Redis errors', description: 'Failed round trips by code, and batches retried because Redis was down.', unit: 'reqps', targets: [{ expr: `sum by (code) (rate(vigil_redis_errors_total{${S}}[${RI}]))`, legend: '{{code}}' }, { expr: `sum(rate(vigil_dependency_retries_total{${S}, dependency="redis"}[${RI}]))`, legend: 'batch retries' }] },
      { title: 'Knowledge graph size', description: 'Entities and links held in memory.', unit: 'short', targets: [{ expr: `sum(vigil_graph_nodes{${S}})`, legend: 'nodes' }, { expr: `sum(vigil_graph_edges{${S}})`, legend: 'edges' }] },
      { title: 'Console', description: 'Connected analyst consoles and frames dropped for slow clients.', unit: 'short', targets: [{ expr: `sum(vigil_console_clients{${S}})`, legend: 'clients' }, { expr: `sum(rate(vigil_console_dropped_frames_total{${S}}[${RI}]))`, legend: 'dropped frames/s' }] },
      {
        title: 'Velocity state cache',
        description: 'Share of entity uses whose state was cached in the process, and states read from Redis per event (each costs CPU here and in Redis). A low hit ratio means VIGIL_FEATURES_CACHE_ENTITIES is below the active entities (docs/operations.md).',
        unit: 'short',
        targets: [
          { expr: `sum(rate(vigil_features_cache_lookups_total{${S}, result="hit"}[${RI}])) / sum(rate(vigil_features_cache_lookups_total{${S}}[${RI}]))`, legend: 'hit ratio' },
          { expr: `sum(rate(vigil_features_state_loads_total{${S}}[${RI}])) / sum(rate(vigil_events_total{${S}}[${RI}]))`, legend: 'state reads per event' },
        ],
      },
    ],
  },
  {
    row: 'Process',
    panels: [
      { title: 'CPU', description: 'Cores used by the process.', unit: 'short', targets: [{ expr: `sum by (instance) (rate(vigil_process_cpu_seconds_total{${S}}[${RI}]))`, legend: '{{instance}}' }] },
      { title: 'Memory', description: 'Resident set and used V8 heap.', unit: 'bytes', targets: [{ expr: `sum by (instance) (vigil_process_resident_memory_bytes{${S}})`, legend: 'rss {{instance}}' }, { expr: `sum by (instance) (vigil_nodejs_heap_size_used_bytes{${S}})`, legend: 'heap used {{instance}}' }] },
      { title: 'Event-loop lag p99', description: 'A blocked event loop delays every batch.', unit: 's', targets: [{ expr: `max by (instance) (vigil_nodejs_eventloop_lag_p99_seconds{${S}})`, legend: '{{instance}}' }] },
      { title: 'GC time', description: 'Seconds per second spent in garbage collection, by kind.', unit: 'percentunit', targets: [{ expr: `sum by (kind) (rate(vigil_nodejs_gc_duration_seconds_sum{${S}}[${RI}]))`, legend: '{{kind}}' }] },
    ],
  },
];

const decided = `sum(rate(vigil_events_total{${S}, outcome!="invalid"}[${RI}]))`;
export const DETECTION: RowSpec[] = [
  {
    row: 'Rules',
    panels: [
      { title: 'Hit rate per rule', description: 'Hits per second of each live rule.', unit: 'reqps', targets: [{ expr: `sum by (rule) (rate(vigil_rule_hits_total{${S}, shadow="false"}[${RI}]))`, legend: '{{rule}}' }] },
      { title: 'Hit ratio per rule', description: 'Share of decided events each live rule hits.', unit: 'percentunit', targets: [{ expr: `sum by (rule) (rate(vigil_rule_hits_total{${S}, shadow="false"}[${RI}])) / scalar(${decided})`, legend: '{{rule}}' }] },
      { title: 'Shadow-rule hits', description: 'Hits per second of rules in shadow mode: recorded, never changing a decision.', unit: 'reqps', targets: [{ expr: `sum by (rule) (rate(vigil_rule_hits_total{${S}, shadow="true"}[${RI}]))`, legend: '{{rule}}' }] },
      { title: 'Shadow hit ratio per rule', description: 'Share of decided events a shadow rule would hit: what promoting it would cost.', unit: 'percentunit', targets: [{ expr: `sum by (rule) (rate(vigil_rule_hits_total{${S}, shadow="true"}[${RI}])) / scalar(${decided})`, legend: '{{rule}}' }] },
    ],
  },
  {
    row: 'Alerts and rule sets',
    panels: [
      { title: 'Alert mix', description: 'Share of decided events by decision; review and block go to the alerts topic.', unit: 'percentunit', stacked: true, targets: [{ expr: `sum by (outcome) (rate(vigil_events_total{${S}, outcome!="invalid"}[${RI}])) / scalar(${decided})`, legend: '{{outcome}}' }] },
      { title: 'Alerts per second', description: 'Review and block decisions per second.', unit: 'reqps', targets: [{ expr: `sum by (outcome) (rate(vigil_events_total{${S}, outcome=~"review|block"}[${RI}]))`, legend: '{{outcome}}' }] },
      { title: 'Rule reloads', description: 'Successful and refused rule-set reloads.', unit: 'short', targets: [{ expr: `sum by (result) (increase(vigil_rule_reloads_total{${S}}[${RI}]))`, legend: '{{result}}' }] },
      { title: 'Rule set in use', description: 'Version of the rule set each instance decides with.', type: 'stat', unit: 'short', targets: [{ expr: `max by (instance, version) (vigil_rules_info{${S}})`, legend: '{{instance}} {{version}}' }] },
    ],
  },
];

function dashboard(uid: string, title: string, rows: RowSpec[]): unknown {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const p of row.panels) {
      const w = p.width ?? (p.type === 'stat' ? 6 : 8);
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push({
        id: id++,
        type: p.type ?? 'timeseries',
        title: p.title,
        description: p.description,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { h: 8, w, x, y },
        fieldConfig: {
          defaults: { unit: p.unit, ...(p.type === 'stat' ? {} : { custom: { lineWidth: 1, fillOpacity: p.stacked ? 30 : 0, stacking: { mode: p.stacked ? 'normal' : 'none' } } }) },
          overrides: [],
        },
        options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: { type: 'prometheus', uid: '${datasource}' }, expr: t.expr, legendFormat: t.legend, range: true })),
      });
      x += w;
    }
    y += 8;
  }
  const variable = (name: string, query: string, multi: boolean) => ({
    name,
    type: 'query',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    definition: query,
    query: { query, refId: `${name}-var` },
    refresh: 2,
    includeAll: multi,
    multi,
    ...(multi ? { allValue: '.*' } : {}),
    current: {},
  });
  return {
    uid,
    title,
    tags: ['vigil'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        variable('job', 'label_values(vigil_ready, job)', false),
        variable('instance', 'label_values(vigil_ready{job="$job"}, instance)', true),
      ],
    },
    panels,
  };
}

const dir = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(`${dir}vigil-sre-overview.json`, `${JSON.stringify(dashboard('vigil-sre', 'Vigil — SRE overview', SRE_OVERVIEW), null, 2)}\n`);
  writeFileSync(`${dir}vigil-detection.json`, `${JSON.stringify(dashboard('vigil-detection', 'Vigil — detection', DETECTION), null, 2)}\n`);
}
