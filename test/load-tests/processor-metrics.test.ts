import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { parseHistograms, summariseWindow } from '../../load-tests/lib/processor-metrics.ts';

const NAMES = ['vigil_stage_duration_seconds', 'vigil_batch_size_messages'];

test('the window between two scrapes counts only what was observed in it, per labelled series', async () => {
  const registry = new Registry();
  const stage = new Histogram({ name: 'vigil_stage_duration_seconds', help: 'h', labelNames: ['stage'], buckets: [0.001, 0.01, 0.1], registers: [registry] });
  const size = new Histogram({ name: 'vigil_batch_size_messages', help: 'h', buckets: [1, 10, 100], registers: [registry] });
  const other = new Histogram({ name: 'vigil_other_seconds', help: 'h', buckets: [1], registers: [registry] });
  stage.observe({ stage: 'features' }, 0.05);
  size.observe(50);
  const before = parseHistograms(await registry.metrics(), NAMES);
  for (let i = 0; i < 98; i++) stage.observe({ stage: 'features' }, 0.0005);
  stage.observe({ stage: 'features' }, 0.005);
  stage.observe({ stage: 'features' }, 0.05);
  size.observe(3);
  other.observe(0.5);
  const window = summariseWindow(before, parseHistograms(await registry.metrics(), NAMES));

  assert.deepEqual(Object.keys(window).sort(), ['vigil_batch_size_messages{}', 'vigil_stage_duration_seconds{stage="features"}']);
  const features = window['vigil_stage_duration_seconds{stage="features"}']!;
  assert.equal(features.count, 100);
  assert.ok(Math.abs(features.mean - (98 * 0.0005 + 0.005 + 0.05) / 100) < 1e-9);
  assert.equal(features.p50AtMost, 0.001);
  assert.equal(features.p99AtMost, 0.01);
  assert.deepEqual(window['vigil_batch_size_messages{}'], { count: 1, mean: 3, p50AtMost: 10, p99AtMost: 10 });
});

test('a series with no observations in the window is left out', async () => {
  const registry = new Registry();
  const stage = new Histogram({ name: 'vigil_stage_duration_seconds', help: 'h', labelNames: ['stage'], buckets: [0.01], registers: [registry] });
  stage.observe({ stage: 'graph' }, 0.001);
  const scrape = parseHistograms(await registry.metrics(), NAMES);
  assert.deepEqual(summariseWindow(scrape, scrape), {});
  assert.equal(summariseWindow(new Map(), scrape)['vigil_stage_duration_seconds{stage="graph"}']!.p99AtMost, 0.01);
});
