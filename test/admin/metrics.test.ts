import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createMetrics } from '../../src/admin/metrics.ts';
import { OUTCOMES, STAGES } from '../../src/admin/labels.ts';
import type { Decision, Reason } from '../../src/rules/decision.ts';

const decision = (kind: Decision['decision'], ts: number, reasons: Reason[] = []): Decision => ({ eventId: 'e', ts, decision: kind, score: 0, reasons, features: {}, rulesVersion: 'v', latencyMs: 0 });

test('promtool check metrics finds nothing to complain about, defaults included', async () => {
  const metrics = createMetrics();
  metrics.recordDecisions([decision('review', Date.now() - 20, [{ rule: 'amount.over_limit', score: 60, detail: 'd' }])], 0.004, Date.now());
  metrics.recordLag('payments', 0, 12);
  metrics.feeds.rules.reloaded('v1', [{ id: 'graph.ring', shadow: true }]);
  const text = await metrics.registry.metrics();
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  for (const line of text.split('\n')) if (line.startsWith('# TYPE')) assert.match(line, /^# TYPE vigil_/);
  assert.match(text, /# TYPE vigil_nodejs_gc_duration_seconds histogram/);
  assert.match(text, /vigil_process_cpu_seconds_total/);
});

test('every known label value has a series at zero before any traffic', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const text = await metrics.registry.metrics();
  for (const outcome of OUTCOMES) assert.match(text, new RegExp(`vigil_events_total\\{outcome="${outcome}"\\} 0`));
  for (const stage of STAGES) assert.match(text, new RegExp(`vigil_stage_duration_seconds_count\\{stage="${stage}"\\} 0`));
  for (const re of [/vigil_decision_latency_seconds_count\{from="event"\} 0/, /vigil_redis_round_trip_seconds_count\{operation="features"\} 0/, /vigil_redis_errors_total\{code="REDIS_UNAVAILABLE"\} 0/, /vigil_rule_reloads_total\{result="failure"\} 0/, /vigil_dead_letters_total\{code="EVENT_INVALID"\} 0/, /vigil_graph_nodes 0/, /vigil_console_clients 0/, /vigil_console_dropped_frames_total 0/, /vigil_ready 0/, /vigil_live_list_entries\{list="block"\} 0/, /vigil_list_changes_total\{result="rejected"\} 0/]) {
    assert.match(text, re);
  }
});

test('recordDecisions counts outcomes, live and shadow rule hits and both latencies per batch', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const producedAt = 1_000_000;
  const shadow: Reason = { rule: 'graph.ring', score: 40, detail: 'd', shadow: true };
  const live: Reason = { rule: 'amount.over_limit', score: 60, detail: 'd' };
  metrics.recordDecisions([decision('allow', producedAt - 2), decision('review', producedAt - 300, [live, shadow]), decision('block', producedAt - 20_000, [live]), decision('allow', producedAt, [shadow])], 0.0004, producedAt);
  metrics.recordDecisions([], 1, producedAt);
  const text = await metrics.registry.metrics();
  assert.match(text, /vigil_events_total\{outcome="allow"\} 2/);
  assert.match(text, /vigil_events_total\{outcome="review"\} 1/);
  assert.match(text, /vigil_events_total\{outcome="block"\} 1/);
  assert.match(text, /vigil_rule_hits_total\{rule="amount.over_limit",shadow="false"\} 2/);
  assert.match(text, /vigil_rule_hits_total\{rule="graph.ring",shadow="true"\} 2/);
  assert.doesNotMatch(text, /rule="graph.ring",shadow="false"/);
  // from="ingest": all four share the batch latency 0.4 ms, in the le=0.0005 bucket, not in le=0.00025.
  assert.match(text, /vigil_decision_latency_seconds_bucket\{le="0.00025",from="ingest"\} 0/);
  assert.match(text, /vigil_decision_latency_seconds_bucket\{le="0.0005",from="ingest"\} 4/);
  assert.match(text, /vigil_decision_latency_seconds_count\{from="ingest"\} 4/);
  // from="event": 0 s and 2 ms, 300 ms, 20 s (above every bucket).
  assert.match(text, /vigil_decision_latency_seconds_bucket\{le="0.0025",from="event"\} 2/);
  assert.match(text, /vigil_decision_latency_seconds_bucket\{le="0.5",from="event"\} 3/);
  assert.match(text, /vigil_decision_latency_seconds_bucket\{le="10",from="event"\} 3/);
  assert.match(text, /vigil_decision_latency_seconds_bucket\{le="\+Inf",from="event"\} 4/);
  assert.match(text, /vigil_decision_latency_seconds_sum\{from="event"\} 20.302/);
});

test('live lists: entry counts read at scrape time, changes counted by result', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  let sizes = { allow: 1, block: 2 };
  metrics.feeds.lists.watch(() => sizes);
  sizes = { allow: 3, block: 4 };
  metrics.feeds.lists.applied();
  metrics.feeds.lists.applied();
  metrics.feeds.lists.rejected();
  const text = await metrics.registry.metrics();
  assert.match(text, /vigil_live_list_entries\{list="allow"\} 3/);
  assert.match(text, /vigil_live_list_entries\{list="block"\} 4/);
  assert.match(text, /vigil_list_changes_total\{result="applied"\} 2/);
  assert.match(text, /vigil_list_changes_total\{result="rejected"\} 1/);
});

test('lag is per partition, never negative, and forgotten on rebalance', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.recordLag('payments', 0, 5);
  metrics.recordLag('payments', 1, -3);
  let text = await metrics.registry.metrics();
  assert.match(text, /vigil_consumer_lag_messages\{topic="payments",partition="0"\} 5/);
  assert.match(text, /vigil_consumer_lag_messages\{topic="payments",partition="1"\} 0/);
  metrics.forgetLag();
  metrics.recordLag('payments', 2, 7);
  text = await metrics.registry.metrics();
  assert.doesNotMatch(text, /partition="0"/);
  assert.match(text, /vigil_consumer_lag_messages\{topic="payments",partition="2"\} 7/);
});

test('feeds: graph size is read at scrape time, rules zero their hit series, unknown Redis codes are "other"', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  let nodes = 3;
  metrics.feeds.watchGraph(() => ({ nodes, edges: nodes * 2 }));
  nodes = 10;
  let text = await metrics.registry.metrics();
  assert.match(text, /vigil_graph_nodes 10/);
  assert.match(text, /vigil_graph_edges 20/);
  metrics.feeds.rules.inUse('v7', [{ id: 'a.b', shadow: false }, { id: 'c.d', shadow: true }]);
  metrics.feeds.rules.reloaded('v8', [{ id: 'a.b', shadow: false }]);
  metrics.feeds.rules.failed();
  metrics.feeds.redis.error('REDIS_UNAVAILABLE');
  metrics.feeds.redis.error('ECONNRESET');
  metrics.feeds.redis.roundTrip('features', 0.0007);
  metrics.feeds.console.clients(3);
  metrics.feeds.console.dropped(5);
  text = await metrics.registry.metrics();
  assert.match(text, /vigil_rule_hits_total\{rule="a.b",shadow="false"\} 0/);
  assert.match(text, /vigil_rule_hits_total\{rule="c.d",shadow="true"\} 0/);
  assert.match(text, /vigil_rules_info\{version="v8"\} 1/);
  assert.doesNotMatch(text, /version="v7"/);
  assert.match(text, /vigil_rule_reloads_total\{result="success"\} 1/);
  assert.match(text, /vigil_rule_reloads_total\{result="failure"\} 1/);
  assert.match(text, /vigil_redis_errors_total\{code="REDIS_UNAVAILABLE"\} 1/);
  assert.match(text, /vigil_redis_errors_total\{code="other"\} 1/);
  assert.doesNotMatch(text, /ECONNRESET/);
  assert.match(text, /vigil_redis_round_trip_seconds_bucket\{le="0.001",operation="features"\} 1/);
  assert.match(text, /vigil_console_clients 3/);
  assert.match(text, /vigil_console_dropped_frames_total 5/);
});

test('feeds: the velocity stage counters are copied at scrape time, and each scrape gives the latest totals', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  let text = await metrics.registry.metrics();
  assert.match(text, /vigil_features_cached_entities 0/);
  assert.match(text, /vigil_features_cache_lookups_total\{result="miss"\} 0/);
  const counters = { cachedEntities: 40, cachedBytes: 123456, cacheHits: 70, cacheMisses: 30, cacheAdmitted: 25, cacheRefused: 5, loads: 30, conflicts: 2, duplicates: 1, lateWithin: 4, lateBeyond: 3, stale: 0 };
  metrics.feeds.watchFeatures(() => counters);
  text = await metrics.registry.metrics();
  assert.match(text, /vigil_features_cached_entities 40/);
  assert.match(text, /vigil_features_cached_bytes 123456/);
  assert.match(text, /vigil_features_cache_lookups_total\{result="hit"\} 70/);
  assert.match(text, /vigil_features_cache_lookups_total\{result="miss"\} 30/);
  assert.match(text, /vigil_features_cache_admissions_total\{result="refused"\} 5/);
  assert.match(text, /vigil_features_state_loads_total 30/);
  assert.match(text, /vigil_features_write_conflicts_total 2/);
  assert.match(text, /vigil_features_late_events_total\{kind="beyond"\} 3/);
  counters.cacheHits = 90;
  text = await metrics.registry.metrics();
  assert.match(text, /vigil_features_cache_lookups_total\{result="hit"\} 90/);
});
